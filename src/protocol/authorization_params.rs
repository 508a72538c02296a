//! The authorization request parameters PAR works from: either the form
//! itself, or the members of a verified request object (RFC 9101 §6.3:
//! with a request object, only its parameters are used; FAPI 2.0 Message
//! Signing §5.3.1: "shall only use the parameters in the signed request
//! object").
//!
//! Both read the same way: [`AuthorizationParams::get`] gives a parameter as
//! text, as the form carries it. A request object member that is not a
//! string (a number, a boolean, or a JSON object or array such as
//! `authorization_details` (RFC 9396 §2) or `claims` (OIDC Core §5.5)) is
//! given as its compact JSON text, so a parser written for the form reads
//! it unchanged; [`AuthorizationParams::json`] gives the JSON value itself
//! without parsing text again.

use super::error::OAuthError;
use super::form::Form;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where the parameters came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamsSource {
    /// The form body of the request.
    Form,
    /// A verified, signed request object (RFC 9101).
    RequestObject,
}

/// The authorization request parameters, from one source only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationParams {
    source: ParamsSource,
    text: BTreeMap<String, String>,
    /// Request object members as sent (JSON); empty for a form.
    json: Map<String, Value>,
}

impl AuthorizationParams {
    /// The parameters of a form (RFC 6749 §3.1 rules already applied by [`Form`]).
    pub fn from_form(form: &Form) -> Self {
        Self {
            source: ParamsSource::Form,
            text: form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            json: Map::new(),
        }
    }

    /// The members of a verified request object's claims set. JWT claims
    /// that are not authorization parameters (`iss`, `aud`, `exp`, `nbf`,
    /// `iat`, `jti`) stay readable; nobody asks for them as parameters.
    /// An empty string or `null` counts as omitted (RFC 6749 §3.1).
    pub fn from_request_object(claims: Map<String, Value>) -> Self {
        let mut text = BTreeMap::new();
        for (name, value) in &claims {
            let rendered = match value {
                Value::Null => continue,
                Value::String(s) if s.is_empty() => continue,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text.insert(name.clone(), rendered);
        }
        Self {
            source: ParamsSource::RequestObject,
            text,
            json: claims,
        }
    }

    /// Where the parameters came from.
    pub fn source(&self) -> ParamsSource {
        self.source
    }

    /// The value of `name` as text, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.text.get(name).map(String::as_str)
    }

    /// The value of `name`, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter `{name}`")))
    }

    /// A JSON-valued parameter (`authorization_details`, `claims`): the
    /// request object's member as sent, or the form's text parsed as JSON
    /// (`invalid_request` if it is not JSON).
    pub fn json(&self, name: &str) -> Result<Option<Value>, OAuthError> {
        match self.source {
            ParamsSource::RequestObject => Ok(self.json.get(name).filter(|v| !v.is_null()).cloned()),
            ParamsSource::Form => match self.get(name) {
                None => Ok(None),
                Some(text) => serde_json::from_str(text)
                    .map(Some)
                    .map_err(|_| OAuthError::invalid_request(format!("`{name}` is not valid JSON"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> AuthorizationParams {
        let Value::Object(map) = value else { panic!() };
        AuthorizationParams::from_request_object(map)
    }

    #[test]
    fn form_parameters_read_as_sent() {
        let form =
            Form::parse(b"scope=openid&state=s1&authorization_details=%5B%7B%22type%22%3A%22x%22%7D%5D")
                .unwrap();
        let params = AuthorizationParams::from_form(&form);
        assert_eq!(params.source(), ParamsSource::Form);
        assert_eq!(params.get("scope"), Some("openid"));
        assert!(params.require("nonce").is_err());
        assert_eq!(
            params.json("authorization_details").unwrap(),
            Some(json!([{"type": "x"}]))
        );
        let bad = AuthorizationParams::from_form(&Form::parse(b"claims=%7Bnot").unwrap());
        assert!(bad.json("claims").is_err());
    }

    #[test]
    fn request_object_members_read_like_the_form_rfc9101_s6_3() {
        let params = object(json!({
            "scope": "openid", "state": "", "max_age": 300, "nonce": null,
            "authorization_details": [{"type": "payment_initiation", "amount": "10.00"}],
        }));
        assert_eq!(params.source(), ParamsSource::RequestObject);
        assert_eq!(params.get("scope"), Some("openid"));
        // RFC 6749 §3.1: empty values are omitted.
        assert_eq!(params.get("state"), None);
        assert_eq!(params.get("nonce"), None);
        assert_eq!(params.get("max_age"), Some("300"));
        // RFC 9396 §2: a JSON array in the object; text for form-style parsers,
        // the value itself through `json`.
        let text = params.get("authorization_details").unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(text).unwrap(),
            json!([{"type": "payment_initiation", "amount": "10.00"}])
        );
        assert_eq!(
            params.json("authorization_details").unwrap().unwrap()[0]["amount"],
            "10.00"
        );
        assert_eq!(params.json("claims").unwrap(), None);
    }
}
