//! What the hostile scenario prepares once: TLS configurations for HTTP/2,
//! for a client certificate no CA vouches for and for an expired one, and
//! the QUIC endpoint of the HTTP/3 attacks; and what the replay attacks
//! captured, to replay again.

use super::attack::Attack;
use crate::http::TlsConfigs;
use crate::setup::Setup;
use anyhow::{Context, anyhow};
use rcgen::{CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

/// Shared by every worker of a hostile run.
pub struct Kit {
    /// The next attack, in turn.
    pub next: AtomicUsize,
    /// The attacks taken in turn: all of them, or those of `--attack`.
    pub attacks: Vec<Attack>,
    /// No client certificate, ALPN `h2` only.
    pub h2: Arc<ClientConfig>,
    /// A self-signed client certificate (RFC 8705 §2.1: no chain to the OP's CA).
    pub stranger: Arc<ClientConfig>,
    /// The mTLS client's subject, signed by the OP's CA, but expired
    /// (RFC 5280 §4.1.2.5); none without the CA's key beside its certificate.
    pub expired: Option<Arc<ClientConfig>>,
    /// QUIC with ALPN `h3` (RFC 9114 §3.1), no client certificate.
    pub quic: Option<quinn::Endpoint>,
    /// What the replay attacks captured, each replayed again until it has
    /// been replayed `--replays-per-capture` times.
    pub captures: Captures,
}

/// An artefact a replay attack captured by using it once as the legitimate
/// client would.
#[derive(Clone)]
pub enum Capture {
    /// A client assertion (its `jti`).
    Assertion(String),
    /// A DPoP proof (its `jti`).
    Proof(String),
    /// An authorization code redeemed once, and its PKCE verifier.
    Code { code: String, verifier: String },
    /// A refresh token rotated out twice.
    RefreshToken(String),
}

/// The captures of the replay attacks, one per attack at a time: an
/// attacker who captured a code or a proof replays that one, again and
/// again. With `replays_per_capture` 1 (the default) every replay attack
/// captures a fresh one first, and so runs a whole legitimate flow or grant
/// before its one replay.
pub struct Captures {
    replays_per_capture: u32,
    held: Mutex<HashMap<Attack, (Capture, u32)>>,
}

impl Captures {
    pub fn new(replays_per_capture: u32) -> Self {
        Self {
            replays_per_capture: replays_per_capture.max(1),
            held: Mutex::new(HashMap::new()),
        }
    }

    /// A capture of `attack` to replay once more, if one has replays left.
    pub fn take(&self, attack: Attack) -> Option<Capture> {
        let mut held = self.held.lock().ok()?;
        let (capture, left) = held.get_mut(&attack)?;
        let capture = capture.clone();
        *left = left.saturating_sub(1);
        if *left == 0 {
            held.remove(&attack);
        }
        Some(capture)
    }

    /// Keeps `capture`, about to be replayed for the first time, for the
    /// replays left after that one.
    pub fn keep(&self, attack: Attack, capture: Capture) {
        if self.replays_per_capture > 1
            && let Ok(mut held) = self.held.lock()
        {
            held.insert(attack, (capture, self.replays_per_capture - 1));
        }
    }
}

impl Kit {
    pub fn new(setup: &Setup, tls: &TlsConfigs) -> anyhow::Result<Self> {
        let h2 = with_alpn(&tls.plain, b"h2");
        let stranger = {
            let key = KeyPair::generate().context("key")?;
            let mut params = CertificateParams::new(Vec::<String>::new())?;
            params
                .distinguished_name
                .push(DnType::CommonName, "hostile stranger");
            let cert = params.self_signed(&key)?;
            client_config(&setup.ca, cert.der().to_vec(), key.serialize_der())?
        };
        let expired = match &setup.mtls {
            Some(mtls) => expired_twin(&setup.ca, &mtls.cert)?,
            None => None,
        };
        let quic = quic_endpoint(&setup.ca).ok();
        Ok(Self {
            next: AtomicUsize::new(0),
            attacks: Attack::ALL.to_vec(),
            h2,
            stranger,
            expired,
            quic,
            captures: Captures::new(1),
        })
    }
}

/// `config` offering only the ALPN protocol `protocol` (RFC 7301).
pub fn with_alpn(config: &ClientConfig, protocol: &[u8]) -> Arc<ClientConfig> {
    let mut config = config.clone();
    config.alpn_protocols = vec![protocol.to_vec()];
    Arc::new(config)
}

/// A client configuration trusting `ca` and presenting `cert` with `key`.
fn client_config(ca: &std::path::Path, cert: Vec<u8>, key: Vec<u8>) -> anyhow::Result<Arc<ClientConfig>> {
    let roots = roots(ca)?;
    let key = PrivateKeyDer::try_from(key).map_err(|e| anyhow!("key: {e}"))?;
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(vec![CertificateDer::from(cert)], key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn roots(ca: &std::path::Path) -> anyhow::Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        CertificateDer::pem_file_iter(ca).with_context(|| format!("cannot read CA {}", ca.display()))?
    {
        roots.add(cert?)?;
    }
    Ok(roots)
}

/// The client certificate `cert`'s subject issued again by the CA (its key
/// `ca.key` beside `ca.pem`, as `fiducia sandbox` and `fiducia pki` keep
/// it) with a validity that ended in 2021.
fn expired_twin(ca: &std::path::Path, cert: &std::path::Path) -> anyhow::Result<Option<Arc<ClientConfig>>> {
    let Ok(ca_key) = std::fs::read_to_string(ca.with_extension("key")) else {
        return Ok(None);
    };
    let ca_pem = std::fs::read_to_string(ca)?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, KeyPair::from_pem(&ca_key)?)?;
    let client_pem = std::fs::read_to_string(cert)?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = subject_of(&client_pem)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let key = KeyPair::generate()?;
    let twin = params.signed_by(&key, &issuer)?;
    Ok(Some(client_config(ca, twin.der().to_vec(), key.serialize_der())?))
}

/// The subject of the first certificate in `pem`, attribute by attribute.
fn subject_of(pem: &str) -> anyhow::Result<rcgen::DistinguishedName> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|e| anyhow!("not PEM: {e}"))?;
    let cert = pem.parse_x509().map_err(|e| anyhow!("not X.509: {e}"))?;
    let mut name = rcgen::DistinguishedName::new();
    for attribute in cert.subject().iter_attributes() {
        let oid: Vec<u64> = attribute
            .attr_type()
            .iter()
            .ok_or_else(|| anyhow!("an attribute type too long"))?
            .collect();
        let value = attribute.as_str().map_err(|e| anyhow!("attribute value: {e}"))?;
        name.push(DnType::from_oid(&oid), value);
    }
    Ok(name)
}

/// A QUIC client endpoint on 127.0.0.1 (or `[::]` for IPv6 targets is not
/// needed: the sandbox listens on loopback).
fn quic_endpoint(ca: &std::path::Path) -> anyhow::Result<quinn::Endpoint> {
    let mut tls =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_root_certificates(roots(ca)?)
            .with_no_client_auth();
    tls.alpn_protocols = vec![b"h3".to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)?;
    let mut endpoint = quinn::Endpoint::client("0.0.0.0:0".parse()?)?;
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_is_replayed_the_times_asked_then_a_new_one_is_needed() {
        let captures = Captures::new(3);
        assert!(captures.take(Attack::ReplayedCode).is_none());
        // Kept as it is replayed the first time: two replays left.
        captures.keep(Attack::ReplayedCode, Capture::Proof("p".into()));
        for _ in 0..2 {
            assert!(matches!(captures.take(Attack::ReplayedCode), Some(Capture::Proof(p)) if p == "p"));
        }
        assert!(captures.take(Attack::ReplayedCode).is_none());
        // Each attack holds its own.
        captures.keep(Attack::ReplayedAssertion, Capture::Assertion("a".into()));
        assert!(captures.take(Attack::ReplayedProof).is_none());
        assert!(captures.take(Attack::ReplayedAssertion).is_some());
    }

    #[test]
    fn with_one_replay_per_capture_nothing_is_kept() {
        let captures = Captures::new(1);
        captures.keep(Attack::ReplayedProof, Capture::Proof("p".into()));
        assert!(captures.take(Attack::ReplayedProof).is_none());
    }
}
