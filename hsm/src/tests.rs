//! Cross-module tests: every signature is verified by an independent
//! aws-lc-rs verifier built from the *published* JWK JSON, never from the
//! private key object.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PSS_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::*;

/// Minimal executor so the crate needs no async runtime dependency.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    struct ThreadWaker(Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

fn b64d(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

/// Verifies `sig` over `msg` using only the public JWK JSON members.
pub(crate) fn verify_with_jwk(jwk: &Value, msg: &[u8], sig: &[u8]) -> bool {
    match (jwk["kty"].as_str().unwrap(), jwk["alg"].as_str().unwrap()) {
        ("EC", "ES256") => {
            assert_eq!(jwk["crv"], "P-256");
            let mut point = vec![0x04];
            point.extend(b64d(&jwk["x"]));
            point.extend(b64d(&jwk["y"]));
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(msg, sig)
                .is_ok()
        }
        ("RSA", "PS256") => RsaPublicKeyComponents {
            n: b64d(&jwk["n"]),
            e: b64d(&jwk["e"]),
        }
        .verify(&RSA_PSS_2048_8192_SHA256, msg, sig)
        .is_ok(),
        ("OKP", "EdDSA") => {
            assert_eq!(jwk["crv"], "Ed25519");
            UnparsedPublicKey::new(&ED25519, b64d(&jwk["x"]))
                .verify(msg, sig)
                .is_ok()
        }
        other => panic!("unexpected kty/alg {other:?}"),
    }
}

/// RFC 7638 computed independently of `jwk.rs`: a sorted map of the
/// required members, serialized by serde_json.
fn independent_thumbprint(jwk: &Value) -> String {
    let required: &[&str] = match jwk["kty"].as_str().unwrap() {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        other => panic!("{other}"),
    };
    let members: BTreeMap<&str, &str> = required.iter().map(|&m| (m, jwk[m].as_str().unwrap())).collect();
    let canonical = serde_json::to_string(&members).unwrap();
    assert!(!canonical.contains(' '));
    URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()))
}

fn signers() -> Vec<Arc<dyn Signer>> {
    JoseAlg::ALL
        .into_iter()
        .map(|alg| Arc::new(SoftwareSigner::generate(alg).unwrap()) as Arc<dyn Signer>)
        .collect()
}

#[test]
fn each_alg_signs_and_verifies_from_published_jwk() {
    let signers = signers();
    let jwks = serde_json::to_value(Jwks::from_signers(signers.iter().map(|s| s.as_ref()))).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 3);
    for (signer, jwk) in signers.iter().zip(jwks["keys"].as_array().unwrap()) {
        let alg = signer.alg();
        assert_eq!(jwk["alg"], alg.as_str());
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], signer.key_id());
        assert_eq!(signer.key_id(), signer.public_jwk().thumbprint());
        assert_eq!(signer.key_id(), independent_thumbprint(jwk), "{alg}");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(jwk.get(private).is_none(), "{alg} JWK has {private}");
        }

        let msg = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
        let sig = block_on(signer.sign(msg)).unwrap();
        let expected_len = match alg {
            JoseAlg::Es256 | JoseAlg::EdDsa => 64,
            JoseAlg::Ps256 => 256,
        };
        assert_eq!(sig.len(), expected_len, "{alg}");
        assert_eq!(signer.public_jwk().signature_len(), expected_len);
        assert!(verify_with_jwk(jwk, msg, &sig), "{alg} signature does not verify");
        assert!(
            !verify_with_jwk(jwk, b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0", &sig),
            "{alg}"
        );
    }
}

#[test]
fn pkcs8_der_and_pem_round_trip_keeps_kid() {
    for alg in JoseAlg::ALL {
        let original = SoftwareSigner::generate(alg).unwrap();
        let jwk = serde_json::to_value(original.public_jwk()).unwrap();

        let der = original.to_pkcs8_der().unwrap();
        let from_der = SoftwareSigner::from_pkcs8_der(alg, &der).unwrap();
        let pem = original.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");
        assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{alg}");
        assert!(pem.lines().all(|l| l.len() <= 64));
        let from_pem = SoftwareSigner::from_pkcs8_pem(alg, &format!("comment\n{}\ntrailer", *pem)).unwrap();

        for reloaded in [from_der, from_pem] {
            assert_eq!(reloaded.key_id(), original.key_id(), "{alg}");
            assert_eq!(reloaded.public_jwk(), original.public_jwk(), "{alg}");
            let sig = block_on(reloaded.sign(b"a.b")).unwrap();
            assert!(verify_with_jwk(&jwk, b"a.b", &sig), "{alg}");
        }
    }
}

#[test]
fn pkcs8_import_checks_alg_and_format() {
    let es = SoftwareSigner::generate(JoseAlg::Es256)
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    let ed = SoftwareSigner::generate(JoseAlg::EdDsa)
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    assert!(matches!(
        SoftwareSigner::from_pkcs8_der(JoseAlg::EdDsa, &es),
        Err(KeyError::Rejected { .. })
    ));
    assert!(matches!(
        SoftwareSigner::from_pkcs8_der(JoseAlg::Ps256, &es),
        Err(KeyError::Rejected { .. })
    ));
    assert!(matches!(
        SoftwareSigner::from_pkcs8_der(JoseAlg::Es256, &ed),
        Err(KeyError::Rejected { .. })
    ));
    assert!(SoftwareSigner::from_pkcs8_der(JoseAlg::Es256, b"not der").is_err());
    for bad in [
        "",
        "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n",
        "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
    ] {
        assert!(
            matches!(
                SoftwareSigner::from_pkcs8_pem(JoseAlg::Es256, bad),
                Err(KeyError::Pem(_))
            ),
            "{bad:?}"
        );
    }
}

/// TEST-ONLY throwaway keys made with `openssl genpkey` (OpenSSL 3.0); the
/// expected kids were computed outside Rust (openssl + Python hashlib).
const OPENSSL_P256_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0WmWFtjWwtne+4kE
ZFw7y3cm+HqJoexhKgC72xeIKpWhRANCAATF5iJEW24skvDnd6AS23wE1IU5qXBx
tHx7uK4049Gn1nxXrgzZO2SJ5KnXOEfN/USiVnUIPNuZ9eoAlJOnOCuK
-----END PRIVATE KEY-----
";
const OPENSSL_ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIGAIlCevt1QI3Q3Cz3bR70nmMYoKnwBde/pRKDRFSkeZ
-----END PRIVATE KEY-----
";

#[test]
fn imports_openssl_keys_with_independently_computed_kids() {
    let es = SoftwareSigner::from_pkcs8_pem(JoseAlg::Es256, OPENSSL_P256_PEM).unwrap();
    assert_eq!(
        serde_json::to_value(es.public_jwk()).unwrap(),
        json!({
            "kty": "EC", "crv": "P-256",
            "x": "xeYiRFtuLJLw53egEtt8BNSFOalwcbR8e7iuNOPRp9Y",
            "y": "fFeuDNk7ZInkqdc4R839RKJWdQg825n16gCUk6c4K4o",
            "kid": "9h4dQxhfCb6ZNZRMtyJlG2KiqgUO5vlXkybLOVSWh_g",
            "alg": "ES256", "use": "sig"
        })
    );
    let ed = SoftwareSigner::from_pkcs8_pem(JoseAlg::EdDsa, OPENSSL_ED25519_PEM).unwrap();
    assert_eq!(
        serde_json::to_value(ed.public_jwk()).unwrap(),
        json!({
            "kty": "OKP", "crv": "Ed25519",
            "x": "D37xlqdxtlwvmGslvwrsKR_aAwiEuoLzU0a2MV_ZA-4",
            "kid": "vZGHl4_J62Sog7t8KXB5JAvJSBVSWZYiGhPFEb3-UIw",
            "alg": "EdDSA", "use": "sig"
        })
    );
    // Ed25519 signatures are deterministic; ECDSA ones are not.
    assert_eq!(block_on(ed.sign(b"x")).unwrap(), block_on(ed.sign(b"x")).unwrap());
}

#[test]
fn jwk_json_round_trips() {
    for signer in signers() {
        let json = serde_json::to_string(signer.public_jwk()).unwrap();
        assert_eq!(
            &serde_json::from_str::<PublicJwk>(&json).unwrap(),
            signer.public_jwk()
        );
    }
}

#[test]
fn compact_jws_verifies_from_jwks() {
    for signer in signers() {
        let mut extra = Map::new();
        extra.insert("typ".into(), "JWT".into());
        let payload = br#"{"iss":"https://op.example","sub":"alice"}"#;
        let jws = block_on(sign_jws(signer.as_ref(), extra, payload)).unwrap();

        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": signer.alg().as_str(), "kid": signer.key_id(), "typ": "JWT"})
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[1]).unwrap(), payload);

        let jwks = serde_json::to_value(Jwks::from_signers([signer.as_ref()])).unwrap();
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == header["kid"])
            .unwrap();
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert!(
            verify_with_jwk(jwk, signing_input.as_bytes(), &sig),
            "{}",
            signer.alg()
        );
    }
}

#[test]
fn sign_jws_refuses_to_override_alg_kid_or_b64() {
    let signer = SoftwareSigner::generate(JoseAlg::EdDsa).unwrap();
    for (name, value) in [
        ("alg", json!("none")),
        ("kid", json!("other")),
        ("b64", json!(false)),
    ] {
        let mut extra = Map::new();
        extra.insert(name.into(), value);
        assert!(
            matches!(
                block_on(sign_jws(&signer, extra, b"{}")),
                Err(SignError::Failed(_))
            ),
            "{name}"
        );
    }
}

/// A stand-in for the PKCS#11 pool: proves the seam is usable as
/// `Arc<dyn Signer>` with a signer that defers to another thread.
struct FakeSigner {
    jwk: PublicJwk,
    reply: Result<Vec<u8>, SignError>,
}

impl Signer for FakeSigner {
    fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    fn sign<'a>(&'a self, _signing_input: &'a [u8]) -> SignFuture<'a> {
        let reply = self.reply.clone();
        Box::pin(async move {
            let (tx, rx) = std::sync::mpsc::channel();
            thread::spawn(move || tx.send(reply));
            rx.recv().map_err(|e| SignError::Unavailable(e.to_string()))?
        })
    }
}

#[test]
fn sign_jws_propagates_pool_errors_and_checks_signature_length() {
    let jwk = SoftwareSigner::generate(JoseAlg::Es256)
        .unwrap()
        .public_jwk()
        .clone();
    let cases = [
        (Err(SignError::Overloaded), SignError::Overloaded),
        (
            Err(SignError::Unavailable("session closed".into())),
            SignError::Unavailable("session closed".into()),
        ),
        // A DER-encoded ECDSA signature (70-72 bytes) instead of r || s.
        (
            Ok(vec![0x30; 71]),
            SignError::Failed("ES256 signer returned a 71-byte signature".into()),
        ),
    ];
    for (reply, expected) in cases {
        let signer: Arc<dyn Signer> = Arc::new(FakeSigner {
            jwk: jwk.clone(),
            reply,
        });
        assert_eq!(
            block_on(sign_jws(signer.as_ref(), Map::new(), b"{}")),
            Err(expected)
        );
    }
}

#[test]
fn futures_are_send_and_signers_are_shareable() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Arc<dyn Signer>>();
    assert_send_sync::<SoftwareSigner>();
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(JoseAlg::Es256).unwrap());
    let fut = sign_jws(signer.as_ref(), Map::new(), b"{}");
    assert_send(&fut);
    drop(fut);
    assert_send(&signer.sign(b"x"));
}

#[test]
fn debug_output_shows_only_alg_and_kid() {
    let signer = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    assert_eq!(
        format!("{signer:?}"),
        format!("SoftwareSigner {{ alg: Es256, kid: {:?}, .. }}", signer.key_id())
    );
    assert!(SOFTWARE_SIGNER_WARNING.contains("not in an HSM"));
}
