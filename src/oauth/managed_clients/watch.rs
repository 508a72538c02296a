//! Each node's watch over the client and section documents: every
//! `store.client_config_poll_ms` (250 ms) it reads the store's client
//! configuration generation and section generation, one small transaction
//! (`live_sections/generation.rs`), and reloads the client documents into
//! the registry's snapshot (`ClientRegistry::reload_managed_if_moved`) or
//! the sections into theirs (`LiveSections::reload_if_moved`) when another
//! node moved the one or the other. A change is thus in force on every
//! node within about one poll interval plus a reload; the node that made
//! it applies it at once. The task ends with the OP state.

use crate::oauth::op::OpState;
use std::sync::Weak;
use std::time::Duration;

/// Polls until the OP state is dropped.
pub async fn run(op: Weak<OpState>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(op) = op.upgrade() else {
            return;
        };
        let generations = match crate::oauth::live_sections::generation::read(&op.services.repo).await {
            Ok(generations) => generations,
            Err(error) => {
                tracing::warn!(%error, "configuration poll failed; retrying at the next tick");
                continue;
            }
        };
        if let Err(error) = op
            .services
            .clients
            .reload_managed_if_moved(generations.clients)
            .await
        {
            tracing::warn!(%error, "client documents could not be reloaded; retrying at the next tick");
        }
        if let Err(error) = op.services.sections.reload_if_moved(generations.sections).await {
            tracing::warn!(%error, "sections could not be reloaded; retrying at the next tick");
        }
    }
}
