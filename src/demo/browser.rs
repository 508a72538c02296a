//! The customer's browser, scripted: cookies kept per run, the OP's login
//! and consent pages fetched over TLS, their forms read (action, hidden
//! fields such as the CSRF token, selects, checked radios, the submit
//! button's name and value) and posted as a browser would
//! (HTML Living Standard §4.10.21.4, "constructing the entry list").
//! Redirects are followed on the OP's origin only; the redirect back to
//! the fintech is returned, never fetched.

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
}

/// A form as the browser would submit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// `action`, as written (entities decoded), or empty for the page's own URL.
    pub action: String,
    /// Successful controls other than buttons, in order: (name, value, type).
    pub fields: Vec<(String, String, String)>,
    /// Named submit buttons: (name, value).
    pub buttons: Vec<(String, String)>,
}

impl Form {
    /// Whether it asks for a password (a login form).
    pub fn is_login(&self) -> bool {
        self.fields.iter().any(|(_, _, kind)| kind == "password")
    }

    /// The entry list with the text fields in `fill` set and the button
    /// `name=value` pressed.
    pub fn entries(&self, fill: &[(&str, &str)], button: Option<(&str, &str)>) -> Vec<(String, String)> {
        let mut entries: Vec<(String, String)> = self
            .fields
            .iter()
            .map(|(name, value, _)| {
                let value = fill
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(value.clone(), |(_, v)| v.to_string());
                (name.clone(), value)
            })
            .collect();
        if let Some((name, value)) = button {
            entries.push((name.into(), value.into()));
        }
        entries
    }
}

impl<'a> Browser<'a> {
    /// A browser trusting the sandbox CA.
    pub fn new(web: &'a Web) -> Self {
        Self {
            web,
            cookies: Vec::new(),
        }
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
        for _ in 0..MAX_HOPS {
            if matches!(response.status().as_u16(), 302 | 303) {
                let location = header(&response, "location")
                    .ok_or_else(|| anyhow!("{current}: a redirect without Location"))?;
                let next = resolve(&current, &location)?;
                if next.starts_with(redirect_uri) {
                    return Ok(next);
                }
                if origin(&next) != origin(url) {
                    bail!("the OP redirected to {next}, neither its own page nor the redirect URI");
                }
                current = next;
                response = self.get(&current).await?;
                continue;
            }
            let html = String::from_utf8_lossy(response.body()).into_owned();
            if response.status() != 200 {
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

/// The first `<form>` of `html`.
pub fn parse_form(html: &str) -> Option<Form> {
    let start = html.find("<form")?;
    let end = html[start..].find("</form>").map_or(html.len(), |i| i + start);
    let inner = &html[start..end];
    let form_tag = &inner[..inner.find('>')?];
    let mut form = Form {
        action: attribute(form_tag, "action").unwrap_or_default(),
        fields: Vec::new(),
        buttons: Vec::new(),
    };
    let mut rest = inner;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        let element = tag.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        match element.as_str() {
            "input" => input(tag, &mut form),
            "button" => {
                let kind = attribute(tag, "type").unwrap_or_else(|| "submit".into());
                if let (true, Some(name)) = (kind == "submit", attribute(tag, "name")) {
                    form.buttons
                        .push((name, attribute(tag, "value").unwrap_or_default()));
                }
            }
            "select" => {
                let close = rest.find("</select>").unwrap_or(rest.len());
                if let Some(name) = attribute(tag, "name")
                    && let Some(value) = selected_option(&rest[tag_end.min(close)..close])
                {
                    form.fields.push((name, value, "select".into()));
                }
            }
            _ => {}
        }
    }
    Some(form)
}

fn input(tag: &str, form: &mut Form) {
    let Some(name) = attribute(tag, "name") else {
        return;
    };
    let kind = attribute(tag, "type")
        .unwrap_or_else(|| "text".into())
        .to_ascii_lowercase();
    let value = attribute(tag, "value").unwrap_or_default();
    match kind.as_str() {
        "submit" => form.buttons.push((name, value)),
        // Unchecked boxes and radios are not submitted.
        "checkbox" | "radio" if !has_flag(tag, "checked") => {}
        "checkbox" | "radio" => {
            form.fields
                .push((name, if value.is_empty() { "on".into() } else { value }, kind))
        }
        "button" | "reset" | "image" | "file" => {}
        _ => form.fields.push((name, value, kind)),
    }
}

/// The `selected` option's value, else the first option's.
fn selected_option(options: &str) -> Option<String> {
    let mut first = None;
    let mut rest = options;
    while let Some(open) = rest.find("<option") {
        rest = &rest[open..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        let value = attribute(tag, "value").unwrap_or_default();
        if has_flag(tag, "selected") {
            return Some(value);
        }
        first.get_or_insert(value);
        rest = &rest[tag_end..];
    }
    first
}

/// The double-quoted attribute `name` of a start tag (the OP's pages
/// always quote), entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(decode_entities(&tag[start..end]))
}

fn has_flag(tag: &str, name: &str) -> bool {
    tag.split_whitespace()
        .any(|word| word == name || word.starts_with(&format!("{name}=")))
}

/// The character references the OP's pages write (`login::html::escape`).
fn decode_entities(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of the page's `class="error"` paragraph.
fn page_error(html: &str) -> Option<String> {
    let start = html.find("class=\"error\"")?;
    let open = html[start..].find('>')? + start + 1;
    let close = html[open..].find('<')? + open;
    Some(decode_entities(&html[open..close]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"<p class="error" role="alert">Wrong username or password &amp; more</p>
<form method="post" action="/login/abc?x=1&amp;y=2">
<input type="hidden" name="csrf" value="t0k&quot;en">
<input id="username" name="username" type="text" value="" autocomplete="username" required autofocus>
<input id="password" name="password" type="password" required>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>"#;

    #[test]
    fn a_login_form_gives_its_action_csrf_field_and_credentials() {
        let form = parse_form(LOGIN).unwrap();
        assert_eq!(form.action, "/login/abc?x=1&y=2");
        assert!(form.is_login());
        assert!(form.buttons.is_empty());
        let entries = form.entries(&[("username", "alice"), ("password", "pw")], None);
        assert_eq!(
            entries,
            [
                ("csrf".to_string(), "t0k\"en".to_string()),
                ("username".into(), "alice".into()),
                ("password".into(), "pw".into())
            ]
        );
        assert_eq!(
            page_error(LOGIN).as_deref(),
            Some("Wrong username or password & more")
        );
    }

    #[test]
    fn a_consent_form_submits_hidden_fields_selects_checked_radios_and_the_pressed_button() {
        let html = r#"<form method="post" action="/consent/i1">
<input type="hidden" name="csrf" value="c">
<select name="debtor_account"><option value="a1">EUR</option><option value="a2" selected>GBP</option></select>
<input type="radio" name="r" value="x"><input type="radio" name="r" value="y" checked>
<input type="checkbox" name="remember">
<button class="secondary" type="submit" name="decision" value="deny">Deny</button><button class="primary" type="submit" name="decision" value="approve">Approve</button>
</form>"#;
        let form = parse_form(html).unwrap();
        assert!(!form.is_login());
        assert_eq!(
            form.buttons,
            [
                ("decision".to_string(), "deny".to_string()),
                ("decision".into(), "approve".into())
            ]
        );
        let entries = form.entries(&[], Some(("decision", "approve")));
        let names: Vec<String> = entries.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(names, ["csrf=c", "debtor_account=a2", "r=y", "decision=approve"]);
    }

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
