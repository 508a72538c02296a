//! Criterion benchmarks of the OP's per-request work without the network:
//! JWS verification per algorithm, private_key_jwt client assertion
//! validation (RFC 7523 §3), DPoP proof validation (RFC 9449 §4.3), the
//! client_credentials issue path (assertion + proof + a durable token
//! commit), a store commit alone, a signature through the PKCS#11 signer
//! pool (SoftHSM), and one argon2id password verification.
//!
//! ```text
//! cargo bench -p fiducia-bench --bench op
//! cargo bench -p fiducia-bench --bench op -- dpop      # one group
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use fiducia::model::Binding;
use fiducia::model::records::AccessToken;
use fiducia::protocol::client_auth::{AudiencePolicy, ClientAssertion, check_client_assertion};
use fiducia::protocol::dpop::{DpopRequest, check_dpop_proof};
use fiducia::protocol::jose::{ClientJwk, PublicJwk, verify_jws};
use fiducia::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use fiducia::store::kv::Store;
use fiducia::store::record::FreshId;
use fiducia::store::repo::Repo;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ISSUER: &str = "https://op.example";
const TOKEN_URL: &str = "https://op.example/token";
const CLIENT: &str = "bench-client";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn sign(
    rt: &tokio::runtime::Runtime,
    key: &dyn Signer,
    header: Map<String, Value>,
    claims: &Value,
) -> String {
    rt.block_on(sign_jws(key, header, claims.to_string().as_bytes()))
        .unwrap()
}

fn assertion(rt: &tokio::runtime::Runtime, key: &dyn Signer) -> String {
    let now = now();
    let claims =
        json!({ "iss": CLIENT, "sub": CLIENT, "aud": ISSUER, "iat": now, "exp": now + 60, "jti": "j-1" });
    sign(rt, key, Map::new(), &claims)
}

fn dpop_proof(rt: &tokio::runtime::Runtime, key: &SoftwareSigner) -> String {
    let claims = json!({ "jti": "p-1", "htm": "POST", "htu": TOKEN_URL, "iat": now() });
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), serde_json::to_value(key.public_jwk()).unwrap());
    sign(rt, key, header, &claims)
}

fn client_jwk(key: &SoftwareSigner) -> ClientJwk {
    let value = serde_json::to_value(key.public_jwk()).unwrap();
    ClientJwk::from_json(value.as_object().unwrap()).unwrap()
}

/// RFC 7515 §5.2 signature verification with a registered key, per algorithm.
fn jws_verify(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("jws_verify");
    for alg in [JoseAlg::Es256, JoseAlg::Ps256, JoseAlg::EdDsa] {
        let key = SoftwareSigner::generate(alg).unwrap();
        let keys: Vec<PublicJwk> = vec![key.public_jwk().clone()];
        let jws = sign(&rt, &key, Map::new(), &json!({ "sub": "bench", "iat": now() }));
        group.bench_function(alg.as_str(), |b| {
            b.iter(|| verify_jws(&jws, &keys, None).unwrap())
        });
    }
    group.finish();
}

/// RFC 7523 §3 / FAPI 2.0 §5.3.2.1: signature and claims of a client assertion.
fn client_assertion(c: &mut Criterion) {
    let rt = runtime();
    let key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let keys = vec![client_jwk(&key)];
    let jwt = assertion(&rt, &key);
    c.bench_function("client_assertion/es256", |b| {
        b.iter(|| {
            let parsed =
                ClientAssertion::parse("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", &jwt)
                    .unwrap();
            check_client_assertion(
                parsed,
                CLIENT,
                &keys,
                AudiencePolicy::IssuerOnly(ISSUER),
                now(),
                300,
            )
            .unwrap()
        })
    });
}

/// RFC 9449 §4.3: a DPoP proof at the token endpoint.
fn dpop(c: &mut Criterion) {
    let rt = runtime();
    let key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let proof = dpop_proof(&rt, &key);
    let request = DpopRequest {
        method: "POST",
        url: TOKEN_URL,
        access_token: None,
        expected_nonce: None,
    };
    c.bench_function("dpop_proof/es256", |b| {
        b.iter(|| check_dpop_proof(&proof, request, now(), 60).unwrap())
    });
}

fn store(dir: &std::path::Path, rt: &tokio::runtime::Runtime) -> Repo {
    rt.block_on(async {
        let backend = Arc::new(EmbeddedBackend::open(dir, EmbeddedOptions::default()).unwrap());
        Repo::open(Store::new(backend)).await.unwrap()
    })
}

fn token_record(jkt: &str, now: u64) -> AccessToken {
    AccessToken {
        client_id: CLIENT.into(),
        account_id: None,
        scopes: vec!["accounts".into()],
        grant_id: FreshId::generate().unwrap().into_string(),
        binding: Binding::Dpop(jkt.into()),
        issued_at: now,
        expires_at: now + 600,
        authorization_details: None,
        claims: None,
    }
}

/// One durable token commit (`Repo::insert_new`, fdatasynced), one writer.
fn store_commit(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let repo = store(dir.path(), &rt);
    let mut group = c.benchmark_group("store");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("insert_new_durable", |b| {
        b.iter(|| {
            let now = now();
            let id = FreshId::generate().unwrap();
            rt.block_on(repo.insert_new(&id, &token_record("jkt", now), Some(600), now))
                .unwrap()
        })
    });
    group.finish();
}

/// The client_credentials issue path without HTTP: the assertion and the
/// DPoP proof checked, a DPoP-bound token committed.
fn token_issue(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let repo = store(dir.path(), &rt);
    let client_key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let keys = vec![client_jwk(&client_key)];
    let jwt = assertion(&rt, &client_key);
    let dpop_key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let proof = dpop_proof(&rt, &dpop_key);
    let request = DpopRequest {
        method: "POST",
        url: TOKEN_URL,
        access_token: None,
        expected_nonce: None,
    };
    let mut group = c.benchmark_group("token_issue");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("client_credentials_pkjwt_dpop", |b| {
        b.iter(|| {
            let now = now();
            let parsed =
                ClientAssertion::parse("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", &jwt)
                    .unwrap();
            check_client_assertion(
                parsed,
                CLIENT,
                &keys,
                AudiencePolicy::IssuerOnly(ISSUER),
                now,
                300,
            )
            .unwrap();
            let checked = check_dpop_proof(&proof, request, now, 60).unwrap();
            let id = FreshId::generate().unwrap();
            rt.block_on(repo.insert_new(&id, &token_record(&checked.jkt, now), Some(600), now))
                .unwrap()
        })
    });
    group.finish();
}

/// One ES256 signature through the PKCS#11 signer pool (SoftHSM), one at a time.
fn signer_pool(c: &mut Criterion) {
    use fiducia_hsm::pkcs11::admin::KeyAdmin;
    use fiducia_hsm::pkcs11::lifecycle::RotationPolicy;
    use fiducia_hsm::pkcs11::softhsm::new_token;
    use fiducia_hsm::pkcs11::{Pin, PoolConfig, SignerPool, TokenConfig};
    const PIN: &str = "bench-pin";
    let Ok(soft) = new_token("criterion", PIN) else {
        eprintln!("signer_pool: SoftHSM is not installed, skipped");
        return;
    };
    let token = TokenConfig {
        module: soft.module,
        token_label: soft.label,
        pin: Pin::new(PIN),
    };
    let policy = RotationPolicy {
        jwks_cache_ttl: Duration::from_secs(300),
        max_token_lifetime: Duration::from_secs(3600),
        refresh_interval: Duration::from_secs(10),
    };
    let record = KeyAdmin::new(token.clone(), policy)
        .generate(JoseAlg::Es256, 2048, "bench", 0)
        .unwrap();
    let kid: Arc<str> = record.kid().into();
    let rt = runtime();
    let pool = rt
        .block_on(SignerPool::start(PoolConfig {
            token,
            workers: 2,
            queue_capacity: 64,
            job_deadline: Duration::from_secs(10),
        }))
        .unwrap();
    rt.block_on(pool.wait_ready(Duration::from_secs(5)));
    let input = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9".to_vec();
    c.bench_function("signer_pool/es256", |b| {
        b.iter(|| {
            rt.block_on(pool.sign(kid.clone(), JoseAlg::Es256, input.clone()))
                .unwrap()
        })
    });
    rt.block_on(pool.shutdown());
}

/// One argon2id password verification (RFC 9106) at the sandbox's setting,
/// m = 7168 KiB, t = 5, p = 1: the OWASP minimum, what `flow` pays per login.
fn password(c: &mut Criterion) {
    use fiducia::login::password::PasswordHasher;
    let rt = runtime();
    let hasher = PasswordHasher::new(7168, 5, 1, (1, 64)).unwrap();
    let stored = rt.block_on(hasher.hash("wonderland-123")).unwrap();
    let mut group = c.benchmark_group("password");
    group.sample_size(20);
    group.bench_function("argon2id_m7168_t5_p1", |b| {
        b.iter(|| {
            assert!(
                rt.block_on(hasher.verify(Some(&stored), "wonderland-123"))
                    .unwrap()
            )
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    jws_verify,
    client_assertion,
    dpop,
    token_issue,
    store_commit,
    signer_pool,
    password
);
criterion_main!(benches);
