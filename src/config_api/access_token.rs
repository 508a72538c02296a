//! The claims of a Config API access token (RFC 9068 §4), sans-IO with
//! `now` passed in. The signature is checked before (`issuers.rs`, with
//! `protocol::jose::verify_jws`: `typ` `at+jwt`, an asymmetric algorithm
//! the key itself names — never `none`, never HMAC); here the rest of §4:
//! `iss` (item 2), `aud` (item 3), `exp` (item 7), `iat` and `nbf` with a
//! small leeway, the §2.2 required claims, `scope` (§2.2.3) and `cnf`
//! (RFC 7800 §3.1: RFC 8705 §3.1 `x5t#S256` or RFC 9449 §6.1 `jkt`).

use super::refusal::Reason;
use crate::model::Binding;
use crate::protocol::jose::claims;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// RFC 9068 §2.1 / §4 item 1: the JOSE `typ` of an access token.
pub const TYP: &str = "at+jwt";
/// Clock skew tolerated on `exp`, `nbf` and `iat` (RFC 7519 §4.1.4 "a small
/// leeway").
pub const LEEWAY_SECS: u64 = 30;
/// Longest token looked at.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What a valid token says about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `client_id`.
    pub client_id: String,
    /// `scope`, space-separated.
    pub scope: String,
    /// `cnf`: what the token is bound to, if anything.
    pub binding: Option<Binding>,
    /// `exp`.
    pub expires_at: u64,
}

/// The `iss` of a token whose signature is not checked yet: only to choose
/// whose keys to check it with (RFC 9068 §4 item 2 names the issuer's keys).
pub fn unverified_issuer(token: &str) -> Result<String, Reason> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Reason::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Reason::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| Reason::Malformed)?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| Reason::Malformed)?;
    match claims.get("iss") {
        Some(Value::String(iss)) => Ok(iss.clone()),
        _ => Err(Reason::MissingClaim("iss")),
    }
}

/// RFC 9068 §4 items 2, 3 and 7 and the §2.2 claims of a token whose
/// signature verified with `issuer`'s keys.
pub fn check_claims(
    claims: &Map<String, Value>,
    issuer: &str,
    audience: &str,
    now: u64,
) -> Result<TokenClaims, Reason> {
    let string = |name: &'static str| -> Result<String, Reason> {
        match claims::string(claims, name) {
            Ok(Some(value)) if !value.is_empty() => Ok(value.to_string()),
            Ok(_) => Err(Reason::MissingClaim(name)),
            Err(_) => Err(Reason::BadClaim(name)),
        }
    };
    let date = |name: &'static str| claims::numeric_date(claims, name).map_err(|_| Reason::BadClaim(name));
    if string("iss")? != issuer {
        return Err(Reason::UntrustedIssuer);
    }
    match claims::audience(claims) {
        Ok(Some(aud)) if aud.contains(audience) => {}
        Ok(_) => return Err(Reason::WrongAudience),
        Err(_) => return Err(Reason::BadClaim("aud")),
    }
    let expires_at = date("exp")?.ok_or(Reason::MissingClaim("exp"))?;
    if expires_at.saturating_add(LEEWAY_SECS) <= now {
        return Err(Reason::Expired);
    }
    let issued_at = date("iat")?.ok_or(Reason::MissingClaim("iat"))?;
    if issued_at > now.saturating_add(LEEWAY_SECS) || issued_at > expires_at {
        return Err(Reason::BadClaim("iat"));
    }
    if date("nbf")?.is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS)) {
        return Err(Reason::NotYetValid);
    }
    // RFC 9068 §2.2: `sub`, `client_id` and `jti` are required.
    let subject = string("sub")?;
    let client_id = string("client_id")?;
    string("jti")?;
    let scope = match claims::string(claims, "scope") {
        Ok(scope) => scope.unwrap_or_default().to_string(),
        Err(_) => return Err(Reason::BadClaim("scope")),
    };
    Ok(TokenClaims {
        issuer: issuer.to_string(),
        subject,
        client_id,
        scope,
        binding: binding(claims)?,
        expires_at,
    })
}

/// `cnf` (RFC 7800 §3.1): a certificate thumbprint (RFC 8705 §3.1) or a
/// DPoP key thumbprint (RFC 9449 §6.1), not both; another confirmation
/// method is not one the Config API can check, so it is refused.
fn binding(claims: &Map<String, Value>) -> Result<Option<Binding>, Reason> {
    let Some(cnf) = claims.get("cnf") else {
        return Ok(None);
    };
    let Some(cnf) = cnf.as_object() else {
        return Err(Reason::BadClaim("cnf"));
    };
    let member = |name: &str| match cnf.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(Reason::BadClaim("cnf")),
    };
    match (member("x5t#S256")?, member("jkt")?) {
        (Some(x5t), None) if cnf.len() == 1 => Ok(Some(Binding::Mtls(x5t))),
        (None, Some(jkt)) if cnf.len() == 1 => Ok(Some(Binding::Dpop(jkt))),
        _ => Err(Reason::BadClaim("cnf")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://iam.example";
    const AUD: &str = "https://op.example/config-api";
    const NOW: u64 = 1_000_000;

    fn claims(overrides: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": ISS, "aud": AUD, "sub": "ops", "client_id": "ops-cli", "jti": "j1",
            "iat": NOW - 10, "exp": NOW + 300, "scope": "fiducia.config.read",
        });
        if let (Some(base), Some(more)) = (base.as_object_mut(), overrides.as_object()) {
            for (k, v) in more {
                match v {
                    Value::Null => base.remove(k),
                    v => base.insert(k.clone(), v.clone()),
                };
            }
        }
        base.as_object().cloned().unwrap()
    }

    fn check(overrides: Value) -> Result<TokenClaims, Reason> {
        check_claims(&claims(overrides), ISS, AUD, NOW)
    }

    #[test]
    fn a_good_token_passes_rfc9068_s4() {
        let ok = check(json!({ "aud": ["other", AUD], "cnf": { "jkt": "abc" } })).unwrap();
        assert_eq!(ok.subject, "ops");
        assert_eq!(ok.binding, Some(Binding::Dpop("abc".into())));
        assert_eq!(check(json!({})).unwrap().binding, None);
    }

    /// RFC 9068 §4 items 2, 3, 7; RFC 7519 §4.1.4/§4.1.5 with a leeway.
    #[test]
    fn issuer_audience_and_times_are_enforced_rfc9068_s4() {
        assert_eq!(
            check(json!({ "iss": "https://evil.example" })),
            Err(Reason::UntrustedIssuer)
        );
        assert_eq!(
            check(json!({ "aud": "https://op.example" })),
            Err(Reason::WrongAudience)
        );
        assert_eq!(check(json!({ "aud": null })), Err(Reason::WrongAudience));
        assert_eq!(check(json!({ "exp": NOW - LEEWAY_SECS })), Err(Reason::Expired));
        assert!(
            check(json!({ "exp": NOW - LEEWAY_SECS + 1, "iat": NOW - 100 })).is_ok(),
            "within the leeway"
        );
        assert_eq!(check(json!({ "exp": null })), Err(Reason::MissingClaim("exp")));
        assert_eq!(check(json!({ "nbf": NOW + 120 })), Err(Reason::NotYetValid));
        assert_eq!(check(json!({ "iat": NOW + 120 })), Err(Reason::BadClaim("iat")));
        assert_eq!(check(json!({ "exp": "soon" })), Err(Reason::BadClaim("exp")));
    }

    /// RFC 9068 §2.2: `sub`, `client_id`, `jti`, `iat` are required.
    #[test]
    fn the_required_claims_are_required_rfc9068_s2_2() {
        for claim in ["sub", "client_id", "jti", "iat"] {
            assert_eq!(
                check(json!({ claim: null })),
                Err(Reason::MissingClaim(claim)),
                "{claim}"
            );
        }
    }

    /// RFC 7800 §3.1: one confirmation method, of the two we can check.
    #[test]
    fn cnf_is_one_known_method() {
        let both = json!({ "cnf": { "jkt": "a", "x5t#S256": "b" } });
        assert_eq!(check(both), Err(Reason::BadClaim("cnf")));
        assert_eq!(
            check(json!({ "cnf": { "jwk": {} } })),
            Err(Reason::BadClaim("cnf"))
        );
        assert_eq!(
            check(json!({ "cnf": { "x5t#S256": "b" } })).unwrap().binding,
            Some(Binding::Mtls("b".into()))
        );
    }

    #[test]
    fn the_issuer_is_read_before_the_signature_only_to_pick_keys() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://iam.example"}"#);
        assert_eq!(unverified_issuer(&format!("e30.{payload}.sig")).unwrap(), ISS);
        assert_eq!(unverified_issuer("a.b"), Err(Reason::Malformed));
        assert_eq!(unverified_issuer("a.!!.c"), Err(Reason::Malformed));
        let no_iss = URL_SAFE_NO_PAD.encode(b"{}");
        assert_eq!(
            unverified_issuer(&format!("e30.{no_iss}.s")),
            Err(Reason::MissingClaim("iss"))
        );
    }
}
