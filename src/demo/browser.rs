//! The customer's browser, scripted: cookies kept per run, the OP's login
//! and consent pages fetched over TLS, their forms (`form.rs`) filled and
//! posted as a browser would. Redirects are followed on the OP's origin
//! and the sandbox's login app's (an interaction app: its pages have the
//! same fields) only; the redirect back to the fintech is returned, never
//! fetched. Cookies are kept per host, as a browser keeps them (RFC 6265
//! §8.5: not per port).

use super::form::{page_error, parse_form};
use super::http::{Web, describe_failure};
use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use http::Response;

/// At most this many pages and redirects from `/authorize` to the redirect back.
const MAX_HOPS: usize = 12;

/// A browser: an HTTPS client without a certificate, and its cookies.
pub struct Browser<'a> {
    web: &'a Web,
    cookies: Vec<(String, String)>,
    /// The customer's TOTP secret (their authenticator app), for the OP's
    /// second-factor page.
    totp_secret: Option<Vec<u8>>,
    /// The bank's login app's origin, where the OP may send the browser
    /// (an interaction app's pages: the same forms are filled).
    login_app: Option<String>,
}

/// Codes tried on the second-factor page: a code refused as used (another
/// demo run within the same 30 s) is followed by the next step's.
const MAX_CODES: usize = 3;

impl<'a> Browser<'a> {
    /// A browser trusting the sandbox CA.
    pub fn new(web: &'a Web) -> Self {
        Self {
            web,
            cookies: Vec::new(),
            totp_secret: None,
            login_app: None,
        }
    }

    /// Follows the OP to the bank's login app at `url` (its origin) too.
    pub fn with_login_app(mut self, url: &str) -> Self {
        self.login_app = (!url.is_empty()).then(|| origin(url).to_string());
        self
    }

    /// The customer's authenticator: codes for the second-factor page.
    pub fn with_totp_secret(mut self, secret: Option<Vec<u8>>) -> Self {
        self.totp_secret = secret;
        self
    }

    /// Opens `url` and plays the customer: signs in as `user`, approves,
    /// and returns the redirect back to `redirect_uri` (with `code` or `error`).
    pub async fn authorize(
        &mut self,
        url: &str,
        redirect_uri: &str,
        user: &str,
        password: &str,
    ) -> anyhow::Result<String> {
        let mut current = url.to_string();
        let mut response = self.get(&current).await?;
        let mut signed_in = false;
        let mut codes = 0;
        for _ in 0..MAX_HOPS + MAX_CODES {
            if matches!(response.status().as_u16(), 302 | 303) {
                let location = header(&response, "location")
                    .ok_or_else(|| anyhow!("{current}: a redirect without Location"))?;
                let next = resolve(&current, &location)?;
                if next.starts_with(redirect_uri) {
                    return Ok(next);
                }
                let at_login_app = self.login_app.as_deref() == Some(origin(&next));
                if origin(&next) != origin(url) && !at_login_app {
                    bail!(
                        "the OP redirected to {next}, neither its own page, the bank's login app nor the redirect URI"
                    );
                }
                current = next;
                response = self.get(&current).await?;
                continue;
            }
            let html = String::from_utf8_lossy(response.body()).into_owned();
            let code_refused = response.status() == 401 && codes > 0 && codes < MAX_CODES;
            if code_refused && parse_form(&html).is_some_and(|f| f.is_second_factor()) {
                // A used code (RFC 6238 §5.2): the next one comes with the next step.
                let now = crate::clock::Clock::now_unix(&crate::clock::SystemClock);
                let wait = crate::protocol::totp::STEP_SECS - now % crate::protocol::totp::STEP_SECS;
                tokio::time::sleep(std::time::Duration::from_secs(wait + 1)).await;
            } else if response.status() != 200 {
                // The OP's pages say what went wrong in their error paragraph.
                match (page_error(&html), signed_in) {
                    (Some(reason), true) => bail!("signing in as `{user}` failed: {reason}"),
                    (Some(reason), false) => bail!("{current}: {} {reason}", response.status().as_u16()),
                    (None, _) => bail!("{current}: {}", describe_failure(&response)),
                }
            }
            let form = parse_form(&html).ok_or_else(|| anyhow!("{current}: a page without a form"))?;
            let action = match form.action.is_empty() {
                true => current.clone(),
                false => resolve(&current, &form.action)?,
            };
            let entries = if form.is_login() {
                if signed_in {
                    let reason = page_error(&html).unwrap_or_else(|| "the login page came back".into());
                    bail!("signing in as `{user}` failed: {reason}");
                }
                signed_in = true;
                form.entries(&[("username", user), ("password", password)], None)
            } else if form.is_second_factor() {
                let secret = self
                    .totp_secret
                    .as_deref()
                    .ok_or_else(|| anyhow!("{current}: the OP asks `{user}` for a second-factor code and no TOTP secret is known for them"))?;
                codes += 1;
                let now = crate::clock::Clock::now_unix(&crate::clock::SystemClock);
                let code = crate::protocol::totp::code_at(secret, now);
                form.entries(&[("otp", &code)], None)
            } else if form
                .buttons
                .iter()
                .any(|(n, v)| n == "decision" && v == "approve")
            {
                form.entries(&[], Some(("decision", "approve")))
            } else {
                bail!("{current}: neither a login nor a consent form");
            };
            let pairs: Vec<(&str, &str)> = entries.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            response = self.post(&action, &pairs).await?;
            current = action;
        }
        bail!("no redirect back to the fintech after {MAX_HOPS} pages")
    }

    async fn get(&mut self, url: &str) -> anyhow::Result<Response<Bytes>> {
        let cookie = self.cookie_header();
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        let response = self.web.get(url, &headers).await?;
        self.keep_cookies(&response);
        Ok(response)
    }

    async fn post(&mut self, url: &str, params: &[(&str, &str)]) -> anyhow::Result<Response<Bytes>> {
        let cookie = self.cookie_header();
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        let response = self.web.post_form(url, params, &headers).await?;
        self.keep_cookies(&response);
        Ok(response)
    }

    /// RFC 6265 §5.4, for one origin: every cookie the OP set, by name.
    fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn keep_cookies(&mut self, response: &Response<Bytes>) {
        for value in response.headers().get_all("set-cookie") {
            let Some((name, value)) = value
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .and_then(|p| p.split_once('='))
            else {
                continue;
            };
            let (name, value) = (name.trim().to_string(), value.trim().to_string());
            self.cookies.retain(|(n, _)| *n != name);
            // Max-Age=0 or an empty value deletes it (RFC 6265 §5.3).
            if !value.is_empty() {
                self.cookies.push((name, value));
            }
        }
    }
}

/// A response header as text.
pub fn header(response: &Response<Bytes>, name: &str) -> Option<String> {
    response.headers().get(name)?.to_str().ok().map(String::from)
}

/// `https://host:port` of an absolute URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| i + after_scheme);
    &url[..end]
}

/// `reference` resolved against `base` (absolute URLs, absolute paths and
/// query-only references: what the OP's pages use).
pub fn resolve(base: &str, reference: &str) -> anyhow::Result<String> {
    if reference.starts_with("https://") || reference.starts_with("http://") {
        return Ok(reference.to_string());
    }
    if reference.starts_with('/') {
        return Ok(format!("{}{reference}", origin(base)));
    }
    if reference.starts_with('?') {
        let path = base.split('?').next().unwrap_or(base);
        return Ok(format!("{path}{reference}"));
    }
    Err(anyhow!("cannot resolve the relative URL `{reference}`")).context(base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_against_the_page() {
        let base = "https://localhost:8443/login/abc?x=1";
        assert_eq!(
            resolve(base, "/consent/i").unwrap(),
            "https://localhost:8443/consent/i"
        );
        assert_eq!(
            resolve(base, "?y=2").unwrap(),
            "https://localhost:8443/login/abc?y=2"
        );
        assert_eq!(
            resolve(base, "https://fintech.example/cb?code=1").unwrap(),
            "https://fintech.example/cb?code=1"
        );
        assert!(resolve(base, "relative").is_err());
        assert_eq!(origin("https://localhost:8443/a?b"), "https://localhost:8443");
        assert_eq!(origin("https://localhost:8443"), "https://localhost:8443");
    }
}
