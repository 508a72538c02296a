//! The PostgreSQL backend (`store.backend = "postgres"`): the KV contract of
//! [`kv`](super::kv) on one table of a PostgreSQL server that many OP nodes
//! share.
//!
//! - **Serializable**: every connection's default isolation is SERIALIZABLE
//!   (set at connect), so each transaction — and each autocommitted
//!   statement — runs under PostgreSQL's serializable snapshot isolation
//!   (PostgreSQL 15 docs, 13.2.3). A serialization failure (SQLSTATE 40001)
//!   or a deadlock (40P01) is [`KvError::Conflict`], retried by
//!   [`Store::run`](super::kv::Store::run) like the other backends'
//!   conflicts.
//! - **"Maybe committed" stays explicit**: a connection lost once `COMMIT`
//!   (or the autocommitted write) was sent is [`KvError::CommitUnknown`];
//!   lost before, it is a plain retry ([`errors::CONNECTION_LOST`]).
//! - **Durable at the acknowledgement**: the server's `synchronous_commit`
//!   (on by default) decides; the backend never turns it off.
//! - Limits and deadlines are [`kv`](super::kv)'s, above every backend. TTL
//!   needs nothing here: expiry is an index in the key space, swept by
//!   `repo::ExpirySweeper` in small transactions of its own; under SSI its
//!   reads take no locks, and its deletes lock only rows already expired,
//!   which no writer updates, so writers are not blocked.
//!
//! Connections come from a deadpool pool of `store.postgres_pool_size`;
//! TLS is rustls ([`tls`]). The tables are created and versioned on open
//! ([`schema`]).

mod batcher;
mod errors;
pub mod local_server;
mod schema;
mod shared;
mod tls;
mod transaction;
mod writes;

pub use errors::CONNECTION_LOST;
pub use schema::SCHEMA_VERSION;

use super::embedded::InjectedFault;
use super::kv::{Backend, BackendTransaction, KvError, RunOptions};
use crate::config::PostgresSslMode;
use futures::future::BoxFuture;
use shared::Shared;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How to reach the server.
#[derive(Clone)]
pub struct PostgresOptions {
    /// libpq connection URL or key-value string (a secret).
    pub url: String,
    /// The password, when not in the URL.
    pub password: Option<String>,
    /// Connections in the pool.
    pub pool_size: usize,
    /// TLS to the server.
    pub sslmode: PostgresSslMode,
    /// CA certificates (PEM) for `verify-full`; `None`: the system's roots.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("url", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("sslmode", &self.sslmode)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// The PostgreSQL backend.
pub struct PostgresBackend {
    shared: Arc<Shared>,
    closed: AtomicBool,
}

impl PostgresBackend {
    /// Connects, then creates or checks the tables. Errors name what failed
    /// without repeating the URL.
    pub async fn open(options: PostgresOptions) -> Result<Self, KvError> {
        let mut config: tokio_postgres::Config = options
            .url
            .parse()
            .map_err(|e| KvError::Backend(format!("store.postgres_url is not a PostgreSQL URL ({e})")))?;
        if let Some(password) = &options.password {
            config.password(password.as_bytes());
        }
        config
            .ssl_mode(match options.sslmode {
                PostgresSslMode::Disable => tokio_postgres::config::SslMode::Disable,
                PostgresSslMode::Require | PostgresSslMode::VerifyFull => {
                    tokio_postgres::config::SslMode::Require
                }
            })
            .options("-c default_transaction_isolation=serializable")
            .application_name("fiducia")
            .connect_timeout(Duration::from_secs(5))
            .keepalives_idle(Duration::from_secs(30));
        let tls =
            tls::MakeRustls::new(options.sslmode, options.ca_file.as_deref()).map_err(KvError::Backend)?;
        let manager = deadpool_postgres::Manager::from_config(
            config,
            tls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(5)))
            .wait_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| KvError::Backend(format!("PostgreSQL pool: {e}")))?;
        let mut first = pool
            .get()
            .await
            .map_err(|e| KvError::Backend(format!("cannot connect to PostgreSQL: {}", describe(&e))))?;
        schema::ensure(&mut first).await?;
        drop(first);
        Ok(Self {
            shared: Arc::new(Shared::new(pool)),
            closed: AtomicBool::new(false),
        })
    }

    /// Makes the next commits that write fail as told, for the "maybe
    /// committed" conformance case: `UnknownWithoutApply` kills the
    /// connection's server process before the commit is sent (a real lost
    /// connection), `UnknownAfterApply` commits and then drops the
    /// connection before the acknowledgement is read.
    pub fn inject_faults(&self, faults: &[InjectedFault]) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(faults.iter().copied());
    }
}

/// A pool error with its source (tokio-postgres puts the cause there).
fn describe(error: &deadpool_postgres::PoolError) -> String {
    use std::error::Error;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn begin(&self, _options: &RunOptions) -> Result<Box<dyn BackendTransaction>, KvError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(KvError::Closed);
        }
        Ok(Box::new(transaction::PostgresTransaction::new(
            self.shared.clone(),
        )))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        self.closed.store(true, Ordering::Release);
        // Connections in use finish their transaction and are then dropped.
        self.shared.pool.close();
        Box::pin(async {})
    }
}
