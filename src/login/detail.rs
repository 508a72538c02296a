//! A label and a value on a page, and a list of them: the claims to be
//! shared, the details of a request. Every value escaped ([`Text`]).

use super::html::Text;

/// A label and a value: a claim to be shared ("E-mail", "alice@...") or a
/// detail of the request ("Amount", "12.50").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailLine<'a> {
    /// What the value is.
    pub label: &'a str,
    /// The value.
    pub value: &'a str,
}

/// `lines` as a `<dl>` of escaped labels and values.
pub(crate) fn definition_list(lines: &[DetailLine<'_>]) -> String {
    let mut out = String::from("<dl>\n");
    for line in lines {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>\n",
            Text(line.label),
            Text(line.value)
        ));
    }
    out.push_str("</dl>\n");
    out
}
