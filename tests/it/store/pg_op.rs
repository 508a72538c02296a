//! The whole OP on the PostgreSQL backend (`[store] backend = "postgres"`,
//! the password from `postgres_password_file`, SCRAM-SHA-256), over real
//! mTLS: an authorization code flow (PAR, login, consent, token;
//! FAPI 2.0 §5.3) and a client_credentials grant (RFC 6749 §4.4) whose
//! tokens introspect active (RFC 7662 §2.2), their records in the server's
//! table; with the server down, the token endpoint answers 503
//! `temporarily_unavailable` (RFC 6749 §4.1.2.1's code, as the OP uses it
//! for a store it cannot reach) rather than failing, and once the server is
//! back the pool reconnects and the token issued before is still active.

use crate::it::flow::harness::*;
use crate::it::flow::introspection::introspection_of;
use crate::it::pg_server::PgServer;
use crate::it::support::{TestPki, json};

const DB_PASSWORD: &str = "db-pass-7f3a";

fn store_section(url: &str, password_file: &std::path::Path) -> String {
    format!(
        "\n[store]\nbackend = \"postgres\"\npostgres_url = \"{url}\"\npostgres_password_file = \"{}\"\npostgres_sslmode = \"disable\"\npostgres_pool_size = 8\ntimeout_ms = 1500\n",
        password_file.display()
    )
}

async fn client_credentials(op: &Op) -> http::Response<bytes::Bytes> {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", "accounts"),
        ],
    );
    op.send(true, request).await
}

/// Introspection by the token's own mTLS client (RFC 7662 §2.1).
async fn introspect_mtls(op: &Op, token: &str) -> serde_json::Value {
    let request = form("/introspect", &[("token", token), ("client_id", MTLS)]);
    json(op.send(true, request).await.body())
}

async fn rows_in(dsn: &str) -> (i64, i32) {
    let (client, connection) = tokio_postgres::connect(dsn, tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(connection);
    let rows: i64 = client
        .query_one("SELECT count(*) FROM fiducia_kv", &[])
        .await
        .unwrap()
        .get(0);
    let version: i32 = client
        .query_one("SELECT version FROM fiducia_kv_schema", &[])
        .await
        .unwrap()
        .get(0);
    drop(client);
    let _ = task.await;
    (rows, version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_op_serves_flows_on_postgres_and_answers_temporarily_unavailable_while_it_is_down() {
    let Some(server) = PgServer::start_with_password(DB_PASSWORD) else {
        return;
    };
    let server = server.unwrap();
    let url = server.database().await;
    let db = url.rsplit('/').next().unwrap().to_string();
    let secrets = tempfile::tempdir().unwrap();
    let password_file = secrets.path().join("pg-password");
    std::fs::write(&password_file, format!("{DB_PASSWORD}\n")).unwrap();

    // A wrong password: the store does not open, and the error says why
    // without repeating either password.
    let wrong_file = secrets.path().join("wrong");
    std::fs::write(&wrong_file, "not-it\n").unwrap();
    let wrong = fiducia::config::StoreConfig {
        backend: fiducia::config::StoreBackend::Postgres,
        postgres_url: Some(url.clone().into()),
        postgres_password_file: Some(wrong_file),
        postgres_sslmode: fiducia::config::PostgresSslMode::Disable,
        ..fiducia::config::StoreConfig::default()
    };
    let refused = fiducia::store::open(&wrong).await.unwrap_err().to_string();
    assert!(refused.contains("password authentication failed"), "{refused}");
    assert!(
        !refused.contains("not-it") && !refused.contains(DB_PASSWORD),
        "{refused}"
    );

    let section = store_section(&url, &password_file);
    let op = Op::start_in(TestPki::new(), "", |_| section).await;

    // Authorization code flow with private_key_jwt and DPoP.
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let response = token_request(&op, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    let flow_tokens = json(response.body());
    let flow_token = flow_tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(introspection_of(&op, &flow_token).await["active"], true);
    // The code is single-use, and its replay revokes the tokens issued
    // from it (RFC 6749 §4.1.2): both facts held by the shared store.
    let replayed = token_request(&op, &authorized, Some(&dpop)).await;
    assert_eq!(json(replayed.body())["error"], "invalid_grant");
    assert_eq!(introspection_of(&op, &flow_token).await["active"], false);

    // client_credentials over mTLS.
    let response = client_credentials(&op).await;
    assert_status(&response, 200);
    let cc_token = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(introspect_mtls(&op, &cc_token).await["active"], true);
    let (rows, version) = rows_in(&server.socket_dsn(&db)).await;
    assert!(rows > 5, "the OP's records live in PostgreSQL: {rows} rows");
    assert_eq!(version, fiducia::store::postgres::SCHEMA_VERSION);

    // The server goes away: a clean OAuth error, not a 500.
    tokio::task::block_in_place(|| server.crash());
    let response = client_credentials(&op).await;
    assert_eq!(response.status(), 503, "{:?}", response.body());
    assert_eq!(json(response.body())["error"], "temporarily_unavailable");

    // Back after crash recovery: new grants work, old tokens survived.
    tokio::task::block_in_place(|| server.run()).unwrap();
    let response = client_credentials(&op).await;
    assert_status(&response, 200);
    let after = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(introspect_mtls(&op, &cc_token).await["active"], true);
    assert_eq!(introspect_mtls(&op, &after).await["active"], true);
    assert_eq!(introspection_of(&op, &flow_token).await["active"], false);
    op.handle.shutdown().await;
}
