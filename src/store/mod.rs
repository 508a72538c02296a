//! Token, session, consent and client state: the OP's source of truth.
//!
//! Two layers (docs/ARCHITECTURE.md, "Store"):
//!
//! - [`kv`]: a transactional, ordered key-value interface with FoundationDB's
//!   semantics — serializable, read-your-writes, optimistic with retry of
//!   idempotent closures, "maybe committed" made explicit, FoundationDB's
//!   size and time limits enforced for every backend. Backends:
//!   [`embedded`] (its own write-ahead log and group commit in front of fjall or an in-memory index, in a data directory; the default),
//!   [`postgres`] (one table on a PostgreSQL server many nodes share) and
//!   `fdb` (FoundationDB, behind the cargo feature `fdb`).
//! - [`repo`]: typed records written once above the KV layer — upsert, find,
//!   consume-once, destroy, revoke-by-grant, lookups by client, grant, user,
//!   session uid and CIBA auth_req_id, TTL expiry with a sweeper — in the key
//!   schema of [`keys`] and the value envelope of [`codec`].
//!
//! Start-up: [`open`] the configured backend, then [`repo::Repo::open`]
//! checks the schema version; shutdown: [`kv::Store::close`].

pub mod audit;
pub mod codec;
pub mod embedded;
#[cfg(feature = "fdb")]
pub mod fdb;
pub mod keys;
pub mod kv;
pub mod postgres;
pub mod record;
pub mod repo;

use crate::config::{StoreBackend, StoreConfig};
use kv::{KvError, RunOptions, Store};
use std::sync::Arc;
use std::time::Duration;

/// Opens the backend `config` selects and returns the store handle. The
/// embedded and FDB backends open on a blocking thread.
pub async fn open(config: &StoreConfig) -> Result<Store, KvError> {
    let store = match config.backend {
        StoreBackend::Postgres => open_postgres(config).await?,
        StoreBackend::Embedded | StoreBackend::Fdb => {
            let config = config.clone();
            tokio::task::spawn_blocking(move || open_local(&config))
                .await
                .map_err(|e| KvError::Backend(format!("store open task failed: {e}")))??
        }
    };
    Ok(store.with_options(run_options(config)))
}

fn run_options(config: &StoreConfig) -> RunOptions {
    RunOptions {
        timeout: Duration::from_millis(config.timeout_ms),
        retry_limit: config.retry_limit,
    }
}

/// The Postgres backend: the URL from the config (or its env override), the
/// password from `postgres_password_file` when set (its first line).
async fn open_postgres(config: &StoreConfig) -> Result<Store, KvError> {
    let url = config
        .postgres_url
        .as_ref()
        .map(|u| u.expose().to_string())
        .ok_or_else(|| KvError::Backend("store.postgres_url is not set".into()))?;
    let password = match &config.postgres_password_file {
        Some(path) => {
            let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                KvError::Backend(format!("store.postgres_password_file {}: {e}", path.display()))
            })?;
            Some(text.lines().next().unwrap_or_default().to_string())
        }
        None => None,
    };
    let backend = postgres::PostgresBackend::open(postgres::PostgresOptions {
        url,
        password,
        pool_size: config.postgres_pool_size,
        sslmode: config.postgres_sslmode,
        ca_file: config.postgres_ca_file.clone(),
    })
    .await?;
    Ok(Store::new(Arc::new(backend)))
}

fn open_local(config: &StoreConfig) -> Result<Store, KvError> {
    let store = match config.backend {
        StoreBackend::Embedded => {
            let backend = embedded::EmbeddedBackend::open(
                &config.path,
                embedded::EmbeddedOptions {
                    engine: match config.engine {
                        crate::config::StoreEngine::Memory => embedded::EngineKind::Memory,
                        crate::config::StoreEngine::Lsm => embedded::EngineKind::Lsm,
                    },
                    memory_budget_bytes: config.memory_budget_mib.saturating_mul(1024 * 1024),
                    max_batch_transactions: config.max_batch_transactions,
                    cache_bytes: config.cache_mib.saturating_mul(1024 * 1024),
                    memtable_bytes: config.memtable_mib.saturating_mul(1024 * 1024),
                    background_threads: config.background_threads,
                    sync_thread_batch_scheduling: config.sync_thread_batch_scheduling,
                    min_free_bytes: config.min_free_mib.saturating_mul(1024 * 1024),
                },
            )?;
            Store::new(Arc::new(backend))
        }
        StoreBackend::Fdb => open_fdb(config)?,
        StoreBackend::Postgres => {
            return Err(KvError::Backend(
                "the Postgres backend opens asynchronously".into(),
            ));
        }
    };
    Ok(store)
}

#[cfg(feature = "fdb")]
fn open_fdb(config: &StoreConfig) -> Result<Store, KvError> {
    let backend = fdb::FdbBackend::open(config.fdb_cluster_file.as_deref(), config.fdb_prefix.as_bytes())?;
    Ok(Store::new(Arc::new(backend)))
}

#[cfg(not(feature = "fdb"))]
fn open_fdb(_config: &StoreConfig) -> Result<Store, KvError> {
    Err(KvError::Backend(
        "this build has no FoundationDB support: rebuild with `--features fdb`".into(),
    ))
}
