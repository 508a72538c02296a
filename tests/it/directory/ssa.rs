//! SSAs (RFC 7591 §2.3 software statements, UK OBIE claim set) verified the way an OP
//! will: against the directory JWKS fetched over TLS.

use super::{ISSUER, SSA_TTL, TestDirectory, UK_ORG, UK_SOFTWARE};
use crate::it::flow::harness::now;
use crate::it::support::json;
use fiducia::protocol::jose::{ClientJwks, JwkProblem, UnverifiedJws, certificate_public_jwk};
use fiducia_hsm::{JoseAlg, SoftwareSigner};
use serde_json::{Map, Value, json};

/// Verifies `ssa` against the JWKS served at `/jwks` (kid from the header) and returns
/// the header's typ and the claims.
async fn verify(directory: &TestDirectory, ssa: &str) -> Map<String, Value> {
    let jwks = directory.get("/jwks").await;
    assert_eq!(jwks.status(), 200);
    let jwks = ClientJwks::parse(jwks.body()).unwrap();
    assert!(jwks.skipped.is_empty(), "{:?}", jwks.skipped);
    let jws = UnverifiedJws::parse(ssa).unwrap();
    assert_eq!(jws.header().alg, JoseAlg::Ps256, "SSAs are PS256");
    assert_eq!(jws.header().typ.as_deref(), Some("JWT"));
    let kid = jws
        .header()
        .kid
        .clone()
        .expect("SSA header names the directory key");
    let key = jwks
        .keys
        .iter()
        .find(|k| k.kid() == Some(kid.as_str()))
        .expect("the SSA's kid is in the directory JWKS");
    let (_, claims) = jws.verify_with(key.public_jwk()).unwrap();
    claims
}

#[tokio::test]
async fn ssa_verifies_against_the_directory_jwks_with_the_uk_claims() {
    let directory = TestDirectory::start().await;
    let before = now();
    let response = directory.ssa_as(UK_SOFTWARE).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    assert_eq!(response.headers()["content-type"], "application/jwt");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let ssa = std::str::from_utf8(response.body()).unwrap();
    let claims = verify(&directory, ssa).await;

    let iat = claims["iat"].as_u64().unwrap();
    assert!(iat >= before && iat <= now());
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        iat + SSA_TTL,
        "short-lived, configured lifetime"
    );
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(jti).unwrap().get_version_num(), 4);
    let mut rest = claims.clone();
    for member in ["iat", "exp", "jti"] {
        rest.remove(member);
    }
    assert_eq!(
        Value::Object(rest),
        json!({
            "iss": ISSUER,
            "software_id": UK_SOFTWARE,
            "software_client_id": UK_SOFTWARE,
            "software_client_name": "Acme Payments Ltd app",
            "software_redirect_uris": [format!("https://{UK_SOFTWARE}.example/cb")],
            "software_roles": ["AISP", "PISP"],
            "software_jwks_endpoint": format!("{}/software/{UK_SOFTWARE}/jwks", directory.url),
            "software_status": "Active",
            "org_id": UK_ORG,
            "org_name": "Acme Payments Ltd",
            "org_status": "Active",
        })
    );

    // A second SSA is a new statement: another jti, recorded beside the first.
    let second = directory.ssa_as(UK_SOFTWARE).await;
    assert_eq!(second.status(), 200);
    let second = verify(&directory, std::str::from_utf8(second.body()).unwrap()).await;
    assert_ne!(second["jti"], claims["jti"]);
    let issued = directory.directory.state().unwrap().issued;
    assert!(issued.iter().any(|i| i.jti == jti));
    assert!(
        issued
            .iter()
            .any(|i| Some(i.jti.as_str()) == second["jti"].as_str())
    );
}

#[tokio::test]
async fn software_jwks_endpoint_serves_the_signing_key_with_its_certificate() {
    let directory = TestDirectory::start().await;
    let response = directory.ssa_as(UK_SOFTWARE).await;
    let claims = verify(&directory, std::str::from_utf8(response.body()).unwrap()).await;
    let endpoint = claims["software_jwks_endpoint"].as_str().unwrap();
    let path = endpoint.strip_prefix(&directory.url).unwrap();
    let response = directory.get(path).await;
    assert_eq!(response.status(), 200);
    // Parsed as the OP parses a client's jwks_uri: x5c's first certificate must hold the key.
    let jwks = ClientJwks::parse(response.body()).unwrap();
    // The transport key is published too, with "use": "tls" (not a signature key).
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.skipped.len(), 1, "{:?}", jwks.skipped);
    assert_eq!(jwks.skipped[0].problem, JwkProblem::NotForSignatures);
    let pem = std::fs::read_to_string(directory.software_file(UK_SOFTWARE, "signing.key")).unwrap();
    let signing = SoftwareSigner::from_pkcs8_pem(JoseAlg::Ps256, &pem).unwrap();
    let key = &jwks.keys[0];
    assert_eq!(key.alg(), JoseAlg::Ps256);
    assert_eq!(key.public_jwk(), fiducia_hsm::Signer::public_jwk(&signing));
    assert_eq!(
        key.kid(),
        Some(fiducia_hsm::Signer::key_id(&signing)),
        "RFC 7638 kid"
    );
    let leaf = key.certificate().expect("x5c");
    let signing_pem = std::fs::read(directory.software_file(UK_SOFTWARE, "signing.pem")).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&signing_pem).unwrap();
    assert_eq!(leaf, pem.contents.as_slice());
    let body = json(response.body());
    assert_eq!(body["keys"][0]["use"], "sig");
    let tls = &body["keys"][1];
    assert_eq!(tls["use"], "tls");
    assert_eq!(tls["kty"], "EC");
    let transport_pem = std::fs::read(directory.software_file(UK_SOFTWARE, "transport.pem")).unwrap();
    let (_, transport) = x509_parser::pem::parse_x509_pem(&transport_pem).unwrap();
    use base64::Engine as _;
    let x5c0 = base64::engine::general_purpose::STANDARD
        .decode(tls["x5c"][0].as_str().unwrap())
        .unwrap();
    assert_eq!(x5c0, transport.contents);
    let transport_key = certificate_public_jwk(&transport.contents).unwrap();
    assert_eq!(
        tls["kid"],
        transport_key.kid(),
        "RFC 7638 kid of the certificate's key"
    );
}

#[tokio::test]
async fn directory_jwks_is_the_persisted_ps256_key() {
    let directory = TestDirectory::start().await;
    let response = directory.get("/jwks").await;
    let body = json(response.body());
    assert_eq!(body["keys"].as_array().unwrap().len(), 1);
    assert_eq!(body["keys"][0]["kty"], "RSA");
    assert_eq!(body["keys"][0]["alg"], "PS256");
    let pem = std::fs::read_to_string(directory.data().join("signing.key")).unwrap();
    let signer = SoftwareSigner::from_pkcs8_pem(JoseAlg::Ps256, &pem).unwrap();
    assert_eq!(body["keys"][0]["kid"], fiducia_hsm::Signer::key_id(&signer));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(directory.data().join("signing.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ssa_requests_get_distinct_recorded_jtis() {
    let directory = std::sync::Arc::new(TestDirectory::start().await);
    let requests = (0..8).map(|_| {
        let directory = directory.clone();
        tokio::spawn(async move {
            let response = directory.ssa_as(UK_SOFTWARE).await;
            assert_eq!(response.status(), 200);
            let ssa = std::str::from_utf8(response.body()).unwrap().to_owned();
            verify(&directory, &ssa).await["jti"].as_str().unwrap().to_owned()
        })
    });
    let mut jtis = Vec::new();
    for request in requests {
        jtis.push(request.await.unwrap());
    }
    let unique: std::collections::HashSet<_> = jtis.iter().collect();
    assert_eq!(unique.len(), 8, "one jti per SSA");
    // Every issuance was recorded: the locked read-modify-write lost none.
    let issued = directory.directory.state().unwrap().issued;
    for jti in &jtis {
        assert!(issued.iter().any(|i| &i.jti == jti), "{jti} recorded");
    }
}
