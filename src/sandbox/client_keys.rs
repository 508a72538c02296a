//! The private_key_jwt keys of the sandbox's own clients (the load-test
//! client, the CIBA fintech): generated once into the data directory's
//! `pki/clients/`, their public halves as one JWKS file next to them
//! (RFC 7517 §5) that the client's `[[clients]]` entry names.

use crate::pki;
use anyhow::Context;
use fiducia_hsm::JoseAlg;
use std::path::Path;

/// Writes a key pair per `(alg, file)` of `keys` and their JWKS at `jwks`
/// (paths relative to `data_dir`) unless all are there; a directory
/// missing one gets all anew, so the JWKS always matches the keys.
pub fn ensure(data_dir: &Path, keys: &[(JoseAlg, &str)], jwks: &str) -> anyhow::Result<()> {
    let jwks_file = data_dir.join(jwks);
    if jwks_file.exists() && keys.iter().all(|(_, file)| data_dir.join(file).exists()) {
        return Ok(());
    }
    if let Some(dir) = jwks_file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut public = Vec::new();
    for (alg, file) in keys {
        let (pem, jwk) =
            generate(*alg).with_context(|| format!("cannot generate the client key {file} ({alg})"))?;
        let key_file = data_dir.join(file);
        // The sandbox's own client key, replaced with its JWKS.
        if key_file.exists() {
            std::fs::remove_file(&key_file)
                .with_context(|| format!("cannot replace {}", key_file.display()))?;
        }
        pki::write_private_file(&key_file, pem.as_bytes())
            .with_context(|| format!("cannot write {}", key_file.display()))?;
        public.push(jwk);
    }
    let text = serde_json::json!({ "keys": public }).to_string();
    std::fs::write(&jwks_file, text).with_context(|| format!("cannot write {}", jwks_file.display()))?;
    Ok(())
}

/// A fresh key for `alg`: its PKCS#8 PEM and its public JWK.
fn generate(alg: JoseAlg) -> anyhow::Result<(String, fiducia_hsm::PublicJwk)> {
    let jwk_error = |e| anyhow::anyhow!("client key: {e}");
    let (key, jwk) = match alg {
        JoseAlg::Es256 => {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
            let jwk =
                fiducia_hsm::PublicJwk::ec_p256_uncompressed(key.public_key_raw()).map_err(jwk_error)?;
            (key, jwk)
        }
        JoseAlg::EdDsa => {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
            let jwk = fiducia_hsm::PublicJwk::ed25519(key.public_key_raw()).map_err(jwk_error)?;
            (key, jwk)
        }
        JoseAlg::Ps256 => {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
            let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(key.serialized_der())
                .map_err(|e| anyhow::anyhow!("client RSA key: {e}"))?;
            let public = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(
                aws_lc_rs::signature::KeyPair::public_key(&pair),
            );
            let jwk = fiducia_hsm::PublicJwk::rsa(&public.n, &public.e).map_err(jwk_error)?;
            (key, jwk)
        }
    };
    Ok((key.serialize_pem(), jwk))
}

/// Inserts `clients` (TOML `[[clients]]` entries) before the `[signing]`
/// section, which must stay last (`fiducia sandbox` replaces it to the end
/// of the file), or at the end.
pub fn before_signing(config: &str, clients: &str) -> String {
    match config.find("\n[signing]") {
        Some(i) => format!("{}{clients}{}", &config[..i], &config[i..]),
        None => format!("{config}\n{clients}"),
    }
}
