//! The store: the backend conformance suite (on the embedded backend, and on
//! FoundationDB when `FDB_CLUSTER_FILE` is set and the build has `--features
//! fdb`) and the crash test of the embedded backend.

mod conformance;
mod crash;

use conformance::Factory;
use fiducia::store::embedded::{EmbeddedBackend, EmbeddedOptions, InjectedFault};
use fiducia::store::kv::Store;
use std::sync::Arc;

/// Fresh embedded stores in temporary directories.
pub struct EmbeddedFactory {
    dir: tempfile::TempDir,
    backend: Arc<EmbeddedBackend>,
}

impl EmbeddedFactory {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend =
            Arc::new(EmbeddedBackend::open(&dir.path().join("store"), EmbeddedOptions::default()).unwrap());
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
