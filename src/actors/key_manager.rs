//! `KeyManager`: keeps the OP's [`KeySet`] current. With the PKCS#11
//! backend it reloads the key records from the token every
//! `signing.key_refresh_secs` (off the tokio workers), so a rotation done
//! with `fiducia keys rotate` on any node reaches every running server
//! without a restart; it publishes a new snapshot only when the keys
//! changed. (Readiness of the signer is checked live by the server: pool
//! session and active key.)

use crate::clock::Clock;
use crate::signing::{KeyBackend, KeySet};
use crate::store::audit::chain::node_name;
use crate::store::audit::observed::{ObservedKeys, record_key_set};
use crate::store::kv::Store;
use fiducia_hsm::JoseAlg;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The key manager (read-only definition).
pub struct KeyManager;

/// Its start-up arguments.
pub struct KeyManagerArgs {
    /// Where keys come from.
    pub backend: Arc<KeyBackend>,
    /// The algorithm the OP signs with.
    pub alg: JoseAlg,
    /// Reload period (PKCS#11 only).
    pub refresh: Duration,
    /// Where snapshots go.
    pub publish: watch::Sender<Arc<KeySet>>,
    /// Wall clock for the JWKS (retiring keys leave it on time).
    pub clock: Arc<dyn Clock>,
    /// The store whose audit trail records key set changes
    /// (`store::audit::observed`); `None` records nothing (tools, tests).
    pub audit: Option<Store>,
}

/// Messages.
pub enum KeyManagerMessage {
    /// Reload the key records now.
    Refresh,
    /// Reload, then answer with the published kids.
    RefreshAndReport(RpcReplyPort<Vec<String>>),
}

/// Its state.
pub struct KeyManagerState {
    args: KeyManagerArgs,
}

impl Actor for KeyManager {
    type Msg = KeyManagerMessage;
    type State = KeyManagerState;
    type Arguments = KeyManagerArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: KeyManagerArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let state = KeyManagerState { args };
        refresh(&state.args).await;
        if matches!(*state.args.backend, KeyBackend::Pkcs11 { .. }) {
            myself.send_interval(state.args.refresh, || KeyManagerMessage::Refresh);
        }
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        refresh(&state.args).await;
        if let KeyManagerMessage::RefreshAndReport(reply) = message {
            let _ = reply.send(state.args.publish.borrow().kids.clone());
        }
        Ok(())
    }
}

/// Appends the key set to the audit trail unless it is the one recorded
/// last (by this or another node). A store failure is logged: the keys are
/// published all the same (signing must not stop because the trail is
/// unavailable), and the next change records the state then.
async fn record_observed(store: &Store, keys: &KeySet, now: u64) {
    let mut published = keys.kids.clone();
    published.sort();
    let observed = ObservedKeys {
        signing: keys.signer.as_ref().map(|s| s.key_id().to_string()),
        published,
    };
    if let Err(e) = record_key_set(store, &observed, node_name(), now).await {
        tracing::warn!(error = %e, "the key set change could not be recorded in the audit trail");
    }
}

async fn refresh(args: &KeyManagerArgs) {
    let now = args.clock.now_unix();
    let next = match &*args.backend {
        KeyBackend::Software(signer) => KeySet::single(signer.clone()),
        KeyBackend::Pkcs11 { pool, admin } => {
            let admin = admin.clone();
            match tokio::task::spawn_blocking(move || admin.load()).await {
                Ok(Ok(ring)) => KeySet::from_ring(&ring, args.alg, pool, now),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "key records could not be read from the HSM");
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "key reload task failed");
                    return;
                }
            }
        }
    };
    if next.signer.is_none() {
        tracing::warn!(alg = %args.alg, "no active signing key: run `fiducia keys rotate --alg {}`", args.alg);
    }
    if !args.publish.borrow().same_keys(&next) {
        tracing::info!(kids = ?next.kids, signing = ?next.signer.as_ref().map(|s| s.key_id().to_string()), "signing keys updated");
        if let Some(store) = &args.audit {
            record_observed(store, &next, now).await;
        }
        args.publish.send_replace(Arc::new(next));
    }
}
