//! Readiness: the OP is ready when every component it depends on says so and
//! it is not shutting down. Components register at start-up as not ready.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Components whose readiness `/readyz` reports.
#[derive(Debug, Default)]
pub struct Readiness {
    components: Mutex<BTreeMap<&'static str, bool>>,
    draining: AtomicBool,
}

impl Readiness {
    /// Registers `component` as not ready yet.
    pub fn register(&self, component: &'static str) {
        self.lock().insert(component, false);
    }

    /// Sets a component's readiness.
    pub fn set(&self, component: &'static str, ready: bool) {
        self.lock().insert(component, ready);
    }

    /// Marks the process as shutting down: not ready from now on, so load
    /// balancers stop sending new requests while in-flight ones drain.
    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether everything is ready, and each component's state.
    pub fn snapshot(&self) -> (bool, bool, BTreeMap<&'static str, bool>) {
        let components = self.lock().clone();
        let draining = self.draining.load(Ordering::SeqCst);
        let ready = !draining && !components.is_empty() && components.values().all(|r| *r);
        (ready, draining, components)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, bool>> {
        self.components.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_all_components_are_and_not_draining() {
        let r = Readiness::default();
        assert!(!r.snapshot().0, "nothing registered is not ready");
        r.register("tls");
        r.register("signer");
        r.set("tls", true);
        assert!(!r.snapshot().0);
        r.set("signer", true);
        assert!(r.snapshot().0);
        r.set_draining();
        assert!(!r.snapshot().0);
    }
}
