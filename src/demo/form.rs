//! The OP's pages' forms as a browser reads them: the action, hidden fields
//! such as the CSRF token, selects, checked radios and the submit button's
//! name and value, submitted as HTML Living Standard §4.10.21.4
//! ("constructing the entry list") says; and a page's error paragraph.

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

    /// Whether it asks for a second-factor code (the OP's TOTP page).
    pub fn is_second_factor(&self) -> bool {
        self.fields.iter().any(|(name, _, _)| name == "otp")
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
pub fn page_error(html: &str) -> Option<String> {
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
}
