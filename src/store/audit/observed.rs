//! Key operations in the audit trail. Key state lives in the HSM token, not
//! the store, and `fiducia keys` changes it from a CLI that cannot append
//! to the trail: with the embedded store the running OP holds the store
//! open, and the CLI is also run on hosts with no store configuration. So
//! the OP records what it observes: each node's key manager, on loading a
//! key set different from the one it published, calls [`record_key_set`],
//! which compares it with the key set the trail last recorded (the marker
//! `(66, 3, "keys")`) and appends one `keys_changed` record only if it
//! differs, in the same transaction as the marker. Every node observes the
//! rotation; the marker makes it one record, whichever node is first. The
//! actor is that node (the CLI's operator is in the HSM's and the host's
//! logs, not here); a key operation through the Config API appends
//! with the operator as actor directly.

use super::record::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::keys;
use crate::store::kv::{KvError, Store};
use serde::{Deserialize, Serialize};

/// A key set as the trail records it: public key ids only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedKeys {
    /// The kid the OP signs with, if any.
    pub signing: Option<String>,
    /// The kids the JWKS publishes, sorted.
    pub published: Vec<String>,
}

/// Records `observed` at `now` as seen by `node` if it differs from the key
/// set last recorded; whether it appended a record.
pub async fn record_key_set(
    store: &Store,
    observed: &ObservedKeys,
    node: &str,
    now: u64,
) -> Result<bool, KvError> {
    let bytes = serde_json::to_vec(observed).map_err(|e| KvError::Corrupt(format!("key set: {e}")))?;
    let bytes = &bytes;
    store
        .run(|tx, _| async move {
            let key = keys::audit_marker_key("keys");
            let last: Option<ObservedKeys> = match tx.get(&key).await? {
                Some(stored) if stored == *bytes => return Ok(false),
                Some(stored) => serde_json::from_slice(&stored).ok(),
                None => None,
            };
            tx.set(&key, bytes)?;
            let event = key_event(last.as_ref(), observed, node);
            super::append(&tx, &event, now).await?;
            Ok(true)
        })
        .await
}

fn key_event(last: Option<&ObservedKeys>, now: &ObservedKeys, node: &str) -> AuditEvent {
    let target = Target::new("key", now.signing.as_deref().unwrap_or(""));
    let mut event = AuditEvent::new(EventType::KeysChanged, Actor::Node(node.to_string()), target);
    let before_signing = last.and_then(|l| l.signing.as_deref());
    if before_signing != now.signing.as_deref() {
        event = event.with_change(Change {
            member: "signing".into(),
            from: before_signing.map(str::to_string),
            to: now.signing.clone(),
        });
    }
    let before: &[String] = last.map_or(&[], |l| l.published.as_slice());
    for kid in now.published.iter().filter(|k| !before.contains(k)) {
        event = event.with_change(Change::state("published", None, kid));
    }
    for kid in before.iter().filter(|k| !now.published.contains(k)) {
        event = event.with_change(Change {
            member: "published".into(),
            from: Some(kid.clone()),
            to: None,
        });
    }
    event
}
