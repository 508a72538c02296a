//! Starts and stops FoundationDB's client network thread, which the C client
//! needs before any database is opened. It may start once per process and
//! must be stopped before the process exits (foundationdb-rs `api::boot`).
//!
//! [`start`] boots it on first use and hands out shared handles; when the
//! last handle is dropped the network stops, and it cannot start again in
//! the same process.
//!
//! Without the `fdb` feature this crate is empty.

#![cfg(feature = "fdb")]

use foundationdb::api::{FdbApiBuilder, NetworkAutoStop};
use std::sync::{Arc, Mutex, Weak};

/// While any handle lives, the FoundationDB network runs.
pub struct Network {
    _running: NetworkAutoStop,
}

enum State {
    NeverStarted,
    Running(Weak<Network>),
    Stopped,
}

static STATE: Mutex<State> = Mutex::new(State::NeverStarted);

/// The running network, started on first call.
pub fn start() -> Result<Arc<Network>, String> {
    let mut state = STATE.lock().unwrap_or_else(|p| p.into_inner());
    if let State::Running(weak) = &*state {
        if let Some(network) = weak.upgrade() {
            return Ok(network);
        }
        *state = State::Stopped;
    }
    if let State::Stopped = &*state {
        return Err("the FoundationDB network was stopped and cannot start again in this process".into());
    }
    let builder = FdbApiBuilder::default()
        .build()
        .map_err(|e| format!("cannot select FoundationDB API version: {e}"))?;
    // SAFETY: foundationdb-rs requires the returned `NetworkAutoStop` to be
    // dropped before the process exits. It lives in `Network`, handed out as
    // `Arc`s to the store backends, which the server drops on shutdown
    // (`Store::close`, then the store is dropped before `main` returns). If a
    // process exits some other way the network thread simply dies with it
    // (the documented exception: an aborted program).
    #[allow(unsafe_code)]
    let running =
        unsafe { builder.boot() }.map_err(|e| format!("cannot start the FoundationDB network: {e}"))?;
    let network = Arc::new(Network { _running: running });
    *state = State::Running(Arc::downgrade(&network));
    Ok(network)
}
