//! What every transaction of one PostgreSQL backend shares: the pool, the
//! group commit of blind writes, and the faults tests inject into the next
//! commits.

use super::batcher::Batcher;
use crate::store::embedded::InjectedFault;
use std::collections::VecDeque;
use std::sync::Mutex;

pub(crate) struct Shared {
    pub(super) pool: deadpool_postgres::Pool,
    pub(super) batcher: Batcher,
    pub(super) faults: Mutex<VecDeque<InjectedFault>>,
}

impl Shared {
    /// Starts the batcher's lanes: call inside the runtime.
    pub(super) fn new(pool: deadpool_postgres::Pool) -> Self {
        Self {
            batcher: Batcher::start(pool.clone()),
            pool,
            faults: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether a fault is waiting for a commit (such commits take the
    /// transaction's own connection, which the faults act on).
    pub(super) fn faults_pending(&self) -> bool {
        !self.faults.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    /// The fault the next commit that writes is to suffer, if any.
    pub(super) fn next_fault(&self) -> Option<InjectedFault> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
    }
}
