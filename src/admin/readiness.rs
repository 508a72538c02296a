//! Readiness: the OP is ready when every component it depends on says so and
//! it is not shutting down. A component is either a flag its owner sets
//! (registered as not ready) or a check evaluated at each `/readyz` (e.g.
//! "the signer pool has a session and an active key exists").

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

type ReadinessCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// Components whose readiness `/readyz` reports.
#[derive(Default)]
pub struct Readiness {
    components: Mutex<BTreeMap<&'static str, bool>>,
    checks: Mutex<Vec<(&'static str, ReadinessCheck)>>,
    draining: AtomicBool,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

impl Readiness {
    /// Registers `component` as not ready yet.
    pub fn register(&self, component: &'static str) {
        self.lock().insert(component, false);
    }

    /// Registers `component` as ready whenever `check` says so.
    pub fn register_check(&self, component: &'static str, check: impl Fn() -> bool + Send + Sync + 'static) {
        self.checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((component, Arc::new(check)));
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
        let mut components = self.lock().clone();
        let checks = self.checks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (component, check) in checks {
            components.insert(component, check());
        }
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

    #[test]
    fn checks_are_evaluated_at_each_snapshot() {
        let r = Readiness::default();
        let flag = Arc::new(AtomicBool::new(false));
        let seen = flag.clone();
        r.register_check("signer", move || seen.load(Ordering::SeqCst));
        assert!(!r.snapshot().2["signer"]);
        flag.store(true, Ordering::SeqCst);
        assert!(r.snapshot().0);
    }
}
