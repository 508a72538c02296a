//! Why a JWS was refused. Callers wrap this in their own reason enum
//! (`ClientAuthReason::Jws`, `DpopReason::Jws`, ...) because the wire code
//! depends on what the JWS was for: `invalid_client` for a client assertion,
//! `invalid_dpop_proof` for a DPoP proof, `invalid_request_object` for JAR.

use fiducia_hsm::JoseAlg;

use super::jwk::JwkProblem;

/// A compact JWS could not be accepted. Carries no attacker-controlled text,
/// so it can be logged and used as a metric label as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Longer than [`super::MAX_COMPACT_JWS_LEN`].
    #[error("the JWS is too long")]
    TooLong,
    /// Not `header.payload.signature` in base64url (RFC 7515 §7.1), or a
    /// header that is not a JSON object.
    #[error("malformed JWS: {0}")]
    Malformed(&'static str),
    /// No `alg` (RFC 7515 §4.1.1: it is required).
    #[error("the JWS header has no `alg`")]
    MissingAlg,
    /// `alg: none`, in any spelling (RFC 8725 §3.1, §3.2).
    #[error("`alg: none` is never accepted (RFC 8725 §3.1)")]
    AlgNone,
    /// An HMAC `alg` (RFC 8725 §3.1: a public key used as an HMAC secret).
    #[error("symmetric `alg` is never accepted (RFC 8725 §3.1)")]
    AlgSymmetric,
    /// Any other `alg` than PS256, ES256, EdDSA (FAPI 2.0 §5.4.1).
    #[error("`alg` is not one of PS256, ES256, EdDSA")]
    AlgUnsupported,
    /// A `crit` header: we implement no extensions (RFC 7515 §4.1.11).
    #[error("`crit` header parameters are not supported (RFC 7515 §4.1.11)")]
    CritHeader,
    /// `b64` other than `true` (RFC 7797 §3): the payload would not be signed as sent.
    #[error("unencoded payloads (`b64`) are not accepted (RFC 7797)")]
    UnencodedPayload,
    /// `typ` missing where one is required (RFC 8725 §3.11).
    #[error("the JWS header has no `typ`")]
    TypMissing,
    /// `typ` is not the expected media type (RFC 7515 §4.1.9, RFC 8725 §3.11).
    #[error("unexpected `typ`")]
    TypMismatch,
    /// A `jwk` header that is malformed, unsupported or carries private members.
    #[error("`jwk` header: {0}")]
    HeaderJwk(JwkProblem),
    /// A `jwk` header was required (DPoP, RFC 9449 §4.2) but is absent.
    #[error("the JWS header has no `jwk`")]
    MissingHeaderJwk,
    /// `x5c` is not an array of base64 DER certificates (RFC 7515 §4.1.6).
    #[error("malformed `x5c` header")]
    HeaderX5c,
    /// `kid` names no registered key: the caller may refetch the JWKS once.
    #[error("no registered key has this `kid`")]
    UnknownKid,
    /// No `kid` and no registered key for the header's `alg`.
    #[error("no registered key for this `alg`")]
    NoKeyForAlg,
    /// More than one candidate key: a `kid` is needed to choose.
    #[error("more than one registered key matches; a `kid` is required")]
    AmbiguousKey,
    /// The header's `alg` is not the selected key's algorithm: the algorithm
    /// is pinned to the key (RFC 8725 §3.1, RFC 7517 §4.4).
    #[error("`alg` {header} does not match the key's {key}")]
    AlgKeyMismatch {
        /// What the header claimed.
        header: JoseAlg,
        /// What the key is registered for.
        key: JoseAlg,
    },
    /// The signature does not verify (RFC 7515 §5.2 step 8).
    #[error("the JWS signature is invalid")]
    BadSignature,
    /// The payload is not a JSON object (RFC 7519 §7.2 step 10).
    #[error("the JWS payload is not a JSON object")]
    PayloadNotJsonObject,
}
