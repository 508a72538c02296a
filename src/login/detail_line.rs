//! A label and a value shown on a page: its own file so that the consent
//! page and its identity section both use it without importing each other.

/// A label and a value: a claim to be shared ("E-mail", "alice@...") or a
/// detail of the request ("Amount", "12.50").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailLine<'a> {
    /// What the value is.
    pub label: &'a str,
    /// The value.
    pub value: &'a str,
}
