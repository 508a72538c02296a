//! The upstream OpenID Provider's ID token, validated as its relying party
//! must (OIDC Core §3.1.3.7), sans-IO, `now` passed in. The steps, in
//! order, each with its reason:
//!
//! | step | rule | reason |
//! |---|---|---|
//! | 1 | a JWS, not a JWE (no encryption was registered) | `Malformed` |
//! | 6, 7, 8 | signed by a key of the upstream's JWKS, its `alg` the key's and one of PS256, ES256, EdDSA (FAPI 2.0 §5.4.1); never `none` or HMAC (RFC 8725 §3.1) | `Signature`, `UnknownKey` |
//! | 2 | `iss` exactly the upstream's issuer | `Issuer` |
//! | 3 | `aud` holds our `client_id` and no other audience | `Audience` |
//! | 4, 5 | several audiences need `azp`; an `azp` is our `client_id` | `AuthorizedParty` |
//! | 9 | `exp` after now | `Expired` |
//! | 10 | `iat` present, not in the future beyond the skew, not older than the pending login | `IssuedAt` |
//! | 11 | `nonce` the one we sent (compared by its SHA-256) | `Nonce` |
//! | 12 | `acr`, when present, a bounded string | `Claims` |
//! | 13 | `auth_time` present when `max_age` was sent | `AuthTime` |
//! | OIDC Core §2 | `sub` 1 to 255 characters | `Subject` |

use super::jose::{ClientJwks, JoseError, claims, verify_jws};
use serde_json::{Map, Value};

/// The clock difference allowed for `iat` and `auth_time`, in seconds.
pub const CLOCK_SKEW_SECS: u64 = 60;
/// The longest `sub`, `acr` or `amr` value accepted (OIDC Core §2: `sub`
/// at most 255 ASCII characters).
const MAX_VALUE_LEN: usize = 255;
/// The most `amr` values kept.
const MAX_AMR: usize = 16;

/// What the ID token must match: the pending login's facts.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The upstream's issuer identifier.
    pub issuer: &'a str,
    /// Our `client_id` at the upstream.
    pub client_id: &'a str,
    /// SHA-256 (base64url) of the `nonce` sent.
    pub nonce_hash: &'a str,
    /// When the upstream login started (`iat` may not be older).
    pub started: u64,
    /// Whether `max_age` was sent (then `auth_time` is required).
    pub max_age_sent: bool,
    /// Now, Unix seconds.
    pub now: u64,
}

/// Why an ID token is refused: a label for logs and metrics, never the
/// token's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a compact JWS, or a claim of the wrong type.
    Malformed,
    /// Its `kid` (or algorithm) names no key of the upstream's JWKS.
    UnknownKey,
    /// The signature does not verify, or the algorithm is not allowed.
    Signature,
    /// `iss` is not the upstream's.
    Issuer,
    /// `aud` lacks our `client_id` or names another audience.
    Audience,
    /// `azp` missing with several audiences, or not our `client_id`.
    AuthorizedParty,
    /// `exp` missing or past.
    Expired,
    /// `iat` missing, in the future or before the login started.
    IssuedAt,
    /// `nonce` missing or not ours.
    Nonce,
    /// `auth_time` missing though `max_age` was sent, or in the future.
    AuthTime,
    /// `sub` missing or out of bounds.
    Subject,
    /// `acr` or `amr` out of bounds.
    Claims,
}

impl Refusal {
    /// The label used in logs and the `reason` of the refusal metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::UnknownKey => "unknown_key",
            Refusal::Signature => "signature",
            Refusal::Issuer => "issuer",
            Refusal::Audience => "audience",
            Refusal::AuthorizedParty => "azp",
            Refusal::Expired => "expired",
            Refusal::IssuedAt => "iat",
            Refusal::Nonce => "nonce",
            Refusal::AuthTime => "auth_time",
            Refusal::Subject => "sub",
            Refusal::Claims => "claims",
        }
    }
}

/// The customer's authentication at the upstream, as the ID token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamIdentity {
    /// The upstream's `sub`.
    pub sub: String,
    /// The upstream's `acr`, unmapped.
    pub acr: Option<String>,
    /// The upstream's `amr` (RFC 8176).
    pub amr: Vec<String>,
    /// `auth_time`, else `iat`.
    pub auth_time: u64,
    /// Every claim, for the configured claim mapping.
    pub claims: Map<String, Value>,
}

/// SHA-256 of `value`, base64url: how the pending login keeps its `nonce`.
pub fn hash(value: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Validates `id_token` against the upstream's `keys` and `expected`.
pub fn validate(
    id_token: &str,
    keys: &ClientJwks,
    expected: &Expected<'_>,
) -> Result<UpstreamIdentity, Refusal> {
    // Step 1: five parts would be a JWE, which we never registered for.
    if id_token.split('.').count() != 3 {
        return Err(Refusal::Malformed);
    }
    // Steps 6-8: the algorithm is pinned to the selected key; `none` and
    // HMAC are refused by the parser (RFC 8725 §3.1).
    let verified = verify_jws(id_token, &keys.keys, None).map_err(|e| match e {
        JoseError::UnknownKid | JoseError::NoKeyForAlg | JoseError::AlgKeyMismatch { .. } => {
            Refusal::UnknownKey
        }
        JoseError::BadSignature => Refusal::Signature,
        _ => Refusal::Malformed,
    })?;
    let c = &verified.claims;
    let bad = |_| Refusal::Malformed;
    // Step 2.
    if claims::string(c, "iss").map_err(bad)? != Some(expected.issuer) {
        return Err(Refusal::Issuer);
    }
    // Step 3: ours, and no audience we do not trust.
    let audiences: Vec<&str> = match claims::audience(c).map_err(bad)? {
        Some(claims::Audience::Single(aud)) => vec![aud],
        Some(claims::Audience::Multiple(auds)) => auds,
        None => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) || audiences.iter().any(|a| *a != expected.client_id) {
        return Err(Refusal::Audience);
    }
    // Steps 4 and 5.
    let azp = claims::string(c, "azp").map_err(bad)?;
    if (audiences.len() > 1 && azp.is_none()) || azp.is_some_and(|azp| azp != expected.client_id) {
        return Err(Refusal::AuthorizedParty);
    }
    // Step 9.
    match claims::numeric_date(c, "exp").map_err(bad)? {
        Some(exp) if expected.now < exp => {}
        _ => return Err(Refusal::Expired),
    }
    // Step 10.
    let iat = claims::numeric_date(c, "iat")
        .map_err(bad)?
        .ok_or(Refusal::IssuedAt)?;
    if iat > expected.now.saturating_add(CLOCK_SKEW_SECS)
        || iat.saturating_add(CLOCK_SKEW_SECS) < expected.started
    {
        return Err(Refusal::IssuedAt);
    }
    // Step 11.
    match claims::string(c, "nonce").map_err(bad)? {
        Some(nonce) if hash(nonce) == expected.nonce_hash => {}
        _ => return Err(Refusal::Nonce),
    }
    // Step 12: the value is mapped by the caller; here only its shape.
    let acr = claims::string(c, "acr").map_err(|_| Refusal::Claims)?;
    if acr.is_some_and(|a| a.is_empty() || a.len() > MAX_VALUE_LEN) {
        return Err(Refusal::Claims);
    }
    let amr = match c.get("amr") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_AMR => items
            .iter()
            .map(|v| {
                v.as_str()
                    .filter(|s| !s.is_empty() && s.len() <= MAX_VALUE_LEN)
                    .map(str::to_string)
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(Refusal::Claims)?,
        Some(_) => return Err(Refusal::Claims),
    };
    // Step 13.
    let auth_time = claims::numeric_date(c, "auth_time").map_err(|_| Refusal::AuthTime)?;
    if (expected.max_age_sent && auth_time.is_none())
        || auth_time.is_some_and(|t| t > expected.now.saturating_add(CLOCK_SKEW_SECS))
    {
        return Err(Refusal::AuthTime);
    }
    // OIDC Core §2: `sub` is required, at most 255 ASCII characters.
    let sub = match claims::string(c, "sub").map_err(|_| Refusal::Subject)? {
        Some(sub)
            if !sub.is_empty() && sub.len() <= MAX_VALUE_LEN && sub.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            sub
        }
        _ => return Err(Refusal::Subject),
    };
    Ok(UpstreamIdentity {
        sub: sub.to_string(),
        acr: acr.map(str::to_string),
        amr,
        auth_time: auth_time.unwrap_or(iat),
        claims: verified.claims.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::jose::testing::{hs256, key, sign, test_client, unsigned};
    use fiducia_hsm::{JoseAlg, Signer};
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;
    const ISS: &str = "https://idp.bank.example";
    const CLIENT: &str = "fiducia-op";
    const NONCE: &str = "n-0S6_WzA2Mj";

    fn expected(nonce_hash: &str) -> Expected<'_> {
        Expected {
            issuer: ISS,
            client_id: CLIENT,
            nonce_hash,
            started: NOW - 30,
            max_age_sent: false,
            now: NOW,
        }
    }

    fn claims(changes: Value) -> Value {
        let mut base = json!({
            "iss": ISS, "sub": "upstream-sub-1", "aud": CLIENT, "exp": NOW + 300,
            "iat": NOW - 5, "nonce": NONCE, "acr": "urn:bank:loa:high", "amr": ["pwd", "otp"],
        });
        crate::protocol::jose::testing::with_changes(base.take(), changes)
    }

    fn signed(client: &crate::protocol::jose::testing::TestClient, changes: Value) -> String {
        let header = json!({"alg": client.signer.alg().as_str(), "kid": "k1"});
        sign(&client.signer, &header, &claims(changes))
    }

    fn check(
        token: &str,
        keys: &[crate::protocol::jose::ClientJwk],
        nonce: &str,
    ) -> Result<UpstreamIdentity, Refusal> {
        let jwks = ClientJwks {
            keys: keys.to_vec(),
            ..ClientJwks::default()
        };
        validate(token, &jwks, &expected(&hash(nonce)))
    }

    /// A good ID token gives the upstream's `sub`, `acr`, `amr` and, without
    /// `auth_time`, `iat` as the authentication time.
    #[test]
    fn a_good_id_token_is_accepted() {
        let idp = test_client(JoseAlg::Es256, "k1");
        let identity = check(&signed(&idp, json!({})), &idp.keys, NONCE).unwrap();
        assert_eq!(identity.sub, "upstream-sub-1");
        assert_eq!(identity.acr.as_deref(), Some("urn:bank:loa:high"));
        assert_eq!(identity.amr, vec!["pwd".to_string(), "otp".to_string()]);
        assert_eq!(identity.auth_time, NOW - 5);
    }

    /// §3.1.3.7 steps 6-8: a key not in the upstream's JWKS, a bad
    /// signature, `none` and HMAC are refused.
    #[test]
    fn a_signature_not_by_the_upstreams_keys_is_refused_steps_6_to_8() {
        let idp = test_client(JoseAlg::Es256, "k1");
        let other = test_client(JoseAlg::Es256, "k1");
        assert_eq!(
            check(&signed(&other, json!({})), &idp.keys, NONCE),
            Err(Refusal::Signature)
        );
        let stranger = test_client(JoseAlg::Es256, "k9");
        let header = json!({"alg": "ES256", "kid": "k9"});
        let token = sign(&stranger.signer, &header, &claims(json!({})));
        assert_eq!(check(&token, &idp.keys, NONCE), Err(Refusal::UnknownKey));
        let none = unsigned(&json!({"alg": "none"}), &claims(json!({})));
        assert!(check(&none, &idp.keys, NONCE).is_err());
        let hmac = hs256(
            b"client-secret-as-key",
            &json!({"alg": "HS256", "kid": "k1"}),
            &claims(json!({})),
        );
        assert!(check(&hmac, &idp.keys, NONCE).is_err());
        // An RSA key under the ES256 key's kid: the algorithm is the key's.
        let rsa = key(JoseAlg::Ps256);
        let token = sign(&rsa, &json!({"alg": "PS256", "kid": "k1"}), &claims(json!({})));
        assert_eq!(check(&token, &idp.keys, NONCE), Err(Refusal::UnknownKey));
        assert_eq!(
            check("a.b.c.d.e", &idp.keys, NONCE),
            Err(Refusal::Malformed),
            "step 1: a JWE"
        );
    }

    /// §3.1.3.7 step 2: `iss` exactly the upstream's issuer.
    #[test]
    fn another_issuer_is_refused_step_2() {
        let idp = test_client(JoseAlg::Es256, "k1");
        for iss in [
            json!("https://idp.bank.example/"),
            json!(null),
            json!("https://evil.example"),
        ] {
            let token = signed(&idp, json!({ "iss": iss }));
            assert_eq!(check(&token, &idp.keys, NONCE), Err(Refusal::Issuer), "{iss}");
        }
    }

    /// §3.1.3.7 steps 3-5: `aud` must hold us and nobody else we do not
    /// trust; several audiences need `azp`, which must be us.
    #[test]
    fn a_wrong_audience_or_azp_is_refused_steps_3_to_5() {
        let idp = test_client(JoseAlg::Es256, "k1");
        let refused = |changes: Value| check(&signed(&idp, changes), &idp.keys, NONCE);
        assert_eq!(refused(json!({"aud": "another-client"})), Err(Refusal::Audience));
        assert_eq!(refused(json!({"aud": null})), Err(Refusal::Audience));
        assert_eq!(
            refused(json!({"aud": [CLIENT, "another-client"], "azp": CLIENT})),
            Err(Refusal::Audience)
        );
        assert_eq!(
            refused(json!({"aud": [CLIENT, CLIENT]})),
            Err(Refusal::AuthorizedParty)
        );
        assert_eq!(
            refused(json!({"azp": "another-client"})),
            Err(Refusal::AuthorizedParty)
        );
        assert!(refused(json!({"aud": [CLIENT]})).is_ok());
        assert!(refused(json!({"azp": CLIENT})).is_ok());
    }

    /// §3.1.3.7 steps 9 and 10: `exp` in the future; `iat` present, not in
    /// the future beyond the skew, not from before the login started.
    #[test]
    fn expired_or_badly_dated_tokens_are_refused_steps_9_and_10() {
        let idp = test_client(JoseAlg::Es256, "k1");
        let refused = |changes: Value| check(&signed(&idp, changes), &idp.keys, NONCE);
        assert_eq!(refused(json!({"exp": NOW})), Err(Refusal::Expired));
        assert_eq!(refused(json!({"exp": null})), Err(Refusal::Expired));
        assert_eq!(refused(json!({"iat": null})), Err(Refusal::IssuedAt));
        assert_eq!(
            refused(json!({"iat": NOW + CLOCK_SKEW_SECS + 1})),
            Err(Refusal::IssuedAt)
        );
        assert_eq!(refused(json!({"iat": NOW - 3_600})), Err(Refusal::IssuedAt));
        assert_eq!(refused(json!({"exp": "tomorrow"})), Err(Refusal::Malformed));
    }

    /// §3.1.3.7 step 11: the `nonce` must be the one sent.
    #[test]
    fn another_or_no_nonce_is_refused_step_11() {
        let idp = test_client(JoseAlg::Es256, "k1");
        assert_eq!(
            check(&signed(&idp, json!({})), &idp.keys, "another-nonce"),
            Err(Refusal::Nonce)
        );
        assert_eq!(
            check(&signed(&idp, json!({"nonce": null})), &idp.keys, NONCE),
            Err(Refusal::Nonce)
        );
    }

    /// §3.1.3.7 steps 12 and 13: `acr` and `amr` bounded; `auth_time`
    /// required when `max_age` was sent, never in the future; OIDC Core §2
    /// `sub` present and at most 255 characters.
    #[test]
    fn acr_auth_time_and_sub_are_checked_steps_12_13() {
        let idp = test_client(JoseAlg::Es256, "k1");
        let refused = |changes: Value| check(&signed(&idp, changes), &idp.keys, NONCE);
        assert_eq!(refused(json!({"acr": 5})), Err(Refusal::Claims));
        assert_eq!(refused(json!({"amr": "pwd"})), Err(Refusal::Claims));
        assert_eq!(refused(json!({"auth_time": NOW + 3_600})), Err(Refusal::AuthTime));
        assert_eq!(refused(json!({"sub": null})), Err(Refusal::Subject));
        assert_eq!(refused(json!({"sub": "x".repeat(256)})), Err(Refusal::Subject));
        let jwks = ClientJwks {
            keys: idp.keys.clone(),
            ..ClientJwks::default()
        };
        let nonce = hash(NONCE);
        let with_max_age = Expected {
            max_age_sent: true,
            ..expected(&nonce)
        };
        assert_eq!(
            validate(&signed(&idp, json!({})), &jwks, &with_max_age),
            Err(Refusal::AuthTime)
        );
        let identity = validate(
            &signed(&idp, json!({"auth_time": NOW - 20})),
            &jwks,
            &with_max_age,
        )
        .unwrap();
        assert_eq!(identity.auth_time, NOW - 20);
    }
}
