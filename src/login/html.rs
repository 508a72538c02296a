//! HTML escaping. Every value interpolated into a page goes through
//! [`escape`] or [`Text`]; attribute values are always double-quoted.
//!
//! The five characters escaped are those HTML gives meaning to in text and in
//! quoted attribute values (HTML Living Standard §13.1.2.3, §13.1.2.6), plus
//! `'` so that a single-quoted attribute would be safe too (OWASP XSS
//! Prevention Cheat Sheet, rule 1).

use std::fmt;

/// `value` with `&`, `<`, `>`, `"` and `'` replaced by character references.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_escaped(&mut out, value);
    out
}

/// Appends `value`, escaped, to `out`.
pub fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Displays its text escaped: `format!("<p>{}</p>", Text(name))`.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a>(pub &'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            let reference = match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            };
            f.write_str(reference)?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_tag_is_inert() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    #[test]
    fn quotes_cannot_leave_an_attribute() {
        assert_eq!(escape(r#"" onmouseover="x"#), "&quot; onmouseover=&quot;x");
        assert_eq!(escape("' autofocus '"), "&#39; autofocus &#39;");
    }

    #[test]
    fn ampersand_is_escaped_first_class() {
        assert_eq!(escape("a&b &amp;"), "a&amp;b &amp;amp;");
    }

    #[test]
    fn other_text_is_unchanged_including_non_ascii() {
        assert_eq!(
            escape("Zahlung an Müller GmbH — 12,50 €"),
            "Zahlung an Müller GmbH — 12,50 €"
        );
        assert_eq!(escape(""), "");
    }

    #[test]
    fn display_wrapper_agrees_with_escape() {
        for s in ["<a href='x'>\"&\"</a>", "plain", "&&", "é<ü>"] {
            assert_eq!(Text(s).to_string(), escape(s));
        }
    }
}
