//! How each JOSE algorithm maps onto PKCS#11 (v2.40 / v3.0 mechanisms), and
//! the one blocking call that signs.
//!
//! * ES256 (RFC 7518 §3.4): SHA-256 is computed here and `CKM_ECDSA` signs
//!   the digest (SoftHSM has no `CKM_ECDSA_SHA256`). PKCS#11 returns r‖s,
//!   32 bytes each, which is already the JOSE form: nothing is converted.
//! * PS256 (RFC 7518 §3.5): `CKM_SHA256_RSA_PKCS_PSS`, MGF1 with SHA-256,
//!   salt length 32.
//! * EdDSA (RFC 8037 §3.1): `CKM_EDDSA` over the message (pure Ed25519).

use crate::JoseAlg;
use aws_lc_rs::digest;
use cryptoki::error::Error as CkError;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::ObjectHandle;
use cryptoki::session::Session;

/// Salt length of PS256: the SHA-256 output size (RFC 7518 §3.5).
const PS256_SALT_LEN: u64 = 32;

/// Signs `signing_input` with `key`; blocking (call only from a signer
/// worker thread, never from a tokio worker).
pub fn sign_blocking(
    session: &Session,
    alg: JoseAlg,
    key: ObjectHandle,
    signing_input: &[u8],
) -> Result<Vec<u8>, CkError> {
    match alg {
        JoseAlg::Es256 => {
            let digest = digest::digest(&digest::SHA256, signing_input);
            session.sign(&Mechanism::Ecdsa, key, digest.as_ref())
        }
        JoseAlg::Ps256 => {
            let params = PkcsPssParams {
                hash_alg: MechanismType::SHA256,
                mgf: PkcsMgfType::MGF1_SHA256,
                s_len: PS256_SALT_LEN.into(),
            };
            session.sign(&Mechanism::Sha256RsaPkcsPss(params), key, signing_input)
        }
        JoseAlg::EdDsa => {
            let params = EddsaParams::new(EddsaSignatureScheme::Pure);
            session.sign(&Mechanism::Eddsa(params), key, signing_input)
        }
    }
}
