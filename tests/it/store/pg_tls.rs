//! TLS to PostgreSQL with rustls (`store.postgres_sslmode`), against a real
//! server with `ssl = on` (PostgreSQL 15 docs, 19.9 "Secure TCP/IP
//! Connections with SSL"): `verify-full` connects when the server's chain
//! leads to `postgres_ca_file` and its certificate names the host (RFC 6125
//! §6 through webpki), and refuses a server signed by another CA or named
//! otherwise; `require` encrypts without checking; the server's own view
//! (`pg_stat_ssl`) confirms the store's connections are encrypted.

use crate::it::pg_server::PgServer;
use fiducia::config::PostgresSslMode;
use fiducia::store::kv::Store;
use fiducia::store::postgres::{PostgresBackend, PostgresOptions};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::path::PathBuf;
use std::sync::Arc;

/// A CA (its PEM) and a server certificate it signed for `names`.
fn ca_and_server(names: &[&str]) -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca_pem, cert.pem(), key.serialize_pem())
}

fn options(url: &str, sslmode: PostgresSslMode, ca_file: Option<PathBuf>) -> PostgresOptions {
    PostgresOptions {
        url: url.to_string(),
        password: None,
        pool_size: 2,
        sslmode,
        ca_file,
    }
}

async fn encrypted_connections(dsn: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(dsn, tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(connection);
    let count = client
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = 'fiducia' AND s.ssl",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    drop(client);
    let _ = task.await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_checks_the_chain_and_the_name_and_require_only_encrypts() {
    let (ca_pem, cert_pem, key_pem) = ca_and_server(&["localhost"]);
    let Some(server) = PgServer::start_with_tls(&cert_pem, &key_pem) else {
        return;
    };
    let server = server.unwrap();
    // The certificate names `localhost`, not the address.
    let by_address = server.database().await;
    let url = by_address.replace("127.0.0.1", "localhost");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();

    let backend = PostgresBackend::open(options(&url, PostgresSslMode::VerifyFull, Some(ca_file.clone())))
        .await
        .unwrap();
    let store = Store::new(Arc::new(backend));
    store
        .run(|tx, _| async move { tx.set(b"tls/k", b"v") })
        .await
        .unwrap();
    let read = store
        .run(|tx, _| async move { tx.get(b"tls/k").await })
        .await
        .unwrap();
    assert_eq!(read.as_deref(), Some(&b"v"[..]));
    assert!(encrypted_connections(&server.socket_dsn("postgres")).await >= 1);
    store.close().await;

    // Another CA: refused at open, with the reason.
    let (other_ca, _, _) = ca_and_server(&["127.0.0.1"]);
    let other_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_file, other_ca).unwrap();
    let refused = PostgresBackend::open(options(
        &url,
        PostgresSslMode::VerifyFull,
        Some(other_file.clone()),
    ))
    .await
    .err()
    .expect("a server signed by another CA is refused");
    assert!(refused.to_string().contains("certificate"), "{refused}");

    // The right CA, but a name the certificate does not carry.
    let misnamed = PostgresBackend::open(options(&by_address, PostgresSslMode::VerifyFull, Some(ca_file)))
        .await
        .err()
        .expect("a certificate for another name is refused");
    assert!(misnamed.to_string().contains("certificate"), "{misnamed}");

    // require: encrypted whatever the certificate.
    let backend = PostgresBackend::open(options(&by_address, PostgresSslMode::Require, None))
        .await
        .unwrap();
    let store = Store::new(Arc::new(backend));
    let read = store
        .run(|tx, _| async move { tx.get(b"tls/k").await })
        .await
        .unwrap();
    assert_eq!(read.as_deref(), Some(&b"v"[..]));
    store.close().await;
}
