//! OIDC Registration §2 `id_token_encrypted_response_alg` and
//! `id_token_encrypted_response_enc`: the client asks for its ID tokens
//! encrypted to its key (OIDC Core §10.2), as the CDR requires.
//!
//! - `alg` is `RSA-OAEP` or `RSA-OAEP-256` (RFC 7518 §4.3; `RSA1_5` and
//!   the rest are refused, not ignored: a client that asked for
//!   encryption must never receive an ID token in the clear);
//! - `enc` is `A256GCM` (RFC 7518 §5.3), and must be given: OIDC
//!   Registration §2 makes `A128CBC-HS256` the value of an omitted `enc`,
//!   which the OP does not produce, so an omitted one is refused rather
//!   than read as something else;
//! - `enc` without `alg` is refused (OIDC Registration §2: "If
//!   id_token_encrypted_response_enc is included,
//!   id_token_encrypted_response_alg MUST also be provided").
//!
//! Whether the client's keys hold an RSA encryption key is checked where
//! the keys are known (`oauth::registration`), and again when an ID token
//! is issued (`oauth::id_token::encrypt_for`).

use super::RegistrationError;
use crate::protocol::jose::jwe::{ContentEncryption, IdTokenEncryption, KeyManagementAlg};
use serde_json::{Map, Value};

const ALG: &str = "id_token_encrypted_response_alg";
const ENC: &str = "id_token_encrypted_response_enc";

/// The encryption the request's members ask for, `None` when they ask for
/// none (see the module documentation).
pub fn id_token_encryption(
    request: &Map<String, Value>,
) -> Result<Option<IdTokenEncryption>, RegistrationError> {
    let string = |name: &'static str| match request.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(RegistrationError::metadata(format!("{name} must be a string"))),
    };
    let (alg, enc) = (string(ALG)?, string(ENC)?);
    let Some(alg) = alg else {
        return match enc {
            None => Ok(None),
            Some(_) => Err(RegistrationError::metadata(
                "id_token_encrypted_response_enc needs id_token_encrypted_response_alg (OIDC Registration §2)",
            )),
        };
    };
    let alg = KeyManagementAlg::parse(alg).ok_or_else(|| {
        RegistrationError::metadata(
            "id_token_encrypted_response_alg must be RSA-OAEP or RSA-OAEP-256 (RFC 7518 §4.3)",
        )
    })?;
    let enc = match enc {
        Some(enc) => ContentEncryption::ALL
            .into_iter()
            .find(|e| e.as_str() == enc)
            .ok_or_else(|| RegistrationError::metadata("id_token_encrypted_response_enc must be A256GCM"))?,
        None => {
            return Err(RegistrationError::metadata(
                "id_token_encrypted_response_enc is required: its default (A128CBC-HS256, OIDC Registration §2) is not supported; register A256GCM",
            ));
        }
    };
    Ok(Some(IdTokenEncryption { alg, enc }))
}

/// The members answered for `encryption` (RFC 7591 §3.2.1 echoes what is
/// registered).
pub fn members(encryption: &IdTokenEncryption) -> [(&'static str, Value); 2] {
    [
        (ALG, Value::String(encryption.alg.as_str().into())),
        (ENC, Value::String(encryption.enc.as_str().into())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(members: Value) -> Result<Option<IdTokenEncryption>, RegistrationError> {
        id_token_encryption(members.as_object().unwrap())
    }

    /// OIDC Registration §2: both members read; neither is no encryption.
    #[test]
    fn alg_and_enc_register_encryption() {
        assert_eq!(read(json!({})).unwrap(), None);
        for (alg, parsed) in [
            ("RSA-OAEP", KeyManagementAlg::RsaOaep),
            ("RSA-OAEP-256", KeyManagementAlg::RsaOaep256),
        ] {
            let got = read(json!({ALG: alg, ENC: "A256GCM"})).unwrap().unwrap();
            assert_eq!(got.alg, parsed);
            assert_eq!(got.enc, ContentEncryption::A256Gcm);
            let answered: Map<String, Value> =
                members(&got).into_iter().map(|(k, v)| (k.into(), v)).collect();
            assert_eq!(read(Value::Object(answered)).unwrap(), Some(got), "round trip");
        }
    }

    /// OIDC Registration §2 and RFC 7518 §4.3/§5.3: what is refused, each
    /// as `invalid_client_metadata`.
    #[test]
    fn unsupported_or_incomplete_values_are_refused() {
        for members in [
            json!({ENC: "A256GCM"}),
            json!({ALG: "RSA-OAEP-256"}),
            json!({ALG: "RSA1_5", ENC: "A256GCM"}),
            json!({ALG: "dir", ENC: "A256GCM"}),
            json!({ALG: "RSA-OAEP", ENC: "A128CBC-HS256"}),
            json!({ALG: 1, ENC: "A256GCM"}),
            json!({ALG: "RSA-OAEP", ENC: ["A256GCM"]}),
        ] {
            let error = read(members.clone()).unwrap_err();
            assert!(
                matches!(error, RegistrationError::Metadata(_)),
                "{members}: {error:?}"
            );
        }
    }
}
