//! JOSE: compact serialization and its header (RFC 7515 §7.1), JWKs and
//! JWK sets (RFC 7517).

use fiducia::protocol::jose::{ClientJwk, ClientJwks, PublicJwk, UnverifiedJws};

/// A P-256 public key (RFC 7517 Appendix A.1's): what the verification
/// step is tried with.
fn key() -> Option<PublicJwk> {
    serde_json::from_value(serde_json::json!({
        "kty": "EC", "crv": "P-256",
        "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
        "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
    }))
    .ok()
}

/// A compact JWS: parsed, its header read, and verified with a fixed key
/// (which fails, after the parts and the algorithm are checked).
pub fn jws_compact(data: &[u8]) {
    let Some(text) = crate::text(data) else { return };
    let Ok(jws) = UnverifiedJws::parse(text) else {
        return;
    };
    std::hint::black_box(jws.header());
    if let Some(key) = key() {
        let _ = jws.verify_with(&key);
    }
}

/// A JWK set as a client registers or serves it, and each member alone.
pub fn jwks(data: &[u8]) {
    let _ = ClientJwks::parse(data);
    if let Ok(serde_json::Value::Object(jwk)) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(parsed) = ClientJwk::from_json(&jwk) {
            std::hint::black_box(parsed.thumbprint());
        }
        let _ = serde_json::from_value::<PublicJwk>(serde_json::Value::Object(jwk));
    }
}
