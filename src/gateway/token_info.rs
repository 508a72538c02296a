//! What the gateway knows about an access token, from an introspection
//! answer (RFC 7662 §2.2) or a JWT access token's claims (RFC 9068 §2.2):
//! both use the same member names. Sans-IO, `now` passed in.

use super::errors::Refusal;
use serde_json::{Map, Value};

/// The token's sender constraint (RFC 7800 `cnf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cnf {
    /// RFC 9449 §6: `cnf.jkt`, a DPoP key thumbprint.
    Jkt(String),
    /// RFC 8705 §3.1: `cnf.x5t#S256`, a certificate thumbprint.
    X5tS256(String),
}

/// An active token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The client it was issued to.
    pub client_id: String,
    /// The customer, when the token has one (`sub`).
    pub sub: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// The binding; FAPI 2.0 §5.3.2.1 tokens always have one.
    pub cnf: Cnf,
    /// RFC 9396 `authorization_details`, as JSON.
    pub authorization_details: Option<Value>,
    /// The grant the token was issued under (`grant_id`: the OP tells
    /// resource servers at introspection, and JWT access tokens of a
    /// customer's grant carry it); absent for a client_credentials token.
    pub grant_id: Option<String>,
    /// The UK OBIE consent the token was authorised under, as the OP's
    /// introspection describes it to resource servers
    /// (`openbanking_consent`: `ConsentId`, `Status`, `Initiation`, `Risk`),
    /// or as a JWT access token carries it (the same without `Status`).
    pub openbanking_consent: Option<Value>,
}

impl TokenInfo {
    /// Reads an active token's members; an inactive, expired or unbound
    /// token, or one that is not an access token, is `invalid_token`.
    pub fn from_claims(claims: &Map<String, Value>, now: u64) -> Result<Self, Refusal> {
        let invalid = |why: &str| Refusal::InvalidToken(why.to_string());
        let string = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        // RFC 7662 §2.2: `token_type` is an access token type (RFC 6749
        // §7.1: `Bearer`, RFC 9449 §6.2: `DPoP`, compared case-insensitively,
        // RFC 6750 §2.1). Anything else, a refresh token above all (RFC 6749
        // §1.5: for the token endpoint only), does not open the API.
        if let Some(token_type) = claims.get("token_type") {
            let access = token_type
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("dpop"));
            if !access {
                return Err(invalid(
                    "the token is not an access token (RFC 7662 Section 2.2 token_type)",
                ));
            }
        }
        let client_id = string("client_id").ok_or_else(|| invalid("the token has no client_id"))?;
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid("the token has no exp"))?;
        if exp <= now {
            return Err(invalid("the token has expired"));
        }
        let cnf = claims.get("cnf").and_then(Value::as_object);
        let cnf = match (
            cnf.and_then(|c| c.get("jkt")).and_then(Value::as_str),
            cnf.and_then(|c| c.get("x5t#S256")).and_then(Value::as_str),
        ) {
            (Some(jkt), None) => Cnf::Jkt(jkt.to_owned()),
            (None, Some(x5t)) => Cnf::X5tS256(x5t.to_owned()),
            // FAPI 2.0 §5.3.2.1: only sender-constrained tokens.
            _ => return Err(invalid("the token is not sender-constrained")),
        };
        let sub = string("sub").filter(|sub| *sub != client_id);
        Ok(Self {
            scopes: string("scope")
                .map(|s| {
                    s.split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            client_id,
            sub,
            exp,
            cnf,
            authorization_details: claims.get("authorization_details").cloned(),
            grant_id: string("grant_id"),
            openbanking_consent: claims
                .get("openbanking_consent")
                .filter(|c| c.is_object())
                .cloned(),
        })
    }

    /// OBIE Account Access Consents: whether the token's consent has an
    /// `ExpirationDateTime` that has passed at `now` (an unreadable one
    /// counts as past). Introspection already answers such a token
    /// inactive; a JWT access token, or a cached answer, still carries it.
    pub fn consent_expired(&self, now: u64) -> bool {
        self.openbanking_consent
            .as_ref()
            .and_then(|c| c.get("ExpirationDateTime"))
            .is_some_and(|e| {
                e.as_str()
                    .and_then(crate::consent::dates::unix)
                    .is_none_or(|at| at <= now)
            })
    }

    /// Whether every scope of `required` was granted.
    pub fn missing_scope<'a>(&self, required: &'a [String]) -> Option<&'a str> {
        required
            .iter()
            .find(|scope| !self.scopes.contains(scope))
            .map(String::as_str)
    }
}

/// How the token was presented (RFC 6750 §2.1, RFC 9449 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer`.
    Bearer,
    /// `Authorization: DPoP`.
    Dpop,
}

/// Parses `Authorization` (one header; scheme case-insensitive, RFC 9110 §11.1).
pub fn parse_authorization(value: &str) -> Result<(Scheme, &str), Refusal> {
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| Refusal::InvalidToken("malformed Authorization header".into()))?;
    let token = token.trim();
    // RFC 6750 §2.1 b64token.
    let b64token = !token.is_empty()
        && token
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !b64token {
        return Err(Refusal::InvalidToken("malformed access token".into()));
    }
    match scheme {
        s if s.eq_ignore_ascii_case("bearer") => Ok((Scheme::Bearer, token)),
        s if s.eq_ignore_ascii_case("dpop") => Ok((Scheme::Dpop, token)),
        _ => Err(Refusal::InvalidToken("unsupported authorization scheme".into())),
    }
}

/// RFC 8705 §3 / RFC 9449 §7.1: the presented binding must be the token's.
/// `cert_x5t` is the thumbprint of the connection's certificate; `proof_jkt`
/// that of a checked DPoP proof's key (when the scheme is DPoP).
pub fn check_binding(
    token: &TokenInfo,
    scheme: Scheme,
    cert_x5t: &str,
    proof_jkt: Option<&str>,
) -> Result<(), Refusal> {
    match (&token.cnf, scheme) {
        // RFC 8705 §3: a certificate-bound token with the same certificate.
        (Cnf::X5tS256(x5t), Scheme::Bearer) if x5t == cert_x5t => Ok(()),
        (Cnf::X5tS256(_), Scheme::Bearer) => Err(Refusal::InvalidToken(
            "the token is bound to another certificate (RFC 8705 §3)".into(),
        )),
        (Cnf::X5tS256(_), Scheme::Dpop) => Err(Refusal::InvalidToken(
            "a certificate-bound token is presented as Bearer (RFC 8705 §3)".into(),
        )),
        // RFC 9449 §7.1: a DPoP-bound token only with the DPoP scheme.
        (Cnf::Jkt(_), Scheme::Bearer) => Err(Refusal::InvalidToken(
            "a DPoP-bound token needs the DPoP scheme and a proof (RFC 9449 §7.1)".into(),
        )),
        (Cnf::Jkt(jkt), Scheme::Dpop) => match proof_jkt {
            Some(proof) if proof == jkt => Ok(()),
            Some(_) => Err(Refusal::InvalidDpopProof(
                "the proof's key is not the token's (RFC 9449 §4.3 item 12)".into(),
            )),
            None => Err(Refusal::InvalidDpopProof("no DPoP proof".into())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(claims: Value) -> Result<TokenInfo, Refusal> {
        TokenInfo::from_claims(claims.as_object().unwrap(), 100)
    }

    #[test]
    fn an_active_bound_token_is_read_rfc7662_s2_2() {
        let t = info(
            json!({"active": true, "client_id": "c", "sub": "acc-1", "scope": "accounts payments",
            "exp": 200, "cnf": {"x5t#S256": "abc"}}),
        )
        .unwrap();
        assert_eq!(t.sub.as_deref(), Some("acc-1"));
        assert_eq!(t.missing_scope(&["payments".into()]), None);
        assert_eq!(
            t.missing_scope(&["fundsconfirmations".into()]),
            Some("fundsconfirmations")
        );
        assert_eq!(t.cnf, Cnf::X5tS256("abc".into()));
    }

    /// RFC 7662 §2.2 `token_type`, RFC 6749 §1.5: only an access token
    /// type opens the API; an answer without the member is read as before.
    #[test]
    fn only_access_token_types_are_accepted_rfc7662_s2_2() {
        let with =
            |t: Value| info(json!({"client_id": "c", "exp": 200, "cnf": {"jkt": "k"}, "token_type": t}));
        assert!(with(json!("DPoP")).is_ok());
        assert!(with(json!("bearer")).is_ok());
        for other in [json!("refresh_token"), json!("N_A"), json!(7), Value::Null] {
            assert!(
                matches!(with(other.clone()), Err(Refusal::InvalidToken(_))),
                "{other}"
            );
        }
        assert!(info(json!({"client_id": "c", "exp": 200, "cnf": {"jkt": "k"}})).is_ok());
    }

    #[test]
    fn expired_or_unbound_tokens_are_invalid() {
        assert!(info(json!({"client_id": "c", "exp": 100, "cnf": {"jkt": "k"}})).is_err());
        assert!(info(json!({"client_id": "c", "exp": 200})).is_err());
    }

    /// OBIE Account Access Consents: `ExpirationDateTime` ends the token's
    /// consent in both validation modes (the same member in introspection
    /// answers and JWT claims).
    #[test]
    fn a_consent_past_its_expiration_date_time_is_expired() {
        // 1970-01-01T00:03:20Z is unix 200.
        let with = |expiration: Value| {
            info(json!({"client_id": "c", "exp": 500, "cnf": {"jkt": "k"},
                "openbanking_consent": {"ConsentId": "aac-1", "ExpirationDateTime": expiration}}))
            .unwrap()
        };
        let dated = with(json!("1970-01-01T00:03:20Z"));
        assert!(!dated.consent_expired(199));
        assert!(dated.consent_expired(200));
        assert!(with(json!("soon")).consent_expired(0));
        assert!(with(json!(7)).consent_expired(0));
        let open = info(json!({"client_id": "c", "exp": 500, "cnf": {"jkt": "k"},
            "openbanking_consent": {"ConsentId": "aac-1"}}))
        .unwrap();
        assert!(!open.consent_expired(u64::MAX));
    }

    #[test]
    fn bindings_are_enforced_rfc8705_s3_rfc9449_s7_1() {
        let cert = info(json!({"client_id": "c", "exp": 200, "cnf": {"x5t#S256": "abc"}})).unwrap();
        assert!(check_binding(&cert, Scheme::Bearer, "abc", None).is_ok());
        assert!(check_binding(&cert, Scheme::Bearer, "other", None).is_err());
        let dpop = info(json!({"client_id": "c", "exp": 200, "cnf": {"jkt": "k"}})).unwrap();
        assert!(check_binding(&dpop, Scheme::Dpop, "abc", Some("k")).is_ok());
        assert!(check_binding(&dpop, Scheme::Dpop, "abc", Some("j")).is_err());
        assert!(check_binding(&dpop, Scheme::Dpop, "abc", None).is_err());
        assert!(check_binding(&dpop, Scheme::Bearer, "abc", None).is_err());
    }

    #[test]
    fn authorization_header_schemes_rfc6750_s2_1() {
        assert_eq!(
            parse_authorization("Bearer abc").unwrap(),
            (Scheme::Bearer, "abc")
        );
        assert_eq!(
            parse_authorization("dpop a-b_c").unwrap(),
            (Scheme::Dpop, "a-b_c")
        );
        assert!(parse_authorization("Basic abc").is_err());
        assert!(parse_authorization("Bearer a b").is_err());
    }
}
