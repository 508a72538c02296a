//! Refusals in two tiers: [`Refusal`] says why (logs, metrics), and its
//! response is what the Open Banking Read/Write API returns: the
//! `OBErrorResponse1` shape `{"Code", "Id", "Message", "Errors":
//! [{"ErrorCode", "Message"}]}` with `UK.OBIE.*` error codes. Token
//! problems are 401 with `WWW-Authenticate` (RFC 6750 §3, RFC 9449 §7.1),
//! a missing scope 403 `insufficient_scope` (RFC 6750 §3.1).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde_json::json;

/// Why the gateway refused a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No verified client certificate (RFC 8705 §2: mTLS is required).
    #[error("a client certificate that chains to the ecosystem CA is required")]
    NoClientCertificate,
    /// No `Authorization: Bearer|DPoP` header (RFC 6750 §3.1: no error code).
    #[error("no access token")]
    NoToken,
    /// Malformed `Authorization` or the token is unknown, expired or revoked.
    #[error("{0}")]
    InvalidToken(String),
    /// The DPoP proof is missing or wrong (RFC 9449 §7.1).
    #[error("{0}")]
    InvalidDpopProof(String),
    /// The token lacks a scope the route needs (RFC 6750 §3.1).
    #[error("the token lacks the scope `{0}`")]
    InsufficientScope(String),
    /// The payment does not match the consent the token carries.
    #[error("{0}")]
    ConsentMismatch(String),
    /// The consent was used for another payment, or is no longer
    /// Authorised (the OP's reservation, OBIE: one payment per consent).
    #[error("{0}")]
    ConsentUsed(String),
    /// A header the route needs is absent (OBIE `x-idempotency-key`).
    #[error("{0}")]
    MissingHeader(String),
    /// A header is present but malformed (FAPI 1.0 Part 1 §6.2.2
    /// `x-fapi-auth-date`, `x-fapi-customer-ip-address`).
    #[error("{0}")]
    InvalidHeader(String),
    /// The body is not JSON.
    #[error("{0}")]
    InvalidBody(String),
    /// A field the payment check needs is absent.
    #[error("{0}")]
    MissingField(String),
    /// No route for this method and path.
    #[error("no such resource")]
    NotFound,
    /// Over the client's budget; retry after this many seconds (RFC 6585 §4).
    #[error("too many requests")]
    RateLimited(u64),
    /// The OP could not be asked.
    #[error("the token could not be checked now")]
    OpUnavailable,
    /// The bank API did not answer (502) or not in time (504).
    #[error("the bank API did not answer")]
    Upstream {
        /// Whether it was a time-out.
        timeout: bool,
    },
}

impl Refusal {
    /// Label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NoClientCertificate => "no_client_certificate",
            Refusal::NoToken => "no_token",
            Refusal::InvalidToken(_) => "invalid_token",
            Refusal::InvalidDpopProof(_) => "invalid_dpop_proof",
            Refusal::InsufficientScope(_) => "insufficient_scope",
            Refusal::ConsentMismatch(_) => "consent_mismatch",
            Refusal::ConsentUsed(_) => "consent_used",
            Refusal::MissingHeader(_) => "missing_header",
            Refusal::InvalidHeader(_) => "invalid_header",
            Refusal::InvalidBody(_) => "invalid_body",
            Refusal::MissingField(_) => "missing_field",
            Refusal::NotFound => "not_found",
            Refusal::RateLimited(_) => "rate_limited",
            Refusal::OpUnavailable => "op_unavailable",
            Refusal::Upstream { .. } => "upstream",
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Refusal::NoToken => (StatusCode::UNAUTHORIZED, "UK.OBIE.Header.Missing"),
            Refusal::NoClientCertificate | Refusal::InvalidToken(_) => {
                (StatusCode::UNAUTHORIZED, "UK.OBIE.Header.Invalid")
            }
            Refusal::InvalidDpopProof(_) => (StatusCode::UNAUTHORIZED, "UK.OBIE.Header.Invalid"),
            Refusal::InsufficientScope(_) => (StatusCode::FORBIDDEN, "UK.OBIE.Resource.ConsentMismatch"),
            Refusal::ConsentMismatch(_) => (StatusCode::FORBIDDEN, "UK.OBIE.Resource.ConsentMismatch"),
            Refusal::ConsentUsed(_) => (StatusCode::FORBIDDEN, "UK.OBIE.Resource.InvalidConsentStatus"),
            Refusal::MissingHeader(_) => (StatusCode::BAD_REQUEST, "UK.OBIE.Header.Missing"),
            Refusal::InvalidHeader(_) => (StatusCode::BAD_REQUEST, "UK.OBIE.Header.Invalid"),
            Refusal::InvalidBody(_) => (StatusCode::BAD_REQUEST, "UK.OBIE.Resource.InvalidFormat"),
            Refusal::MissingField(_) => (StatusCode::BAD_REQUEST, "UK.OBIE.Field.Missing"),
            Refusal::NotFound => (StatusCode::NOT_FOUND, "UK.OBIE.Resource.NotFound"),
            Refusal::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "UK.OBIE.UnexpectedError"),
            Refusal::OpUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "UK.OBIE.UnexpectedError"),
            Refusal::Upstream { timeout: true } => (StatusCode::GATEWAY_TIMEOUT, "UK.OBIE.UnexpectedError"),
            Refusal::Upstream { timeout: false } => (StatusCode::BAD_GATEWAY, "UK.OBIE.UnexpectedError"),
        }
    }

    /// RFC 6750 §3 / RFC 9449 §7.1: the challenge for token problems;
    /// `dpop` when the token was presented as a DPoP token.
    fn challenge(&self, dpop: bool) -> Option<String> {
        let scheme = if dpop { "DPoP" } else { "Bearer" };
        let algs = if dpop { ", algs=\"ES256 PS256 EdDSA\"" } else { "" };
        let error = match self {
            Refusal::NoToken | Refusal::NoClientCertificate => {
                return Some(format!("{scheme} realm=\"bank-api\"{algs}"));
            }
            Refusal::InvalidToken(_) => "invalid_token",
            Refusal::InvalidDpopProof(_) => "invalid_dpop_proof",
            Refusal::InsufficientScope(_) => "insufficient_scope",
            _ => return None,
        };
        // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
        let description: String = self
            .to_string()
            .replace('§', "Section ")
            .chars()
            .filter(|c| matches!(c, ' '..='~') && !matches!(c, '"' | '\\'))
            .collect();
        // RFC 6750 §3: `scope` names what an insufficient_scope token lacks.
        let scope = match self {
            Refusal::InsufficientScope(scope) => format!(", scope=\"{}\"", scope.replace(['"', '\\'], "")),
            _ => String::new(),
        };
        Some(format!(
            "{scheme} realm=\"bank-api\", error=\"{error}\", error_description=\"{description}\"{scope}{algs}"
        ))
    }

    /// The OB error response; `id` is the interaction id, `dpop` picks
    /// the `WWW-Authenticate` scheme.
    pub fn response(&self, id: &str, dpop: bool) -> Response<Bytes> {
        let (status, code) = self.status_and_code();
        let message = self.to_string();
        let body = json!({
            "Code": format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")),
            "Id": id,
            "Message": message,
            "Errors": [{ "ErrorCode": code, "Message": message }],
        });
        let mut response = Response::new(Bytes::from(body.to_string()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, crate::http::response::JSON);
        if let Some(challenge) = self.challenge(dpop)
            && let Ok(value) = HeaderValue::from_str(&challenge)
        {
            headers.insert(http::header::WWW_AUTHENTICATE, value);
        }
        if let Refusal::RateLimited(secs) = self {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(*secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_problems_are_401_with_a_challenge_rfc6750_s3() {
        let response = Refusal::InvalidToken("revoked".into()).response("id-1", false);
        assert_eq!(response.status(), 401);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""));
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["Id"], "id-1");
        assert_eq!(body["Errors"][0]["ErrorCode"], "UK.OBIE.Header.Invalid");
    }

    #[test]
    fn dpop_problems_use_the_dpop_scheme_rfc9449_s7_1() {
        let response = Refusal::InvalidDpopProof("no proof".into()).response("i", true);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("DPoP ") && challenge.contains("invalid_dpop_proof"));
        let response =
            Refusal::InvalidToken("bound elsewhere (RFC 8705 §3) \"x\"".into()).response("i", false);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains("(RFC 8705 Section 3) x\""), "{challenge}");
    }

    #[test]
    fn rate_limited_has_retry_after_rfc6585_s4() {
        let response = Refusal::RateLimited(3).response("i", false);
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
    }
}
