//! Compact JWS (RFC 7515 §7.1) signing over the [`Signer`] seam.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::{SignError, Signer};

/// Header parameters the caller may not set: `alg` and `kid` always come
/// from the signer, and `b64` (RFC 7797) would change what is signed.
const RESERVED_HEADER_PARAMS: [&str; 3] = ["alg", "kid", "b64"];

/// Signs `payload` as a compact JWS `header.payload.signature`.
///
/// The protected header is `{"alg": signer.alg(), "kid": signer.key_id()}`
/// merged with `header_extra` (e.g. `"typ"`). `header_extra` may not contain
/// `alg`, `kid` or `b64`; doing so is a programming error reported as
/// [`SignError::Failed`]. The signature's length is checked against the
/// algorithm, so a signer that returns e.g. a DER ECDSA signature is caught
/// here rather than by relying parties.
pub async fn sign_jws(
    signer: &dyn Signer,
    header_extra: Map<String, Value>,
    payload: &[u8],
) -> Result<String, SignError> {
    if let Some(name) = RESERVED_HEADER_PARAMS
        .iter()
        .find(|name| header_extra.contains_key(**name))
    {
        return Err(SignError::Failed(format!(
            "JWS header_extra may not set {name:?}"
        )));
    }
    let alg = signer.alg();
    let mut header = Map::with_capacity(header_extra.len() + 2);
    header.insert("alg".to_owned(), Value::from(alg.as_str()));
    header.insert("kid".to_owned(), Value::from(signer.key_id()));
    header.extend(header_extra);
    let header_json = serde_json::to_vec(&header)
        .map_err(|e| SignError::Failed(format!("JWS header serialization: {e}")))?;

    let mut jws = URL_SAFE_NO_PAD.encode(header_json);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut jws);

    let signature = signer.sign(jws.as_bytes()).await?;
    if signature.len() != signer.public_jwk().signature_len() {
        return Err(SignError::Failed(format!(
            "{alg} signer returned a {}-byte signature",
            signature.len()
        )));
    }
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    Ok(jws)
}
