//! Whom the request is about (CIBA Core §7.1): exactly one of
//! `login_hint_token`, `id_token_hint` and `login_hint`. None, or more
//! than one, is `invalid_request` (§13). Resolving the hint to a customer
//! (`unknown_user_id`, `expired_login_hint_token`, an `id_token_hint` this
//! OP issued) is the caller's: it needs the accounts and the OP's keys.

use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::OAuthError;
use crate::protocol::jose::MAX_COMPACT_JWS_LEN;

/// Longest `login_hint` (an account id, a username, a phone number).
pub const MAX_LOGIN_HINT_LEN: usize = 256;

/// Longest `login_hint_token` or `id_token_hint` (a JWT).
pub const MAX_HINT_TOKEN_LEN: usize = MAX_COMPACT_JWS_LEN;

/// The hint a request carries, not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// §7.1 `login_hint`: a value identifying the customer to the OP.
    LoginHint(String),
    /// §7.1 `login_hint_token`: a token about the customer (its format is
    /// agreed out of band; expired: `expired_login_hint_token`).
    LoginHintToken(String),
    /// §7.1 `id_token_hint`: an ID token this OP issued to the client
    /// (OIDC Core §3.1.2.1), its `sub` the customer.
    IdTokenHint(String),
}

/// The three parameter names, in the order §7.1 lists them.
pub const HINT_PARAMETERS: [&str; 3] = ["login_hint_token", "id_token_hint", "login_hint"];

impl Hint {
    /// The parameter it came in.
    pub fn parameter(&self) -> &'static str {
        match self {
            Hint::LoginHintToken(_) => "login_hint_token",
            Hint::IdTokenHint(_) => "id_token_hint",
            Hint::LoginHint(_) => "login_hint",
        }
    }

    /// The value as sent.
    pub fn value(&self) -> &str {
        match self {
            Hint::LoginHint(v) | Hint::LoginHintToken(v) | Hint::IdTokenHint(v) => v,
        }
    }

    /// CIBA Core §7.1: the one hint of `params`.
    pub fn from_params(params: &AuthorizationParams) -> Result<Self, OAuthError> {
        let present: Vec<&str> = HINT_PARAMETERS
            .into_iter()
            .filter(|name| params.get(name).is_some())
            .collect();
        let name = match present.as_slice() {
            [one] => *one,
            [] => {
                return Err(OAuthError::invalid_request(
                    "one of login_hint_token, id_token_hint or login_hint is required (CIBA Core §7.1)",
                ));
            }
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "only one hint may be sent, not {} (CIBA Core §7.1)",
                    present.join(" and ")
                )));
            }
        };
        let value = params.require(name)?;
        let limit = if name == "login_hint" {
            MAX_LOGIN_HINT_LEN
        } else {
            MAX_HINT_TOKEN_LEN
        };
        if value.len() > limit {
            return Err(OAuthError::invalid_request(format!("`{name}` is too long")));
        }
        if value.chars().any(char::is_control) {
            return Err(OAuthError::invalid_request(format!(
                "`{name}` must not contain control characters"
            )));
        }
        let value = value.to_string();
        Ok(match name {
            "login_hint_token" => Hint::LoginHintToken(value),
            "id_token_hint" => Hint::IdTokenHint(value),
            _ => Hint::LoginHint(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;
    use crate::protocol::form::Form;

    fn hint(body: &str) -> Result<Hint, OAuthError> {
        Hint::from_params(&AuthorizationParams::from_form(
            &Form::parse(body.as_bytes()).unwrap(),
        ))
    }

    /// CIBA Core §7.1: each of the three alone is the hint.
    #[test]
    fn exactly_one_hint_is_taken_ciba_core_s7_1() {
        assert_eq!(hint("login_hint=alice").unwrap(), Hint::LoginHint("alice".into()));
        assert_eq!(
            hint("login_hint_token=eyJ.x.y").unwrap(),
            Hint::LoginHintToken("eyJ.x.y".into())
        );
        let id = hint("id_token_hint=eyJ.a.b").unwrap();
        assert_eq!((id.parameter(), id.value()), ("id_token_hint", "eyJ.a.b"));
        // RFC 6749 §3.1: an empty parameter counts as omitted.
        assert_eq!(hint("login_hint=alice&id_token_hint=").unwrap().value(), "alice");
    }

    /// CIBA Core §7.1 / §13: no hint, or two or three, is `invalid_request`.
    #[test]
    fn none_or_two_hints_are_invalid_request_ciba_core_s13() {
        for body in [
            "scope=openid",
            "login_hint=alice&id_token_hint=eyJ.a.b",
            "login_hint=alice&login_hint_token=eyJ.x.y",
            "login_hint_token=eyJ.x.y&id_token_hint=eyJ.a.b&login_hint=alice",
        ] {
            assert_eq!(hint(body).unwrap_err().code, ErrorCode::InvalidRequest, "{body}");
        }
    }

    #[test]
    fn oversized_or_control_character_hints_are_refused() {
        assert!(hint(&format!("login_hint={}", "a".repeat(256))).is_ok());
        assert!(hint(&format!("login_hint={}", "a".repeat(257))).is_err());
        assert!(hint("login_hint=al%0Aice").is_err());
    }
}
