//! The sandbox gateway's certificate, its resource-server entry and the bank's admission.
use super::gateway::*;
use crate::pki::{self, ClientCertSpec};
use crate::sandbox::bank::GatewayIdentity;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;

fn leaf_der(pem: &Path) -> Vec<u8> {
    CertificateDer::pem_file_iter(pem)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .to_vec()
}

/// The certificate the sandbox issues the gateway carries the subject the
/// OP's `[[resource_servers]]` entry names (RFC 8705 §2.1.2), and the bank
/// admits it but not another certificate from the same CA.
#[test]
fn the_gateway_certificate_matches_its_resource_server_entry_and_only_it_is_admitted() {
    let dir = tempfile::tempdir().unwrap();
    let pki_dir = dir.path().join("pki");
    let other = ClientCertSpec::parse("software_id=other-fintech,org_id=org-2").unwrap();
    pki::init(&pki::PkiInitOptions {
        out_dir: pki_dir.clone(),
        server_sans: vec!["localhost".into()],
        clients: vec![other],
        force: false,
    })
    .unwrap();
    let (cert, _) = gateway_certificate(&pki_dir).unwrap();
    assert_eq!(gateway_certificate(&pki_dir).unwrap().0, cert, "issued once");
    let der = leaf_der(&cert);
    let x5t = crate::http::client_cert::x5t_s256(&der);
    assert!(crate::protocol::client_auth::subject_dn_matches(GATEWAY_SUBJECT_DN, &der).unwrap());
    assert!(RESOURCE_SERVER.contains(GATEWAY_SUBJECT_DN));
    assert!(
        super::layout::SANDBOX_TOML.contains(GATEWAY_SUBJECT_DN),
        "the template's resource server"
    );

    let identity = GatewayIdentity {
        subject_dn: Some(GATEWAY_SUBJECT_DN.into()),
        x5t_s256: vec![x5t.clone()],
    };
    assert!(identity.admits(&der, &x5t));
    let fintech = leaf_der(&pki_dir.join("clients/other-fintech.pem"));
    let fintech_x5t = crate::http::client_cert::x5t_s256(&fintech);
    assert!(!identity.admits(&fintech, &fintech_x5t));
    let dn_only = GatewayIdentity {
        subject_dn: Some(GATEWAY_SUBJECT_DN.into()),
        x5t_s256: Vec::new(),
    };
    assert!(dn_only.admits(&der, &x5t) && !dn_only.admits(&fintech, &fintech_x5t));
    assert!(
        !GatewayIdentity::default().admits(&der, &x5t),
        "nothing configured admits nobody"
    );
}

#[test]
fn an_older_sandbox_config_gets_the_resource_server_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fiducia.toml");
    std::fs::write(&file, "[server]\nissuer = \"https://localhost:8443\"\n").unwrap();
    ensure_resource_server(&file).unwrap();
    ensure_resource_server(&file).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("[[resource_servers]]").count(), 1);
    let raw = crate::config::load_from_str(&text, Vec::new()).unwrap();
    assert_eq!(raw.resource_servers[0].id, GATEWAY_ID);
}
