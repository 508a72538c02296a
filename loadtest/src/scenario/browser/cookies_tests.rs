//! One test per rule of RFC 6265 (and RFC 6265bis's prefixes), named by section.

use super::*;

/// 2026-12-07 12:00:00 UTC.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_644_800)
}

fn jar_with(set: &[(&str, &str, &str)]) -> Jar {
    let mut jar = Jar::default();
    for (header, host, path) in set {
        let _ = jar.store(header, host, path, now());
    }
    jar
}

#[test]
fn rfc6265_5_1_4_default_path_is_the_request_path_up_to_its_last_slash() {
    assert_eq!(default_path("/u/start?x=1"), "/u");
    assert_eq!(default_path("/u/login/"), "/u/login");
    assert_eq!(default_path("/login"), "/");
    assert_eq!(default_path("/"), "/");
    assert_eq!(default_path(""), "/");
    let jar = jar_with(&[("a=1", "op.test", "/u/start")]);
    assert_eq!(jar.header("op.test", "/u/login", now()).as_deref(), Some("a=1"));
    assert_eq!(jar.header("op.test", "/consent", now()), None);
}

#[test]
fn rfc6265_5_1_4_path_match() {
    assert!(path_match("/u", "/u"));
    assert!(path_match("/u/login", "/u"));
    assert!(path_match("/u/login", "/u/"));
    assert!(path_match("/anything", "/"));
    assert!(!path_match("/user", "/u"), "a prefix must end at a `/`");
    assert!(!path_match("/", "/u"));
    let jar = jar_with(&[("a=1; Path=/u", "op.test", "/")]);
    assert_eq!(jar.header("op.test", "/u/x?q=/u", now()).as_deref(), Some("a=1"));
    assert_eq!(jar.header("op.test", "/user", now()), None);
}

#[test]
fn rfc6265_5_2_4_a_path_not_starting_with_slash_is_the_default_path() {
    let jar = jar_with(&[("a=1; Path=u", "op.test", "/u/start")]);
    assert_eq!(jar.header("op.test", "/u/x", now()).as_deref(), Some("a=1"));
    assert_eq!(jar.header("op.test", "/x", now()), None);
}

#[test]
fn rfc6265_5_1_3_domain_match() {
    assert!(domain_match("op.test", "op.test"));
    assert!(domain_match("login.op.test", "op.test"));
    assert!(!domain_match("evilop.test", "op.test"), "must end at a dot");
    assert!(!domain_match("op.test", "login.op.test"));
    assert!(domain_match("127.0.0.1", "127.0.0.1"));
    assert!(
        !domain_match("10.0.0.1", "0.0.1"),
        "no suffix match on an IP address"
    );
}

#[test]
fn rfc6265_5_3_step_6_no_domain_is_host_only() {
    let jar = jar_with(&[("a=1", "op.test", "/")]);
    assert_eq!(jar.header("op.test", "/", now()).as_deref(), Some("a=1"));
    assert_eq!(jar.header("login.op.test", "/", now()), None);
    assert_eq!(
        jar.header("OP.TEST", "/", now()).as_deref(),
        Some("a=1"),
        "hosts compare case-blind"
    );
}

#[test]
fn rfc6265_5_3_step_6_a_domain_cookie_goes_to_subdomains() {
    let jar = jar_with(&[("a=1; Domain=.OP.test", "op.test", "/")]);
    assert_eq!(jar.header("op.test", "/", now()).as_deref(), Some("a=1"));
    assert_eq!(jar.header("login.op.test", "/", now()).as_deref(), Some("a=1"));
    assert_eq!(jar.header("other.test", "/", now()), None);
}

#[test]
fn rfc6265_5_3_step_6_a_domain_the_host_does_not_match_is_refused() {
    let mut jar = Jar::default();
    let at = |jar: &mut Jar, header| jar.store(header, "op.test", "/", now());
    assert_eq!(
        at(&mut jar, "a=1; Domain=login.op.test"),
        Err(Refused::ForeignDomain)
    );
    assert_eq!(
        at(&mut jar, "a=1; Domain=bank.example"),
        Err(Refused::ForeignDomain)
    );
    assert_eq!(
        at(&mut jar, "a=1; Domain=test"),
        Ok(Stored::Kept),
        "no public suffix list here"
    );
    assert_eq!(
        jar.store("b=1; Domain=0.0.1", "127.0.0.1", "/", now()),
        Err(Refused::ForeignDomain)
    );
    assert_eq!(jar.header("login.op.test", "/", now()).as_deref(), Some("a=1"));
}

#[test]
fn rfc6265_5_2_3_an_empty_domain_attribute_is_ignored() {
    let jar = jar_with(&[("a=1; Domain=", "op.test", "/")]);
    assert_eq!(jar.header("login.op.test", "/", now()), None);
    assert_eq!(jar.header("op.test", "/", now()).as_deref(), Some("a=1"));
}

#[test]
fn rfc6265_5_2_name_value_pair_rules() {
    let mut jar = Jar::default();
    assert_eq!(jar.store("novalue", "op.test", "/", now()), Err(Refused::NoName));
    assert_eq!(jar.store(" =v", "op.test", "/", now()), Err(Refused::NoName));
    assert_eq!(
        jar.store(" a = b=c ; Secure", "op.test", "/", now()),
        Ok(Stored::Kept)
    );
    assert_eq!(jar.header("op.test", "/", now()).as_deref(), Some("a=b=c"));
}

#[test]
fn rfc6265_6_1_a_cookie_over_4096_bytes_is_refused() {
    let mut jar = Jar::default();
    let big = format!("a={}", "x".repeat(MAX_COOKIE_BYTES));
    assert_eq!(jar.store(&big, "op.test", "/", now()), Err(Refused::TooLarge));
    let fits = format!("a={}", "x".repeat(MAX_COOKIE_BYTES - 1));
    assert_eq!(jar.store(&fits, "op.test", "/", now()), Ok(Stored::Kept));
}

#[test]
fn rfc6265_6_1_the_jar_keeps_at_most_50_cookies_dropping_the_oldest() {
    let mut jar = Jar::default();
    for i in 0..(MAX_COOKIES + 10) {
        let _ = jar.store(&format!("c{i}=v"), "op.test", "/", now());
    }
    assert_eq!(jar.len(), MAX_COOKIES);
    let header = jar.header("op.test", "/", now()).unwrap_or_default();
    assert!(!header.contains("c0=") && !header.contains("c9="), "{header}");
    assert!(header.contains("c10=") && header.contains("c59="));
}

#[test]
fn rfc6265_5_3_step_11_the_same_name_domain_and_path_replaces() {
    let jar = jar_with(&[
        ("a=1; Path=/", "op.test", "/"),
        ("b=1; Path=/", "op.test", "/"),
        ("a=2; Path=/", "op.test", "/x"),
        ("a=3; Path=/u", "op.test", "/"),
    ]);
    assert_eq!(jar.len(), 3);
    // §5.4 step 2: longer paths first; then the replaced `a` keeps its
    // creation time and so stays before `b`.
    assert_eq!(
        jar.header("op.test", "/u/x", now()).as_deref(),
        Some("a=3; a=2; b=1")
    );
}

#[test]
fn rfc6265_5_2_2_max_age_zero_or_less_removes() {
    let mut jar = jar_with(&[("a=1; Path=/", "op.test", "/"), ("b=1", "op.test", "/")]);
    assert_eq!(
        jar.store("a=; Max-Age=0; Path=/", "op.test", "/", now()),
        Ok(Stored::Removed)
    );
    assert_eq!(
        jar.store("b=; Max-Age=-5", "op.test", "/", now()),
        Ok(Stored::Removed)
    );
    assert!(jar.is_empty());
    // Not a number: the attribute is ignored and the cookie kept.
    assert_eq!(
        jar.store("c=1; Max-Age=soon", "op.test", "/", now()),
        Ok(Stored::Kept)
    );
}

#[test]
fn rfc6265_5_2_2_max_age_sets_the_expiry_and_wins_over_expires() {
    let mut jar = Jar::default();
    let set = "a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    assert_eq!(jar.store(set, "op.test", "/", now()), Ok(Stored::Kept));
    assert!(
        jar.header("op.test", "/", now() + Duration::from_secs(59))
            .is_some()
    );
    assert_eq!(jar.header("op.test", "/", now() + Duration::from_secs(60)), None);
}

#[test]
fn rfc6265_5_2_1_an_expires_in_the_past_removes() {
    let mut jar = jar_with(&[("a=1", "op.test", "/")]);
    let gone = "a=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    assert_eq!(jar.store(gone, "op.test", "/", now()), Ok(Stored::Removed));
    assert!(jar.is_empty());
    let later = "a=y; Expires=Wed, 09 Jun 2100 10:18:14 GMT";
    assert_eq!(jar.store(later, "op.test", "/", now()), Ok(Stored::Kept));
    // An unparsable date is ignored: a session cookie.
    assert_eq!(
        jar.store("b=1; Expires=someday", "op.test", "/", now()),
        Ok(Stored::Kept)
    );
    assert_eq!(jar.header("op.test", "/", now()).as_deref(), Some("a=y; b=1"));
}

#[test]
fn rfc6265_5_1_1_dates_are_read_leniently() {
    let epoch_plus = |s: u64| Some(UNIX_EPOCH + Duration::from_secs(s));
    // RFC 1123, RFC 850 and asctime forms of 1994-11-06 08:49:37 UTC.
    assert_eq!(
        parse_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        epoch_plus(784_111_777)
    );
    assert_eq!(
        parse_date("Sunday, 06-Nov-94 08:49:37 GMT"),
        epoch_plus(784_111_777)
    );
    assert_eq!(parse_date("Sun Nov  6 08:49:37 1994"), epoch_plus(784_111_777));
    assert_eq!(parse_date("Thu, 01 Jan 1970 00:00:00 GMT"), epoch_plus(0));
    assert_eq!(
        parse_date("Sat, 29 Feb 2020 00:00:01 GMT"),
        epoch_plus(1_582_934_401)
    );
    assert_eq!(
        parse_date("01 Jan 1601 00:00:00"),
        Some(UNIX_EPOCH),
        "before 1970: past"
    );
    assert_eq!(parse_date("Thu, 32 Jan 2030 00:00:00 GMT"), None);
    assert_eq!(parse_date("Thu, 01 Jan 2030 24:00:00 GMT"), None);
    assert_eq!(parse_date("01 Jan 1600 00:00:00"), None);
    assert_eq!(parse_date("tomorrow"), None);
}

#[test]
fn rfc6265bis_4_1_3_cookie_prefixes() {
    let mut jar = Jar::default();
    let mut at = |header| jar.store(header, "op.test", "/login/x", now());
    // What Fiducia sets.
    assert_eq!(
        at("__Host-fiducia-interaction=v; Path=/; Secure; HttpOnly; SameSite=Lax"),
        Ok(Stored::Kept)
    );
    assert_eq!(at("__Host-a=v; Path=/"), Err(Refused::HostPrefix));
    assert_eq!(
        at("__Host-a=v; Secure"),
        Err(Refused::HostPrefix),
        "default path /login"
    );
    assert_eq!(
        at("__Host-a=v; Secure; Path=/; Domain=op.test"),
        Err(Refused::HostPrefix)
    );
    assert_eq!(at("__Secure-a=v"), Err(Refused::SecurePrefix));
    assert_eq!(
        at("__Secure-a=v; Secure; Domain=op.test; Path=/"),
        Ok(Stored::Kept)
    );
    assert_eq!(
        jar.header("op.test", "/", now()).as_deref(),
        Some("__Host-fiducia-interaction=v; __Secure-a=v")
    );
}

/// Pseudo-random `Set-Cookie` headers from fragments that matter to the
/// parser: storing never panics and the jar stays within its bounds.
#[test]
fn arbitrary_set_cookie_headers_never_panic() {
    const PARTS: [&str; 22] = [
        "a",
        "=",
        ";",
        " ",
        "Path",
        "Domain",
        "Max-Age",
        "Expires",
        "Secure",
        "/",
        ".",
        "op.test",
        "-",
        "99999999999999999999",
        "0",
        "Jan",
        "1970",
        "12:00:00",
        "__Host-",
        "é",
        ",",
        "\t",
    ];
    let mut jar = Jar::default();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..5000 {
        let mut header = String::new();
        for _ in 0..(next(&mut seed) % 30) {
            header.push_str(PARTS[(next(&mut seed) % PARTS.len() as u64) as usize]);
        }
        let _ = jar.store(&format!("c{i}{header}"), "login.op.test", "/u/start", now());
        let _ = parse_date(&header);
        assert!(jar.len() <= MAX_COOKIES);
    }
    let _ = jar.header("login.op.test", "/u/x", now());
}

/// xorshift64: the next pseudo-random number.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}
