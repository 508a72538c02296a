//! A software's credentials, issued by the directory CA into the software's folder
//! (`software/<software_id>/` in the data directory), so the fintech's developer can use
//! them:
//!
//! | file            | content                                                   | mode |
//! |-----------------|-----------------------------------------------------------|------|
//! | `transport.pem` | transport certificate (EKU clientAuth) + the CA            | 0644 |
//! | `transport.key` | its P-256 PKCS#8 key                                       | 0600 |
//! | `signing.pem`   | signing certificate (digitalSignature, nonRepudiation) + CA | 0644 |
//! | `signing.key`   | its RSA-2048 PKCS#8 key (PS256)                             | 0600 |
//!
//! Both subjects follow the organisation's profile: UK `C, O, OU=org_id, CN=software_id`;
//! Brazil adds `UID=software_id` and organizationIdentifier (2.5.4.97) `OFBBR-<org_id>`.

use super::state::{Organisation, Profile};
use crate::pki::{self, ClientCertSpec};
use crate::protocol::client_cert::x5t_s256;
use crate::protocol::jose::certificate_public_jwk;
use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use fiducia_hsm::{JoseAlg, PublicJwk, Signer, SoftwareSigner};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::{Path, PathBuf};

/// Transport certificate chain file of a software.
pub const TRANSPORT_CERT: &str = "transport.pem";
/// Transport key file of a software.
pub const TRANSPORT_KEY: &str = "transport.key";
/// Signing certificate chain file of a software.
pub const SIGNING_CERT: &str = "signing.pem";
/// Signing key file of a software.
pub const SIGNING_KEY: &str = "signing.key";

/// What the directory keeps about freshly issued credentials.
#[derive(Debug, Clone)]
pub struct IssuedCredentials {
    /// The signing key's JWK with `x5c` (signing certificate, CA), for the software's JWKS.
    pub signing_jwk: serde_json::Value,
    /// The transport key's JWK (`"use": "tls"`) with `x5c`, published beside it as
    /// ecosystem directories do (a verifier skips it: it is not a signature key).
    pub transport_jwk: serde_json::Value,
    /// `x5t#S256` of the transport certificate.
    pub transport_x5t_s256: String,
}

/// The certificate subject of `software_id` of `org`, per the organisation's profile.
pub fn certificate_subject(org: &Organisation, software_id: &str) -> ClientCertSpec {
    let brazil = org.profile == Profile::Brazil;
    ClientCertSpec {
        software_id: software_id.to_owned(),
        org_id: org.org_id.clone(),
        org_name: org.org_name.clone(),
        country: org.country.clone(),
        // Open Finance Brasil: organizationIdentifier = OFBBR-<org_id>, UID = software_id.
        organization_identifier: brazil.then(|| format!("OFBBR-{}", org.org_id)),
        uid: brazil.then(|| software_id.to_owned()),
    }
}

/// Issues the transport and signing certificates and keys of `software_id` into `dir`
/// (created; existing files are never overwritten).
pub fn issue(
    ca_dir: &Path,
    dir: &Path,
    org: &Organisation,
    software_id: &str,
) -> anyhow::Result<IssuedCredentials> {
    let spec = certificate_subject(org, software_id);
    spec.validate()?;
    let transport = pki::issue_transport_certificate(ca_dir, &spec)?;
    let signer = SoftwareSigner::generate(JoseAlg::Ps256).context("cannot generate a signing key")?;
    let signing_key_pem = signer.to_pkcs8_pem().context("cannot export the signing key")?;
    let signing_chain = pki::issue_signing_certificate(ca_dir, &spec, &signing_key_pem)?;

    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    pki::write_private_file(&dir.join(TRANSPORT_KEY), transport.key_pem.as_bytes())?;
    write_public(&dir.join(TRANSPORT_CERT), &transport.chain_pem)?;
    pki::write_private_file(&dir.join(SIGNING_KEY), signing_key_pem.as_bytes())?;
    write_public(&dir.join(SIGNING_CERT), &signing_chain)?;

    let transport_chain = pem_chain(&transport.chain_pem)?;
    let signing_chain = pem_chain(&signing_chain)?;
    let transport_leaf = transport_chain.first().context("transport certificate missing")?;
    let transport_key = certificate_public_jwk(transport_leaf.as_ref())
        .map_err(|e| anyhow::anyhow!("transport certificate key: {e}"))?;
    Ok(IssuedCredentials {
        signing_jwk: published_jwk(signer.public_jwk(), &signing_chain, "sig")?,
        transport_jwk: published_jwk(&transport_key, &transport_chain, "tls")?,
        transport_x5t_s256: x5t_s256(transport_leaf.as_ref()),
    })
}

/// A new transport certificate and key for `software_id` of `org`, replacing
/// `transport.pem` and `transport.key` in `dir` (the old certificate stays
/// valid at the directory until it is revoked); its JWK and `x5t#S256`.
pub fn renew_transport(
    ca_dir: &Path,
    dir: &Path,
    org: &Organisation,
    software_id: &str,
) -> anyhow::Result<(serde_json::Value, String)> {
    let spec = certificate_subject(org, software_id);
    spec.validate()?;
    let transport = pki::issue_transport_certificate(ca_dir, &spec)?;
    let chain = pem_chain(&transport.chain_pem)?;
    let leaf = chain.first().context("transport certificate missing")?;
    let key = certificate_public_jwk(leaf.as_ref())
        .map_err(|e| anyhow::anyhow!("transport certificate key: {e}"))?;
    let jwk = published_jwk(&key, &chain, "tls")?;
    for name in [TRANSPORT_KEY, TRANSPORT_CERT] {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot replace {}", dir.join(name).display()));
            }
            _ => {}
        }
    }
    pki::write_private_file(&dir.join(TRANSPORT_KEY), transport.key_pem.as_bytes())?;
    write_public(&dir.join(TRANSPORT_CERT), &transport.chain_pem)?;
    Ok((jwk, x5t_s256(leaf.as_ref())))
}

/// A JWK as the software's JWKS publishes it: the key, `kid` (RFC 7638 thumbprint),
/// `use`, `x5c` (RFC 7517 §4.7: standard base64 DER, the key's certificate first) and
/// `x5t#S256` (§4.9). A `tls` key has no `alg`: it does not sign JWSs.
fn published_jwk(
    key: &PublicJwk,
    chain: &[CertificateDer<'static>],
    key_use: &str,
) -> anyhow::Result<serde_json::Value> {
    let mut jwk = serde_json::to_value(key).context("cannot encode a JWK")?;
    let members = jwk.as_object_mut().context("a JWK is a JSON object")?;
    members.insert("use".into(), key_use.into());
    if key_use != "sig" {
        members.remove("alg");
    }
    let x5c: Vec<String> = chain.iter().map(|c| STANDARD.encode(c.as_ref())).collect();
    members.insert("x5c".into(), x5c.into());
    if let Some(leaf) = chain.first() {
        members.insert("x5t#S256".into(), x5t_s256(leaf.as_ref()).into());
    }
    Ok(jwk)
}

/// The paths of a software's credential files in `dir`.
pub fn files(dir: &Path) -> [PathBuf; 4] {
    [TRANSPORT_CERT, TRANSPORT_KEY, SIGNING_CERT, SIGNING_KEY].map(|name| dir.join(name))
}

fn write_public(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()).and_then(|()| f.sync_all()))
        .with_context(|| format!("cannot write {}", path.display()))
}

fn pem_chain(pem: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("issued certificate is not PEM")
}
