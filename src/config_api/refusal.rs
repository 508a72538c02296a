//! Why a Config API caller was refused, in two tiers (STYLE.md §5): the
//! [`Reason`] for the audit record, metrics and logs, and on the wire only
//! what RFC 6750 §3 lets a client know — the challenge's error code
//! (`invalid_token`, `insufficient_scope` with the `scope` needed; RFC 9449
//! §7.1 `invalid_dpop_proof` under the `DPoP` scheme) and a problem body
//! with a title and no detail.

use super::problem::Problem;
use super::scope::Scope;
use crate::protocol::dpop::DpopReason;
use crate::protocol::jose::JoseError;
use bytes::Bytes;
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::{Response, StatusCode};

/// The algorithms a DPoP proof may use (RFC 9449 §7.1 `algs`).
const DPOP_ALGS: &str = "ES256 PS256 EdDSA";

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No `Authorization` header (RFC 6750 §3.1: no error code).
    NoToken,
    /// Not `Bearer` or `DPoP`, or not one token.
    UnsupportedScheme,
    /// Not a compact JWS, or too long.
    Malformed,
    /// `iss` is not a trusted issuer (RFC 9068 §4 item 2).
    UntrustedIssuer,
    /// `typ` is not `at+jwt` (RFC 9068 §4 item 1).
    WrongTyp,
    /// The signature does not verify with the issuer's keys, or its
    /// algorithm is not one the OP accepts (RFC 9068 §4 item 4).
    BadSignature,
    /// `aud` lacks the Config API's audience (RFC 9068 §4 item 3).
    WrongAudience,
    /// `exp` has passed (RFC 9068 §4 item 7).
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// A token this OP issued that it no longer holds: revoked (RFC 7009),
    /// under a revoked grant, or expired from the store.
    Revoked,
    /// A required claim is absent (RFC 9068 §2.2).
    MissingClaim(&'static str),
    /// A claim has the wrong type or value.
    BadClaim(&'static str),
    /// `config_api.require_sender_constrained` and the token has no `cnf`.
    Unbound,
    /// A certificate-bound token without that certificate (RFC 8705 §3).
    CertificateMismatch,
    /// A DPoP-bound token under the `Bearer` scheme, or an unbound one
    /// under `DPoP` (RFC 9449 §7.1).
    WrongScheme,
    /// A DPoP-bound token without a proof (RFC 9449 §7.1).
    DpopProofMissing,
    /// The proof fails a check of RFC 9449 §4.3.
    DpopProof(DpopReason),
    /// The proof is signed by another key than the token's `cnf.jkt`.
    DpopKeyMismatch,
    /// The proof's `jti` was used before (RFC 9449 §11.1).
    DpopReplay,
    /// The token lacks the operation's scope (RFC 6750 §3.1).
    InsufficientScope(Scope),
}

impl Reason {
    /// A stable name for the audit record and metrics (never token bytes).
    pub fn code(self) -> &'static str {
        match self {
            Reason::NoToken => "no_token",
            Reason::UnsupportedScheme => "unsupported_scheme",
            Reason::Malformed => "malformed",
            Reason::UntrustedIssuer => "untrusted_issuer",
            Reason::WrongTyp => "wrong_typ",
            Reason::BadSignature => "bad_signature",
            Reason::WrongAudience => "wrong_audience",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::Revoked => "revoked",
            Reason::MissingClaim(_) => "missing_claim",
            Reason::BadClaim(_) => "bad_claim",
            Reason::Unbound => "unbound",
            Reason::CertificateMismatch => "certificate_mismatch",
            Reason::WrongScheme => "wrong_scheme",
            Reason::DpopProofMissing => "dpop_proof_missing",
            Reason::DpopProof(_) => "dpop_proof_invalid",
            Reason::DpopKeyMismatch => "dpop_key_mismatch",
            Reason::DpopReplay => "dpop_replay",
            Reason::InsufficientScope(_) => "insufficient_scope",
        }
    }

    /// A signature check's failure: a wrong `typ` is its own reason.
    pub fn of_jose(error: JoseError) -> Self {
        match error {
            JoseError::TypMismatch | JoseError::TypMissing => Reason::WrongTyp,
            JoseError::TooLong | JoseError::Malformed(_) => Reason::Malformed,
            _ => Reason::BadSignature,
        }
    }
}

/// The authentication scheme the caller used or must use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 6750.
    Bearer,
    /// RFC 9449.
    Dpop,
}

/// A refusal: why, under which scheme it is challenged, and who the token
/// named when its signature verified (for the audit record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why.
    pub reason: Reason,
    /// The challenge's scheme.
    pub scheme: Scheme,
    /// `(iss, sub)` of a token whose signature verified.
    pub verified: Option<(String, String)>,
}

impl Refusal {
    /// A refusal before the signature verified.
    pub fn unverified(reason: Reason, scheme: Scheme) -> Self {
        Self {
            reason,
            scheme,
            verified: None,
        }
    }

    /// The response: 401 (403 for a missing scope) with `WWW-Authenticate`.
    pub fn response(&self) -> Response<Bytes> {
        let (status, challenge) = match (self.reason, self.scheme) {
            (Reason::NoToken, _) => (StatusCode::UNAUTHORIZED, "Bearer".to_string()),
            (Reason::InsufficientScope(scope), scheme) => (
                StatusCode::FORBIDDEN,
                format!(
                    "{} error=\"insufficient_scope\", scope=\"{}\"",
                    scheme_name(scheme),
                    scope.as_str()
                ),
            ),
            (
                Reason::DpopProofMissing
                | Reason::DpopProof(_)
                | Reason::DpopKeyMismatch
                | Reason::DpopReplay,
                _,
            ) => (
                StatusCode::UNAUTHORIZED,
                format!("DPoP error=\"invalid_dpop_proof\", algs=\"{DPOP_ALGS}\""),
            ),
            (_, Scheme::Dpop) => (
                StatusCode::UNAUTHORIZED,
                format!("DPoP error=\"invalid_token\", algs=\"{DPOP_ALGS}\""),
            ),
            (_, Scheme::Bearer) => (
                StatusCode::UNAUTHORIZED,
                "Bearer error=\"invalid_token\"".to_string(),
            ),
        };
        let mut response = Problem::refused_token(status).response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Bearer => "Bearer",
        Scheme::Dpop => "DPoP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(refusal: Refusal) -> (u16, String) {
        let response = refusal.response();
        let header = response.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_string();
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert!(
            body.get("detail").is_none(),
            "RFC 6750 §3: nothing beyond the code"
        );
        (response.status().as_u16(), header)
    }

    /// RFC 6750 §3 and §3.1, RFC 9449 §7.1.
    #[test]
    fn challenges_carry_the_code_only_rfc6750_s3() {
        assert_eq!(
            challenge(Refusal::unverified(Reason::Expired, Scheme::Bearer)),
            (401, "Bearer error=\"invalid_token\"".into())
        );
        assert_eq!(
            challenge(Refusal::unverified(Reason::NoToken, Scheme::Bearer)),
            (401, "Bearer".into())
        );
        let (status, header) = challenge(Refusal::unverified(Reason::DpopReplay, Scheme::Dpop));
        assert_eq!(status, 401);
        assert!(
            header.starts_with("DPoP error=\"invalid_dpop_proof\""),
            "{header}"
        );
        assert_eq!(
            challenge(Refusal::unverified(
                Reason::InsufficientScope(Scope::KeysWrite),
                Scheme::Bearer
            )),
            (
                403,
                "Bearer error=\"insufficient_scope\", scope=\"fiducia.keys.write\"".into()
            )
        );
    }
}
