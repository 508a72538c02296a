//! The browser's cookie jar, RFC 6265 §5 as a user agent applies it:
//! `Set-Cookie` parsed (§5.2), stored or refused (§5.3), and sent back only
//! to the hosts and paths it matches (§5.4). Every request here is https, so
//! `Secure` cookies are always sendable; `HttpOnly` and `SameSite` change
//! nothing for a browser without scripts that a flow drives top-level. The
//! cookie prefixes of RFC 6265bis (§4.1.3: `__Secure-`, `__Host-`) are
//! enforced as browsers do. Bounded: at most [`MAX_COOKIES`], each at most
//! [`MAX_COOKIE_BYTES`] of name and value (§6.1's minimums).
//!
//! Time is a parameter (`now`), so expiry is tested without a clock.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Cookies kept at most (RFC 6265 §6.1: at least 50 per domain).
pub const MAX_COOKIES: usize = 50;
/// Name plus value at most (RFC 6265 §6.1: at least 4096 bytes per cookie).
pub const MAX_COOKIE_BYTES: usize = 4096;

/// One stored cookie (RFC 6265 §5.3's record, less what no rule here reads).
#[derive(Debug, Clone)]
struct Cookie {
    name: String,
    value: String,
    /// Lower-case; the request host itself when `host_only`.
    domain: String,
    host_only: bool,
    path: String,
    expires: Option<SystemTime>,
    /// Creation order (§5.3 step 11.3 keeps the old one's on replacement).
    created: u64,
}

/// What became of a `Set-Cookie` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored, or replacing one with the same name, domain and path.
    Kept,
    /// Already expired (`Max-Age` ≤ 0 or an `Expires` in the past): the
    /// cookie of that name, domain and path is removed, if any.
    Removed,
}

/// Why a `Set-Cookie` header was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// §5.2 steps 2 and 5: no `=` in the name-value pair, or an empty name.
    NoName,
    /// Name and value longer than [`MAX_COOKIE_BYTES`].
    TooLarge,
    /// §5.3 step 6: a `Domain` that the request host does not domain-match.
    ForeignDomain,
    /// RFC 6265bis §4.1.3.1: a `__Secure-` cookie without `Secure`.
    SecurePrefix,
    /// RFC 6265bis §4.1.3.2: a `__Host-` cookie without `Secure`, with a
    /// `Domain` or with a `Path` other than `/`.
    HostPrefix,
}

/// The cookies of one browser.
#[derive(Debug, Default)]
pub struct Jar {
    cookies: Vec<Cookie>,
    next: u64,
}

impl Jar {
    /// §5.3: receives `set_cookie` in the answer to a request for
    /// `host` and `request_path` (path and query) at `now`.
    pub fn store(
        &mut self,
        set_cookie: &str,
        host: &str,
        request_path: &str,
        now: SystemTime,
    ) -> Result<Stored, Refused> {
        let host = host.to_ascii_lowercase();
        let parsed = parse(set_cookie, request_path, now)?;
        // §5.3 step 6: host-only without `Domain`; with one, the request host
        // must domain-match it (a site cannot set cookies for another).
        let (domain, host_only) = match parsed.domain {
            Some(d) if domain_match(&host, &d) => (d, false),
            Some(_) => return Err(Refused::ForeignDomain),
            None => (host, true),
        };
        let prefixed = |prefix: &str| {
            parsed
                .name
                .get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        };
        if prefixed("__Secure-") && !parsed.secure {
            return Err(Refused::SecurePrefix);
        }
        if prefixed("__Host-") && (!parsed.secure || !host_only || parsed.path != "/") {
            return Err(Refused::HostPrefix);
        }
        // §5.3 step 11: the same name, domain and path is the same cookie.
        let old = self
            .cookies
            .iter()
            .position(|c| c.name == parsed.name && c.domain == domain && c.path == parsed.path);
        let created = match old {
            Some(i) => self.cookies.remove(i).created,
            None => {
                self.next += 1;
                self.next
            }
        };
        if parsed.expires.is_some_and(|e| e <= now) {
            return Ok(Stored::Removed);
        }
        self.cookies.push(Cookie {
            name: parsed.name,
            value: parsed.value,
            domain,
            host_only,
            path: parsed.path,
            expires: parsed.expires,
            created,
        });
        self.evict(now);
        Ok(Stored::Kept)
    }

    /// §5.3's excess-cookie removal: the expired first, then the oldest.
    fn evict(&mut self, now: SystemTime) {
        if self.cookies.len() <= MAX_COOKIES {
            return;
        }
        self.cookies.retain(|c| c.expires.is_none_or(|e| e > now));
        while self.cookies.len() > MAX_COOKIES {
            let oldest = self
                .cookies
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.created)
                .map(|(i, _)| i);
            match oldest {
                Some(i) => self.cookies.remove(i),
                None => break,
            };
        }
    }

    /// §5.4: the `Cookie` header for a request to `host` and `request_path`
    /// at `now`, or `None` when no cookie matches. Longer paths first, then
    /// the earlier created (§5.4 step 2).
    pub fn header(&self, host: &str, request_path: &str, now: SystemTime) -> Option<String> {
        let host = host.to_ascii_lowercase();
        let path = request_path.split(['?', '#']).next().unwrap_or_default();
        let mut matching: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| match c.host_only {
                true => c.domain == host,
                false => domain_match(&host, &c.domain),
            })
            .filter(|c| path_match(path, &c.path))
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by(|a, b| b.path.len().cmp(&a.path.len()).then(a.created.cmp(&b.created)));
        let pairs: Vec<String> = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }

    /// How many cookies are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.cookies.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }
}

/// A `Set-Cookie` header as §5.2 reads it, its path defaulted and its
/// expiry computed (Max-Age over Expires, §5.3 step 3).
struct Parsed {
    name: String,
    value: String,
    domain: Option<String>,
    path: String,
    secure: bool,
    expires: Option<SystemTime>,
}

/// RFC 6265 §5.2.
fn parse(set_cookie: &str, request_path: &str, now: SystemTime) -> Result<Parsed, Refused> {
    let (pair, attributes) = set_cookie.split_once(';').unwrap_or((set_cookie, ""));
    let (name, value) = pair.split_once('=').ok_or(Refused::NoName)?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return Err(Refused::NoName);
    }
    if name.len() + value.len() > MAX_COOKIE_BYTES {
        return Err(Refused::TooLarge);
    }
    let mut parsed = Parsed {
        name: name.to_string(),
        value: value.to_string(),
        domain: None,
        path: default_path(request_path),
        secure: false,
        expires: None,
    };
    let mut max_age: Option<SystemTime> = None;
    let mut expires: Option<SystemTime> = None;
    // §5.2 step 6 onwards: each attribute; the last of a name wins.
    for av in attributes.split(';') {
        let (key, value) = av.split_once('=').unwrap_or((av, ""));
        let (key, value) = (key.trim(), value.trim());
        match key.to_ascii_lowercase().as_str() {
            // §5.2.1: an unparsable date ignores the attribute.
            "expires" => expires = parse_date(value).or(expires),
            // §5.2.2: `-`? DIGIT+; zero or less is the earliest time.
            "max-age" => {
                let digits = value.strip_prefix('-').unwrap_or(value);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    max_age = Some(match value.parse::<i64>() {
                        Ok(s) if s > 0 => now
                            .checked_add(Duration::from_secs(s.unsigned_abs()))
                            .unwrap_or(now + Duration::from_secs(u32::MAX.into())),
                        Ok(_) => UNIX_EPOCH,
                        // More digits than an i64: negative is past, else far.
                        Err(_) if value.starts_with('-') => UNIX_EPOCH,
                        Err(_) => now + Duration::from_secs(u32::MAX.into()),
                    });
                }
            }
            // §5.2.3: an empty Domain is ignored; a leading dot is dropped.
            "domain" if !value.is_empty() => {
                let d = value.strip_prefix('.').unwrap_or(value);
                parsed.domain = Some(d.to_ascii_lowercase());
            }
            // §5.2.4: a Path not starting with `/` is the default path.
            "path" => {
                parsed.path = match value.starts_with('/') {
                    true => value.to_string(),
                    false => default_path(request_path),
                }
            }
            "secure" => parsed.secure = true,
            _ => {}
        }
    }
    parsed.expires = max_age.or(expires);
    Ok(parsed)
}

/// RFC 6265 §5.1.4: the default path of a request: its path up to (not
/// including) the last `/`, or `/` when that leaves nothing.
fn default_path(request_path: &str) -> String {
    let path = request_path.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return "/".into();
    }
    match path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => path[..i].to_string(),
    }
}

/// RFC 6265 §5.1.4 path-match: identical, or `cookie_path` is a prefix
/// ending at a `/` of the request path.
fn path_match(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// RFC 6265 §5.1.3 domain-match (both lower-case): identical, or `host` a
/// host name (not an IP address) ending in `.` + `domain`.
fn domain_match(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    let is_ip = host.parse::<IpAddr>().is_ok() || host.contains(':');
    !is_ip
        && host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// RFC 6265 §5.1.1: a cookie date, read leniently (the first time,
/// day-of-month, month and year tokens found, in any order).
fn parse_date(value: &str) -> Option<SystemTime> {
    let delimiter =
        |c: char| matches!(c, '\x09' | '\x20'..='\x2f' | '\x3b'..='\x40' | '\x5b'..='\x60' | '\x7b'..='\x7e');
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in value.split(delimiter).filter(|t| !t.is_empty()) {
        if time.is_none()
            && let Some(t) = parse_time(token)
        {
            time = Some(t);
        } else if day.is_none()
            && let Some((d, _)) = leading_digits(token, 1, 2)
        {
            day = Some(d);
        } else if month.is_none()
            && let Some(m) = parse_month(token)
        {
            month = Some(m);
        } else if year.is_none()
            && let Some((y, _)) = leading_digits(token, 2, 4)
        {
            year = Some(y);
        }
    }
    let (hour, minute, second) = time?;
    let (day, month, year) = (day?, month?, year?);
    // §5.1.1 steps 3 and 4: two-digit years.
    let year = match year {
        70..=99 => year + 1900,
        0..=69 => year + 2000,
        y => y,
    };
    if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, i64::from(day));
    let seconds = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    match u64::try_from(seconds) {
        Ok(s) => UNIX_EPOCH.checked_add(Duration::from_secs(s)),
        // Before 1970: long past, which is all a cookie date before it means.
        Err(_) => Some(UNIX_EPOCH),
    }
}

/// `min..=max` digits at the start of `token`, then nothing or a non-digit.
fn leading_digits(token: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let n = token.bytes().take_while(u8::is_ascii_digit).count();
    if n < min || n > max {
        return None;
    }
    Some((token[..n].parse().ok()?, &token[n..]))
}

/// §5.1.1's time production: `h:m:s`, one or two digits each.
fn parse_time(token: &str) -> Option<(u32, u32, u32)> {
    let (h, rest) = leading_digits(token, 1, 2)?;
    let (m, rest) = leading_digits(rest.strip_prefix(':')?, 1, 2)?;
    let (s, _) = leading_digits(rest.strip_prefix(':')?, 1, 2)?;
    Some((h, m, s))
}

/// §5.1.1's month: a token starting with a month's three letters.
fn parse_month(token: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let head = token.get(..3)?.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| *m == head)?;
    u32::try_from(i + 1).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12).
fn days_from_civil(year: i64, month: u32, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
#[path = "cookies_tests.rs"]
mod tests;
