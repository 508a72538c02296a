//! The JOSE header of a JWS (RFC 7515 §4), parsed into a typed value.
//!
//! Refused while parsing, before any key is looked at:
//! - `alg` missing, `none` (any case), HMAC, or anything but PS256, ES256,
//!   EdDSA (RFC 8725 §3.1, §3.2; FAPI 2.0 §5.4.1);
//! - `crit`, because we implement no extension (RFC 7515 §4.1.11: a
//!   recipient that does not understand a listed extension MUST reject);
//! - `b64` other than `true` (RFC 7797 §3, §6), since we would verify
//!   something other than what was sent;
//! - a `jwk` with private members or an unusable key, a malformed `x5c`.
//!
//! Keys named by the header (`jwk`, `x5c`, `jku`, `x5u`) are never trusted
//! to verify a JWS from a registered party: [`super::verify_jws`] selects
//! from the registered keys. `jku`/`x5u` are never fetched.

use fiducia_hsm::{JoseAlg, PublicJwk};
use serde_json::{Map, Value};

use super::JoseError;
use super::jwk::{JwkProblem, parse_x5c, public_key_members};

/// A parsed JWS protected header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsHeader {
    /// `alg` (RFC 7515 §4.1.1), one of the three we accept.
    pub alg: JoseAlg,
    /// `kid` (RFC 7515 §4.1.4), an arbitrary string chosen by the signer.
    pub kid: Option<String>,
    /// `typ` (RFC 7515 §4.1.9) as sent; compare with [`JwsHeader::typ_is`].
    pub typ: Option<String>,
    /// `jwk` (RFC 7515 §4.1.3): a validated public key, private members refused.
    pub jwk: Option<PublicJwk>,
    /// `x5c` (RFC 7515 §4.1.6): DER certificates, decoded but not validated.
    pub x5c: Option<Vec<Vec<u8>>>,
}

impl JwsHeader {
    /// Parses the decoded header JSON.
    pub(crate) fn parse(json: &[u8]) -> Result<Self, JoseError> {
        let header: Map<String, Value> = serde_json::from_slice(json)
            .map_err(|_| JoseError::Malformed("the header is not a JSON object"))?;
        if header.contains_key("crit") {
            return Err(JoseError::CritHeader);
        }
        match header.get("b64") {
            None | Some(Value::Bool(true)) => {}
            Some(_) => return Err(JoseError::UnencodedPayload),
        }
        let alg = parse_alg(header.get("alg"))?;
        let kid = optional_string(&header, "kid")?;
        let typ = optional_string(&header, "typ")?;
        let jwk = match header.get("jwk") {
            None => None,
            Some(Value::Object(jwk)) => Some(public_key_members(jwk).map_err(JoseError::HeaderJwk)?),
            Some(_) => return Err(JoseError::HeaderJwk(JwkProblem::Malformed)),
        };
        let x5c = match header.get("x5c") {
            None => None,
            Some(value) => Some(parse_x5c(value).ok_or(JoseError::HeaderX5c)?),
        };
        Ok(JwsHeader {
            alg,
            kid,
            typ,
            jwk,
            x5c,
        })
    }

    /// Whether `typ` is the media type `expected`. RFC 7515 §4.1.9: media
    /// types compare case-insensitively and `application/` may be omitted.
    pub fn typ_is(&self, expected: &str) -> bool {
        self.typ
            .as_deref()
            .is_some_and(|typ| without_application(typ).eq_ignore_ascii_case(without_application(expected)))
    }

    /// [`JwsHeader::typ_is`] as a check (RFC 8725 §3.11: explicit typing).
    pub(crate) fn require_typ(&self, expected: &str) -> Result<(), JoseError> {
        match self.typ {
            None => Err(JoseError::TypMissing),
            Some(_) if self.typ_is(expected) => Ok(()),
            Some(_) => Err(JoseError::TypMismatch),
        }
    }
}

fn without_application(media_type: &str) -> &str {
    const PREFIX: &str = "application/";
    match media_type.get(..PREFIX.len()) {
        Some(head) if head.eq_ignore_ascii_case(PREFIX) => &media_type[PREFIX.len()..],
        _ => media_type,
    }
}

/// RFC 8725 §3.1: the algorithm list is ours, not the token's.
fn parse_alg(alg: Option<&Value>) -> Result<JoseAlg, JoseError> {
    let alg = match alg {
        None => return Err(JoseError::MissingAlg),
        Some(Value::String(alg)) => alg.as_str(),
        Some(_) => return Err(JoseError::Malformed("`alg` is not a string")),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(JoseError::AlgNone);
    }
    if alg.starts_with("HS") {
        return Err(JoseError::AlgSymmetric);
    }
    alg.parse().map_err(|_| JoseError::AlgUnsupported)
}

fn optional_string(header: &Map<String, Value>, name: &'static str) -> Result<Option<String>, JoseError> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(JoseError::Malformed("a header parameter has the wrong JSON type")),
    }
}
