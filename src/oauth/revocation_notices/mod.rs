//! Revocation notices pushed from the OP to the API gateways: a background
//! task on every node drains the revocation outbox (`store/repo/outbox.rs`,
//! written in each revocation's own transaction) to every
//! `[[resource_servers]]` entry with a `revocation_notice_url`, read from
//! the live configuration at every round (`oauth/live_sections`), so a
//! revoked token is refused at the gateway within about a second rather
//! than after its introspection cache's lifetime (RFC 7009 §2 with RFC
//! 7662 §4: a revoked token is no longer active).
//!
//! - Each notice is a JWT signed by the OP's active key through the signer
//!   pool (`protocol/revocation_notice.rs`: own `typ`, `iss`, `aud` the
//!   gateway's id, `iat`/`exp` one minute apart, the hashes and grant ids);
//!   the gateway verifies it with the OP's JWKS (`gateway/revocation_notice.rs`).
//! - Batching: every [`POLL`] the oldest [`round::BATCH`] records are read; each
//!   gateway gets those it has not yet taken, [`MAX_ITEMS`] hashes and
//!   grant ids to a notice.
//! - Retries: a gateway that fails (no connection, a timeout, any non-2xx)
//!   waits with exponential backoff ([`backoff`], 250 ms doubling to 30 s)
//!   while the others go on; what it took is remembered in memory.
//! - A record is deleted once every gateway with a notice URL took it (at
//!   once when none has one), or when it ages out or overflows the outbox's
//!   bounds (a warning and `fiducia_revocation_notices_dropped_total`).
//!   A restart forgets what each gateway took, so the records still in the
//!   outbox are sent again.
//! - Several OP nodes on one store each run this task: a record may reach
//!   a gateway from two nodes, or twice from one after a restart. A notice
//!   only drops cache entries (the gateway asks the OP again), so a
//!   duplicate is harmless and no coordination is needed.
//! - Shutdown ([`RevocationNotifier::stop`]) ends the round in progress
//!   where it is: nothing is lost, the outbox keeps what was not taken.
//!
//! [`MAX_ITEMS`]: crate::protocol::revocation_notice::MAX_ITEMS

pub mod backoff;
pub mod metrics;
pub mod post;
pub mod round;

use crate::oauth::op::OpState;
use crate::outbound::OutboundPoster;
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the outbox is read.
pub const POLL: Duration = Duration::from_millis(200);

/// The running notifier.
pub struct RevocationNotifier {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RevocationNotifier {
    /// Starts draining the outbox of `op` (held weakly: the task ends with
    /// the OP) through `poster`.
    pub fn spawn(op: Weak<OpState>, poster: OutboundPoster) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut gateways = round::Gateways::default();
            let mut ticks = tokio::time::interval(POLL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopped.changed() => return,
                }
                let Some(op) = op.upgrade() else { return };
                tokio::select! {
                    result = round::run(&op, &poster, &mut gateways) => {
                        if let Err(error) = result {
                            tracing::warn!(%error, "revocation outbox: the store failed; retrying next round");
                        }
                    }
                    _ = stopped.changed() => return,
                }
            }
        });
        Self { stop, task }
    }

    /// Stops after the round in progress is cut short; what was not taken
    /// stays in the outbox.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
