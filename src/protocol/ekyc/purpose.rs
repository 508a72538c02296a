//! `purpose`: why the client asks for a claim, shown to the customer on the
//! consent page. OpenID Connect for Identity Assurance Implementer's Draft 4
//! §5.1 defined it as a member of any requested claim (and §8 as a request
//! parameter): a string of 3 to 300 characters, else the request fails with
//! `invalid_request`. The final 1.0 text dropped the member in favour of a
//! separate specification; this OP keeps accepting it with the same rule,
//! because clients written against ID4 send it and the customer benefits.
//!
//! The text is kept as sent (ID4 §8: the OP shall not remove characters);
//! whoever renders it must escape it.

use super::limits::{PURPOSE_MAX_CHARS, PURPOSE_MIN_CHARS};
use crate::protocol::error::OAuthError;

/// A `purpose` of 3 to 300 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(String);

impl Purpose {
    /// Checks the length rule; `at` names where it was found, for the error.
    pub fn parse(text: &str, at: &str) -> Result<Self, OAuthError> {
        let chars = text.chars().count();
        if !(PURPOSE_MIN_CHARS..=PURPOSE_MAX_CHARS).contains(&chars) {
            return Err(OAuthError::invalid_request(format!(
                "`{at}` must be {PURPOSE_MIN_CHARS} to {PURPOSE_MAX_CHARS} characters, not {chars} \
                 (OpenID Connect for Identity Assurance ID4 §5.1)"
            )));
        }
        Ok(Self(text.to_string()))
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
