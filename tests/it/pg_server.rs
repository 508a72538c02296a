//! Real PostgreSQL servers for tests, run by the library's
//! [`local_server`](fiducia::store::postgres::local_server) (which the
//! cluster sandbox uses too).
//!
//! [`shared`] is one server per test binary run (tests make a database each
//! with [`PgServer::database`]); [`PgServer::start`] makes a private one
//! (the crash test kills its own). When the server binaries are missing the
//! Postgres tests are skipped, unless `FIDUCIA_REQUIRE_POSTGRES=1` (CI:
//! `scripts/test.sh`), which makes that a failure.

use fiducia::store::postgres::local_server::{self, LocalServer};
use std::sync::OnceLock;

/// A running PostgreSQL server in a temporary directory.
pub struct PgServer(LocalServer);

/// The server shared by this test binary run, or `None` (skip) when
/// PostgreSQL is not installed and not required.
pub fn shared() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| PgServer::start().map(|s| s.expect("start the shared PostgreSQL server")))
        .as_ref()
}

/// Whether a missing server is a failure (`FIDUCIA_REQUIRE_POSTGRES=1`).
fn required() -> bool {
    std::env::var("FIDUCIA_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The server binaries, or `None` (skip, with the reason printed) when
/// they are missing and not required.
pub fn bin_dir() -> Option<std::path::PathBuf> {
    let Some(bin) = local_server::bin_dir() else {
        assert!(
            !required(),
            "FIDUCIA_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found (Debian package `postgresql`)"
        );
        eprintln!("skipped: no PostgreSQL server binaries (install Debian `postgresql`)");
        return None;
    };
    Some(bin)
}

impl PgServer {
    /// Initializes and starts a private server: `None` when PostgreSQL is
    /// not installed (a panic instead with `FIDUCIA_REQUIRE_POSTGRES=1`).
    pub fn start() -> Option<Result<Self, String>> {
        let bin = bin_dir()?;
        Some(
            LocalServer::temporary(bin, |_, _| Ok(Vec::new()))
                .map(Self)
                .map_err(|e| format!("{e:#}")),
        )
    }

    /// [`PgServer::start`] where TCP connections must authenticate with
    /// `password` (SCRAM-SHA-256); the Unix socket stays `trust` for the
    /// test's own connections ([`PgServer::socket_dsn`]).
    pub fn start_with_password(password: &str) -> Option<Result<Self, String>> {
        Some(Self::start()?.and_then(|server| {
            server
                .0
                .require_password(password)
                .map(|()| server)
                .map_err(|e| format!("{e:#}"))
        }))
    }

    /// [`PgServer::start`] that also accepts TLS, with the certificate
    /// chain and key given (PEM).
    pub fn start_with_tls(chain_pem: &str, key_pem: &str) -> Option<Result<Self, String>> {
        let bin = bin_dir()?;
        let (chain_pem, key_pem) = (chain_pem.to_string(), key_pem.to_string());
        let server = LocalServer::temporary(bin, move |dir, user| {
            let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
            std::fs::write(&cert, chain_pem)?;
            std::fs::write(&key, key_pem)?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
            if let Some((uid, gid)) = user {
                for file in [&cert, &key] {
                    std::os::unix::fs::chown(file, Some(uid), Some(gid))?;
                }
            }
            Ok(vec![
                "ssl=on".into(),
                format!("ssl_cert_file={}", cert.display()),
                format!("ssl_key_file={}", key.display()),
            ])
        });
        Some(server.map(Self).map_err(|e| format!("{e:#}")))
    }

    /// Starts `postgres` again (after [`PgServer::crash`]).
    pub fn run(&self) -> Result<(), String> {
        self.0.run().map_err(|e| format!("{e:#}"))
    }

    /// Kills the server and every backend process with SIGKILL.
    pub fn crash(&self) {
        self.0.crash()
    }

    /// Database `name` over the Unix socket (always `trust`).
    pub fn socket_dsn(&self, name: &str) -> String {
        self.0.socket_dsn(name)
    }

    /// A fresh, empty database; returns its URL.
    pub async fn database(&self) -> String {
        self.0.database().await.expect("create a test database")
    }
}
