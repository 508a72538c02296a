//! What every transaction of one PostgreSQL backend shares: the pool, and
//! the faults tests inject into the next commits.

use crate::store::embedded::InjectedFault;
use std::collections::VecDeque;
use std::sync::Mutex;

pub(crate) struct Shared {
    pub(super) pool: deadpool_postgres::Pool,
    pub(super) faults: Mutex<VecDeque<InjectedFault>>,
}

impl Shared {
    pub(super) fn new(pool: deadpool_postgres::Pool) -> Self {
        Self {
            pool,
            faults: Mutex::new(VecDeque::new()),
        }
    }

    /// The fault the next commit that writes is to suffer, if any.
    pub(super) fn next_fault(&self) -> Option<InjectedFault> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
    }
}
