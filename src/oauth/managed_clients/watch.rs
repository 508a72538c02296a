//! Each node's watch over the client documents: every
//! `store.client_config_poll_ms` (250 ms) it reads the store's client
//! configuration generation, one small read, and reloads the documents
//! into the registry's snapshot when another node moved it
//! (`ClientRegistry::poll_managed`). A change is thus in force on every
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
        if let Err(error) = op.services.clients.poll_managed().await {
            tracing::warn!(%error, "client configuration poll failed; retrying at the next tick");
        }
    }
}
