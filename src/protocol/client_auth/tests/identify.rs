//! Which client a request claims to be (RFC 7521 §4.2, RFC 7523 §3).

use fiducia_hsm::JoseAlg;
use serde_json::{Value, json};

use crate::protocol::client_auth::*;
use crate::protocol::jose::JoseError;
use crate::protocol::jose::testing::{header, key, sign, unsigned};

fn assertion(claims: Value) -> String {
    let signer = key(JoseAlg::Es256);
    sign(&signer, &header(&signer, Some("k"), json!({})), &claims)
}

/// RFC 7521 §4.2: with an assertion `client_id` is optional; the assertion's
/// `sub` (= `iss`, RFC 7523 §3 items 1, 2.B) names the client.
#[test]
fn the_assertion_names_the_client_rfc7521_s4_2() {
    let jwt = assertion(json!({"iss": "client-1", "sub": "client-1", "aud": "x"}));
    assert_eq!(claimed_client_id(None, Some(&jwt)), Ok("client-1".into()));
    assert_eq!(
        claimed_client_id(Some("client-1"), Some(&jwt)),
        Ok("client-1".into())
    );
    assert_eq!(
        claimed_client_id(Some("mtls-client"), None),
        Ok("mtls-client".into())
    );
}

/// RFC 7521 §4.2: a `client_id` beside the assertion must be the same
/// client; nothing names a client, or the assertion names none: refused.
#[test]
fn a_client_id_that_disagrees_is_refused_rfc7521_s4_2() {
    let jwt = assertion(json!({"iss": "client-1", "sub": "client-1"}));
    assert_eq!(
        claimed_client_id(Some("client-2"), Some(&jwt)),
        Err(ClientAuthReason::ClientIdMismatch)
    );
    assert_eq!(
        claimed_client_id(None, None),
        Err(ClientAuthReason::MissingClientId)
    );
    let other_iss = assertion(json!({"iss": "client-2", "sub": "client-1"}));
    assert_eq!(
        claimed_client_id(None, Some(&other_iss)),
        Err(ClientAuthReason::IssMismatch)
    );
    let no_sub = assertion(json!({"iss": "client-1"}));
    assert_eq!(
        claimed_client_id(None, Some(&no_sub)),
        Err(ClientAuthReason::MissingClaim("sub"))
    );
    assert!(matches!(
        claimed_client_id(None, Some("not-a-jwt")),
        Err(ClientAuthReason::Jws(_))
    ));
    // RFC 8725 §3.1: an unsecured JWS is refused before its claims are read.
    let none = unsigned(
        &json!({"alg": "none"}),
        &json!({"iss": "client-1", "sub": "client-1"}),
    );
    assert_eq!(
        claimed_client_id(None, Some(&none)),
        Err(ClientAuthReason::Jws(JoseError::AlgNone))
    );
    // Always invalid_client on the wire (RFC 6749 §5.2).
    let wire: crate::protocol::error::OAuthError = ClientAuthReason::ClientIdMismatch.into();
    assert_eq!(wire.code, crate::protocol::error::ErrorCode::InvalidClient);
}
