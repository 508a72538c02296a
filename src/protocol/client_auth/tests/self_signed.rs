use fiducia_hsm::JoseAlg;
use rcgen::DnType;
use serde_json::json;

use crate::protocol::client_auth::*;
use crate::protocol::jose::ClientJwks;
use crate::protocol::jose::testing::{certificate, client_jwk_json, key, x5c};

fn cert_for(signer: &fiducia_hsm::SoftwareSigner, cn: &str) -> Vec<u8> {
    certificate(signer, &[(DnType::CommonName, cn.into())], vec![])
}

#[test]
fn registered_x5c_certificate_matches_rfc8705_s2_2() {
    let signer = key(JoseAlg::Es256);
    let cert = cert_for(&signer, "client-1");
    let jwks = json!({"keys": [client_jwk_json(&signer, "mtls", json!({"x5c": x5c(&[&cert])}))]});
    let keys = ClientJwks::from_value(&jwks).unwrap().keys;
    let (key, how) = check_self_signed_tls_client_auth(&cert, &keys).unwrap();
    assert_eq!((key.kid(), how), (Some("mtls"), SelfSignedMatch::Certificate));

    // Same key, another certificate: the registered certificate is what counts.
    let reissued = cert_for(&signer, "client-1-renewed");
    assert_eq!(
        check_self_signed_tls_client_auth(&reissued, &keys).unwrap_err(),
        ClientAuthReason::CertificateNotRegistered
    );
}

#[test]
fn key_only_jwk_matches_the_certificate_key_rfc8705_s2_2() {
    for alg in JoseAlg::ALL {
        let signer = key(alg);
        let jwks = json!({"keys": [client_jwk_json(&signer, "k", json!({}))]});
        let keys = ClientJwks::from_value(&jwks).unwrap().keys;
        let cert = cert_for(&signer, "anything");
        let (_, how) = check_self_signed_tls_client_auth(&cert, &keys).unwrap();
        assert_eq!(how, SelfSignedMatch::PublicKey, "{alg}");
    }
}

#[test]
fn unregistered_certificate_is_refused_rfc8705_s2_2() {
    let signer = key(JoseAlg::Es256);
    let stranger = key(JoseAlg::Es256);
    let jwks = json!({"keys": [client_jwk_json(&signer, "k", json!({}))]});
    let keys = ClientJwks::from_value(&jwks).unwrap().keys;
    let cert = cert_for(&stranger, "client-1");
    assert_eq!(
        check_self_signed_tls_client_auth(&cert, &keys).unwrap_err(),
        ClientAuthReason::CertificateNotRegistered
    );
    assert_eq!(
        check_self_signed_tls_client_auth(b"garbage", &keys).unwrap_err(),
        ClientAuthReason::CertificateUnreadable
    );
}
