//! The store: the backend conformance suite (on the embedded backend with
//! each engine, on
//! PostgreSQL — a real server started by `pg_server`, a database per test —
//! and on FoundationDB when `FDB_CLUSTER_FILE` is set and the build has
//! `--features fdb`) and the crash tests: the embedded backend's process
//! killed, the PostgreSQL server killed.

mod acking_child;
mod audit_contention;
mod audit_crash;
mod clients_crash;
mod conformance;
mod crash;
mod disk_full;
mod pg_crash;
mod pg_op;
mod pg_tls;

use conformance::Factory;
use fiducia::store::embedded::{EmbeddedBackend, EmbeddedOptions, EngineKind, InjectedFault};
use fiducia::store::kv::Store;
use std::sync::Arc;

/// Fresh embedded stores in temporary directories.
pub struct EmbeddedFactory {
    dir: tempfile::TempDir,
    backend: Arc<EmbeddedBackend>,
}

impl EmbeddedFactory {
    /// The default engine (memory).
    pub fn new() -> Self {
        Self::with_engine(EngineKind::default())
    }

    pub fn with_engine(engine: EngineKind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let options = EmbeddedOptions {
            engine,
            ..EmbeddedOptions::default()
        };
        let backend = Arc::new(EmbeddedBackend::open(&dir.path().join("store"), options).unwrap());
        Self { dir, backend }
    }
}

impl Factory for EmbeddedFactory {
    fn store(&self) -> Store {
        let _ = &self.dir;
        Store::new(self.backend.clone())
    }

    fn inject_faults(&self, faults: &[InjectedFault]) -> bool {
        self.backend.inject_faults(faults);
        true
    }
}

mod embedded {
    crate::conformance_suite!(super::EmbeddedFactory::new());
}

mod embedded_lsm {
    crate::conformance_suite!(super::EmbeddedFactory::with_engine(
        fiducia::store::embedded::EngineKind::Lsm
    ));
}

mod postgres {
    use super::conformance::Factory;
    use fiducia::config::PostgresSslMode;
    use fiducia::store::embedded::InjectedFault;
    use fiducia::store::kv::Store;
    use fiducia::store::postgres::{PostgresBackend, PostgresOptions};
    use std::sync::Arc;

    /// A PostgreSQL store in a fresh database of the shared test server, or
    /// `None` (skipped) when PostgreSQL is not installed and not required.
    pub struct PostgresFactory(Arc<PostgresBackend>);

    impl PostgresFactory {
        pub async fn new() -> Option<Self> {
            let server = crate::it::pg_server::shared()?;
            let backend = PostgresBackend::open(PostgresOptions {
                url: server.database().await,
                password: None,
                pool_size: 40,
                sslmode: PostgresSslMode::Disable,
                ca_file: None,
            })
            .await
            .unwrap();
            Some(Self(Arc::new(backend)))
        }
    }

    impl Factory for PostgresFactory {
        fn store(&self) -> Store {
            Store::new(self.0.clone())
        }

        fn inject_faults(&self, faults: &[InjectedFault]) -> bool {
            self.0.inject_faults(faults);
            true
        }
    }

    crate::conformance_suite!(match super::postgres::PostgresFactory::new().await {
        Some(factory) => factory,
        None => return,
    });
}

#[cfg(feature = "fdb")]
mod fdb {
    use super::conformance::Factory;
    use fiducia::store::embedded::InjectedFault;
    use fiducia::store::fdb::FdbBackend;
    use fiducia::store::kv::Store;
    use std::sync::Arc;

    /// A FoundationDB store under a fresh random prefix, or `None` (the test
    /// is skipped) when `FDB_CLUSTER_FILE` is not set.
    pub struct FdbFactory(Store);

    impl FdbFactory {
        pub fn new() -> Option<Self> {
            let cluster_file = std::env::var_os("FDB_CLUSTER_FILE")?;
            let prefix = format!("fiducia-test/{}/", uuid::Uuid::new_v4());
            let backend =
                FdbBackend::open(Some(std::path::Path::new(&cluster_file)), prefix.as_bytes()).unwrap();
            Some(Self(Store::new(Arc::new(backend))))
        }
    }

    impl Factory for FdbFactory {
        fn store(&self) -> Store {
            self.0.clone()
        }

        fn inject_faults(&self, _faults: &[InjectedFault]) -> bool {
            false
        }
    }

    crate::conformance_suite!(match super::fdb::FdbFactory::new() {
        Some(factory) => factory,
        None => {
            eprintln!("skipped: FDB_CLUSTER_FILE is not set");
            return;
        }
    });
}
