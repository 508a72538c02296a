//! The request budgets of registered clients as the node runs them
//! (`model/registered_budget.rs`): built from the live registration
//! policy's `client_limits` and the trusted directories in force
//! (`LiveSections::effective_config`), rebuilt only when the sections'
//! generation moved, so a lookup costs one atomic load and a compare. The
//! client registry resizes a client's bucket when its budget changed
//! (`actors/client_registry.rs`), so a lowered limit is in force on the
//! next request (RFC 6585 §4: 429 beyond it).

use crate::model::registered_budget::{BudgetSource, RegisteredBudgets};
use crate::oauth::live_sections::LiveSections;
use arc_swap::ArcSwap;
use std::sync::Arc;

/// The budgets of the sections a node runs.
pub struct LiveBudgets {
    sections: Arc<LiveSections>,
    built: ArcSwap<(u64, Arc<RegisteredBudgets>)>,
}

impl LiveBudgets {
    /// The budgets of `sections`, now and as they change.
    pub fn new(sections: Arc<LiveSections>) -> Self {
        let built = of(&sections);
        Self {
            sections,
            built: ArcSwap::from_pointee(built),
        }
    }
}

fn of(sections: &LiveSections) -> (u64, Arc<RegisteredBudgets>) {
    let generation = sections.generation();
    let config = sections.effective_config();
    (
        generation,
        Arc::new(RegisteredBudgets::from_config(&config.registration)),
    )
}

impl BudgetSource for LiveBudgets {
    fn budgets(&self) -> Arc<RegisteredBudgets> {
        let built = self.built.load();
        if built.0 == self.sections.generation() {
            return built.1.clone();
        }
        let fresh = of(&self.sections);
        let budgets = fresh.1.clone();
        self.built.store(Arc::new(fresh));
        budgets
    }
}
