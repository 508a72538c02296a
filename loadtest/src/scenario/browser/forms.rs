//! The forms of an HTML page, read the way a browser submits them (HTML
//! Living Standard §4.10.21.4, "constructing the entry list"), by a small
//! lenient scanner rather than a full HTML parser: tags in any case,
//! attributes in any order with double, single or no quotes, character
//! references in attribute values (`&amp;`, `&#39;`, `&#x27;`), comments
//! and the raw text of `<script>` and `<style>` skipped. `<input>` and
//! `<button>` are read; `<select>` and `<textarea>` are not (no login or
//! consent form the flows meet needs them), nor controls outside their form
//! (`form=` attributes).

/// Controls read per page at most: a page is at most 1 MiB
/// (`http::MAX_BODY`), and a login or consent form has a handful.
const MAX_CONTROLS: usize = 1000;

/// One `<form>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pub id: Option<String>,
    /// The `action` attribute, decoded; `None` or empty: the page's own URL.
    pub action: Option<String>,
    /// `method="post"` (any case); anything else is GET.
    pub post: bool,
    pub controls: Vec<Control>,
}

/// An `<input>` or a `<button>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub button: bool,
    /// Lower-case `type`: `text` by default for inputs, `submit` for buttons.
    pub kind: String,
    pub name: String,
    pub value: String,
    pub checked: bool,
    pub disabled: bool,
}

impl Control {
    /// A submit button: `<button>` of type submit, `<input type=submit>`.
    pub fn is_submit(&self) -> bool {
        self.kind == "submit"
    }

    /// A control whose value the entry list carries (not a button).
    fn is_field(&self) -> bool {
        !self.button
            && !matches!(
                self.kind.as_str(),
                "submit" | "image" | "reset" | "button" | "file"
            )
    }
}

impl Form {
    /// Whether the form has a field (not a button) named `name`.
    pub fn has_field(&self, name: &str) -> bool {
        self.controls.iter().any(|c| c.is_field() && c.name == name)
    }

    /// The value of its first field named `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.controls
            .iter()
            .find(|c| c.is_field() && c.name == name)
            .map(|c| c.value.as_str())
    }

    /// The index of its submit button named `name` (with `value`, when given).
    pub fn submit_button(&self, name: &str, value: Option<&str>) -> Option<usize> {
        self.controls.iter().position(|c| {
            c.is_submit() && !c.disabled && c.name == name && value.is_none_or(|v| c.value == v)
        })
    }

    /// The index of its first submit button: the one pressing Enter in a
    /// field submits with (HTML §4.10.21.2, the default button).
    pub fn default_button(&self) -> Option<usize> {
        self.controls.iter().position(|c| c.is_submit() && !c.disabled)
    }

    /// The name-value pairs the form submits with `submitter` (an index into
    /// its controls): every enabled, named field in order (a checkbox or
    /// radio only when checked, `on` without a value), each `fill` name's
    /// value replacing its first field's, and the submitter's own pair.
    pub fn entries(&self, fill: &[(&str, &str)], submitter: Option<usize>) -> Vec<(String, String)> {
        let mut filled: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for (i, c) in self.controls.iter().enumerate() {
            if c.disabled || c.name.is_empty() {
                continue;
            }
            if c.is_submit() || c.button {
                if Some(i) == submitter {
                    out.push((c.name.clone(), c.value.clone()));
                }
                continue;
            }
            if !c.is_field() {
                continue;
            }
            if matches!(c.kind.as_str(), "checkbox" | "radio") {
                if c.checked {
                    let value = if c.value.is_empty() { "on" } else { &c.value };
                    out.push((c.name.clone(), value.to_string()));
                }
                continue;
            }
            let value = match fill.iter().find(|(n, _)| *n == c.name) {
                Some((n, v)) if !filled.contains(n) => {
                    filled.push(n);
                    v.to_string()
                }
                _ => c.value.clone(),
            };
            out.push((c.name.clone(), value));
        }
        out
    }
}

/// The forms of `html`, in document order.
pub fn forms(html: &str) -> Vec<Form> {
    let mut forms: Vec<Form> = Vec::new();
    let mut open = false;
    let mut controls = 0;
    let mut at = 0;
    while let Some(lt) = html[at..].find('<').map(|i| at + i) {
        let rest = &html[lt..];
        if rest.starts_with("<!--") {
            at = rest.find("-->").map_or(html.len(), |i| lt + i + 3);
            continue;
        }
        let Some(tag) = Tag::read(rest) else {
            at = lt + 1;
            continue;
        };
        at = lt + tag.len;
        match (tag.closing, tag.name.as_str()) {
            (false, "script" | "style") => {
                let end = format!("</{}", tag.name);
                at = find_ignore_case(&html[at..], &end).map_or(html.len(), |i| at + i);
            }
            (false, "form") if !open => {
                open = true;
                forms.push(Form {
                    id: tag.attribute("id"),
                    action: tag.attribute("action"),
                    post: tag
                        .attribute("method")
                        .is_some_and(|m| m.eq_ignore_ascii_case("post")),
                    controls: Vec::new(),
                });
            }
            (true, "form") => open = false,
            (false, "input" | "button") if open && controls < MAX_CONTROLS => {
                controls += 1;
                let button = tag.name == "button";
                let default = if button { "submit" } else { "text" };
                let kind = tag
                    .attribute("type")
                    .map(|t| t.to_ascii_lowercase())
                    .filter(|t| !button || matches!(t.as_str(), "submit" | "reset" | "button"))
                    .unwrap_or_else(|| default.to_string());
                if let Some(form) = forms.last_mut() {
                    form.controls.push(Control {
                        button,
                        kind,
                        name: tag.attribute("name").unwrap_or_default(),
                        value: tag.attribute("value").unwrap_or_default(),
                        checked: tag.attribute("checked").is_some(),
                        disabled: tag.attribute("disabled").is_some(),
                    });
                }
            }
            _ => {}
        }
    }
    forms
}

/// A start or end tag: its lower-case name and attributes (names lower-case,
/// values decoded; the first of a name wins, as in HTML).
struct Tag {
    closing: bool,
    name: String,
    attributes: Vec<(String, String)>,
    /// Bytes from `<` to just past `>` (or to the end of the input).
    len: usize,
}

impl Tag {
    /// The tag at the start of `s` (which starts with `<`), if it is one.
    fn read(s: &str) -> Option<Self> {
        let bytes = s.as_bytes();
        let mut i = 1;
        let closing = bytes.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let name_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        if i == name_start || !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        let name = s[name_start..i].to_ascii_lowercase();
        let mut attributes: Vec<(String, String)> = Vec::new();
        loop {
            while bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
            {
                i += 1;
            }
            match bytes.get(i) {
                None => break,
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(_) => {}
            }
            let start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
            {
                i += 1;
            }
            let attribute = s[start..i].to_ascii_lowercase();
            while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                let raw = match bytes.get(i) {
                    Some(q @ (b'"' | b'\'')) => {
                        let end = s[i + 1..].find(char::from(*q)).map_or(s.len(), |e| i + 1 + e);
                        let raw = &s[i + 1..end];
                        i = (end + 1).min(s.len());
                        raw
                    }
                    _ => {
                        let start = i;
                        while bytes
                            .get(i)
                            .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                        {
                            i += 1;
                        }
                        &s[start..i]
                    }
                };
                value = decode(raw);
            }
            if !attribute.is_empty() && !attributes.iter().any(|(n, _)| *n == attribute) {
                attributes.push((attribute, value));
            }
        }
        Some(Self {
            closing,
            name,
            attributes,
            len: i,
        })
    }

    fn attribute(&self, name: &str) -> Option<String> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Character references in an attribute value: the five named ones any
/// server escapes with, and numeric ones; anything else is kept as written.
fn decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let reference = rest
            .find(';')
            .filter(|end| *end <= 10)
            .and_then(|end| Some((char_of(&rest[1..end])?, end)));
        match reference {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character `&name;` stands for.
fn char_of(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        n => match n.strip_prefix("#x").or_else(|| n.strip_prefix("#X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => n.strip_prefix('#')?.parse().ok()?,
        },
    };
    char::from_u32(code).filter(|c| *c != '\0')
}

#[cfg(test)]
#[path = "forms_tests.rs"]
mod tests;
