//! `[store]`: where OP state lives (see `store/mod.rs`).

use super::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Which store backend holds OP state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// A local data directory (`engine`); one process. The default.
    Embedded,
    /// A FoundationDB cluster; needs a build with `--features fdb` and
    /// libfdb_c 7.3 installed.
    Fdb,
    /// A PostgreSQL server (12 or later) that many OP nodes share.
    Postgres,
}

/// Where the embedded backend applies and reads its durable batches
/// (`store/embedded/engine.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreEngine {
    /// The live data in memory as an ordered index; snapshots written off
    /// the request path. For deployments whose live records fit in memory.
    Memory,
    /// fjall, an LSM tree on disk with a block cache. The default.
    Lsm,
}

/// How the PostgreSQL backend protects its connections (libpq's `sslmode`,
/// of which the two that encrypt, and `disable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostgresSslMode {
    /// No TLS: only for a server reached over a Unix socket or loopback.
    Disable,
    /// TLS, but the server's certificate is not checked (libpq `require`):
    /// protects against a passive listener only; the server warns at start-up.
    Require,
    /// TLS, the certificate chain checked against `postgres_ca_file` (or the
    /// system's roots) and the host name against the certificate (libpq
    /// `verify-full`). The default.
    VerifyFull,
}

/// `[store]`: the token, session, consent and client state.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `embedded`, `postgres` or `fdb`. Default `embedded`. Env `FIDUCIA_STORE__BACKEND`.
    pub backend: StoreBackend,
    /// Embedded backend: the data directory, created when missing; relative
    /// paths are resolved against the config file's directory.
    /// Default `data`. Env `FIDUCIA_STORE__PATH`.
    pub path: PathBuf,
    /// FDB backend: the cluster file. Unset: FoundationDB's default
    /// (`FDB_CLUSTER_FILE`, then `/etc/foundationdb/fdb.cluster`).
    /// Default unset. Env `FIDUCIA_STORE__FDB_CLUSTER_FILE`.
    pub fdb_cluster_file: Option<PathBuf>,
    /// FDB backend: every key lives under this prefix (a subspace), so
    /// several deployments can share a cluster. Must not be empty or start
    /// with 0xff (FDB's system keys). Default `fiducia/`.
    /// Env `FIDUCIA_STORE__FDB_PREFIX`.
    pub fdb_prefix: String,
    /// Postgres backend: the connection URL
    /// (`postgresql://user[:password]@host[:port]/dbname[?options]`, as libpq
    /// reads it; `sslmode` belongs in `postgres_sslmode`, not here). A secret:
    /// never logged or printed. Default unset (required with
    /// `backend = "postgres"`). Env `FIDUCIA_STORE__POSTGRES_URL`.
    pub postgres_url: Option<Secret>,
    /// Postgres backend: a file whose first line is the password (instead of
    /// one in the URL, which then must have none). Default unset. Env
    /// `FIDUCIA_STORE__POSTGRES_PASSWORD_FILE`.
    pub postgres_password_file: Option<PathBuf>,
    /// Postgres backend: connections in the pool, i.e. transactions that run
    /// at once; more wait for a connection. Keep the sum over all OP nodes
    /// below the server's `max_connections`. Default `16`. Env
    /// `FIDUCIA_STORE__POSTGRES_POOL_SIZE`.
    pub postgres_pool_size: usize,
    /// Postgres backend: `disable`, `require` or `verify-full` (libpq's
    /// `sslmode`). Default `verify-full`. Env `FIDUCIA_STORE__POSTGRES_SSLMODE`.
    pub postgres_sslmode: PostgresSslMode,
    /// Postgres backend: PEM file of the CA certificates that sign the
    /// server's certificate, for `verify-full`. Unset: the system's roots.
    /// Default unset. Env `FIDUCIA_STORE__POSTGRES_CA_FILE`.
    pub postgres_ca_file: Option<PathBuf>,
    /// Embedded backend: `lsm` (fjall: data on disk behind a block cache
    /// and memtables) or `memory` (the live data in memory as an ordered
    /// index, snapshots written off the request path: shorter and rarer
    /// stalls and less CPU per commit, but memory grows with the live
    /// records — about 800 bytes per access token, so a peak rate times the
    /// token lifetime must fit `memory_budget_mib`). A store is created with
    /// the engine configured and opened only with it (docs/PERFORMANCE.md,
    /// "Store engines"). Default `lsm`. Env `FIDUCIA_STORE__ENGINE`.
    pub engine: StoreEngine,
    /// Memory engine: MiB the index of live records may take (estimated:
    /// keys, values and ~96 bytes per record). At it, every commit that sets
    /// a key is refused (503 `temporarily_unavailable` with `Retry-After`),
    /// reads and deletes go on, and writes resume as the sweeper deletes
    /// expired records. Default `1024`. Env `FIDUCIA_STORE__MEMORY_BUDGET_MIB`.
    pub memory_budget_mib: u64,
    /// Embedded backend: most transactions made durable by one fsync (group
    /// commit). Default `4096`. Env `FIDUCIA_STORE__MAX_BATCH_TRANSACTIONS`.
    pub max_batch_transactions: usize,
    /// LSM engine: fjall's block cache (recently read table blocks),
    /// in MiB: most of the store's memory beside the memtables. Default
    /// `64`. Env `FIDUCIA_STORE__CACHE_MIB`.
    pub cache_mib: u64,
    /// LSM engine: memtable size at which fjall writes it out as a
    /// table, in MiB. Smaller uses less memory but flushes (and compacts)
    /// more often, which costs commit latency (docs/PERFORMANCE.md: `32`
    /// with `MIMALLOC_ALLOW_THP=0` held the OP at 122–129 MiB under `flow`
    /// load, against 210 at the default, for a p99 commit of ~6 ms instead
    /// of ~4). Default `64`. Env `FIDUCIA_STORE__MEMTABLE_MIB`.
    pub memtable_mib: u64,
    /// LSM engine: threads that flush memtables and compact tables
    /// (fjall's workers). More keep up with a heavier write load on more
    /// cores; on two vCPUs one gives the lower commit latency
    /// (docs/PERFORMANCE.md). Default `1`. Env
    /// `FIDUCIA_STORE__BACKGROUND_THREADS`.
    pub background_threads: usize,
    /// Embedded backend: run the log's sync thread under Linux's
    /// `SCHED_BATCH` (sched(7)), so that waking it for a commit does not
    /// preempt the thread serving requests, whose next commits then join the
    /// same fdatasync. On the one-CPU load test it cut cc-pkjwt's OP CPU per
    /// grant by 13 % and flow's by 5–11 % (docs/PERFORMANCE.md). The price
    /// is in the tail: a cheap grant at a high steady rate (client_credentials
    /// with mTLS at 10,000/s and more) saw p99 latencies of 100–280 ms with
    /// it and 18–130 ms without; turn it off where latency matters more
    /// than CPU. Default `true`; elsewhere than Linux it does nothing. Env
    /// `FIDUCIA_STORE__SYNC_THREAD_BATCH_SCHEDULING`.
    pub sync_thread_batch_scheduling: bool,
    /// Embedded backend: MiB that must stay free on the store's disk. Below
    /// it every commit is refused before it is written (the OP answers 503
    /// `temporarily_unavailable` with `Retry-After`), reads are served, and
    /// commits resume by themselves once space returns
    /// (docs/RELIABILITY.md, "Disk full"). The headroom is what the store
    /// needs to apply what its log took and to flush its memtables: at
    /// least `memtable_mib` plus the log's next segment (68 MiB). `0`
    /// turns the guard off. Default `256`. Env `FIDUCIA_STORE__MIN_FREE_MIB`.
    pub min_free_mib: u64,
    /// Seconds between sweeps of expired records (reads hide them anyway).
    /// Default `60`. Env `FIDUCIA_STORE__SWEEP_INTERVAL_SECS`.
    pub sweep_interval_secs: u64,
    /// Total time a transaction may take, retries included, in milliseconds
    /// (FoundationDB `timeout`). Default `5000`. Env `FIDUCIA_STORE__TIMEOUT_MS`.
    pub timeout_ms: u64,
    /// Attempts before a conflicting transaction gives up (FoundationDB
    /// `retry_limit`). Default `100`. Env `FIDUCIA_STORE__RETRY_LIMIT`.
    pub retry_limit: u32,
    /// How often each node reads the store's client configuration and
    /// section generations, in milliseconds, and reloads the client
    /// documents or the sections managed live when another node changed
    /// them (`oauth/managed_clients/watch.rs`): a change made on one node is
    /// in force on the others within about this much (the node that made it
    /// applies it at once). One small read (two keys) per poll.
    /// Between 10 and 1000. Default `250`. Env
    /// `FIDUCIA_STORE__CLIENT_CONFIG_POLL_MS`.
    pub client_config_poll_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            backend: StoreBackend::Embedded,
            path: "data".into(),
            fdb_cluster_file: None,
            fdb_prefix: "fiducia/".into(),
            postgres_url: None,
            postgres_password_file: None,
            postgres_pool_size: 16,
            postgres_sslmode: PostgresSslMode::VerifyFull,
            postgres_ca_file: None,
            engine: StoreEngine::Lsm,
            memory_budget_mib: 1024,
            max_batch_transactions: 4096,
            cache_mib: 64,
            memtable_mib: 64,
            background_threads: 1,
            sync_thread_batch_scheduling: true,
            min_free_mib: 256,
            sweep_interval_secs: 60,
            timeout_ms: 5000,
            retry_limit: 100,
            client_config_poll_ms: 250,
        }
    }
}
