//! `application/x-www-form-urlencoded` bodies and query strings.
//!
//! RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be
//! included more than once", and parameters sent without a value are treated
//! as omitted. A repeated parameter is refused here, before any endpoint sees
//! the request, so no endpoint can pick the first or the last by accident.

use super::error::OAuthError;
use std::collections::BTreeMap;

/// Parsed form parameters: each name at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    params: BTreeMap<String, String>,
}

impl Form {
    /// Parses `input`, refusing repeated names and non-UTF-8 text.
    pub fn parse(input: &[u8]) -> Result<Self, OAuthError> {
        if std::str::from_utf8(input).is_err() {
            return Err(OAuthError::invalid_request("the form body is not UTF-8"));
        }
        let mut params = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(input) {
            if name.is_empty() {
                continue;
            }
            if params.insert(name.to_string(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{name}` is included more than once (RFC 6749 §3.1)"
                )));
            }
        }
        // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
        params.retain(|_, v| !v.is_empty());
        Ok(Self { params })
    }

    /// The value of `name`, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The value of `name`, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter `{name}`")))
    }

    /// Every parameter with a value, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of parameters with a value.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// True when no parameter has a value.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

/// `base` with `params` appended as a query (RFC 6749 §4.1.2: keep any
/// query the redirect URI already has).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", query.finish())
}

/// `base` with `params` as its fragment (OAuth 2.0 Multiple Response Types
/// §5: the hybrid response's default mode). Registered redirect URIs carry
/// no fragment (RFC 6749 §3.1.2).
pub fn with_fragment(base: &str, params: &[(&str, &str)]) -> String {
    let mut fragment = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        fragment.append_pair(k, v);
    }
    format!("{base}#{}", fragment.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    #[test]
    fn fragment_carries_the_parameters_multiple_response_types_s5() {
        let url = with_fragment("https://c.example/cb?x=1", &[("code", "a b"), ("state", "s")]);
        assert_eq!(url, "https://c.example/cb?x=1#code=a+b&state=s");
    }

    #[test]
    fn parses_and_decodes() {
        let form =
            Form::parse(b"grant_type=authorization_code&redirect_uri=https%3A%2F%2Fa.example%2Fcb").unwrap();
        assert_eq!(form.get("grant_type"), Some("authorization_code"));
        assert_eq!(form.get("redirect_uri"), Some("https://a.example/cb"));
    }

    #[test]
    fn repeated_parameter_is_invalid_request_rfc6749_s3_1() {
        let err = Form::parse(b"scope=a&scope=b").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert!(err.to_string().contains("scope"));
    }

    #[test]
    fn repeated_even_when_encoded_differently() {
        assert!(Form::parse(b"scope=a&sc%6Fpe=b").is_err());
    }

    #[test]
    fn empty_value_is_omitted_rfc6749_s3_1() {
        let form = Form::parse(b"state=&scope=openid").unwrap();
        assert_eq!(form.get("state"), None);
        assert_eq!(form.len(), 1);
        assert!(form.require("state").is_err());
    }

    #[test]
    fn non_utf8_is_refused() {
        assert!(Form::parse(&[0x61, 0x3d, 0xff]).is_err());
    }

    #[test]
    fn redirect_keeps_the_registered_query_rfc6749_s4_1_2() {
        assert_eq!(
            with_query("https://a/cb", &[("code", "x y")]),
            "https://a/cb?code=x+y"
        );
        assert_eq!(
            with_query("https://a/cb?t=1", &[("code", "c")]),
            "https://a/cb?t=1&code=c"
        );
    }
}
