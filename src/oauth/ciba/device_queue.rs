//! The queue between a node's backchannel requests and its device channel
//! batcher (`device_batch.rs`, which sends what waits here): a request
//! queues its device claims with [`notify`] and waits for its own outcome.
//! Bounded by `[ciba] device_queue_max` (read at start): a request that
//! finds it full is refused at once with 503 `temporarily_unavailable`,
//! like a channel that cannot be reached. Held by `service::Ciba`, so it
//! imports nothing that knows the OP.

use super::device_channel::failed;
use crate::protocol::error::OAuthError;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

/// One request waiting for the device channel.
#[derive(Debug)]
pub struct Item {
    pub(super) auth_req_id: String,
    /// Its claims as JSON text (an object), made by the request's own task.
    pub(super) json: String,
    /// Its expiry (unix seconds).
    pub(super) exp: u64,
    /// Whether the device took it.
    pub(super) reply: oneshot::Sender<bool>,
}

/// The queue of a node's requests for the device channel.
pub type Queue = mpsc::Sender<Item>;

/// A queue holding at most `capacity` requests, and its receiving end for
/// `device_batch::run`.
pub fn queue(capacity: usize) -> (Queue, mpsc::Receiver<Item>) {
    mpsc::channel(capacity.max(1))
}

/// Queues the request `auth_req_id` (its device claims `claims`, expiring
/// at `exp`) and waits until the device took it, or refused it, or could
/// not be reached: `Err` 503 `temporarily_unavailable` then, and also when
/// the queue is full.
pub async fn notify(
    queue: &Queue,
    auth_req_id: &str,
    claims: &Map<String, Value>,
    exp: u64,
) -> Result<(), OAuthError> {
    let json = serde_json::to_string(claims).map_err(|_| failed())?;
    let (reply, answer) = oneshot::channel();
    let item = Item {
        auth_req_id: auth_req_id.to_owned(),
        json,
        exp,
        reply,
    };
    if queue.try_send(item).is_err() {
        metrics::counter!("fiducia_ciba_deliveries_total", "kind" => "device", "outcome" => "queue_full")
            .increment(1);
        tracing::warn!("the device channel's queue is full; a backchannel authentication request is refused");
        return Err(failed());
    }
    match answer.await {
        Ok(true) => Ok(()),
        _ => Err(failed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full queue refuses at once (503 `temporarily_unavailable`), without
    /// waiting for the worker.
    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let (queue, _items) = queue(1);
        let (reply, _answer) = oneshot::channel();
        let waiting = Item {
            auth_req_id: "a".into(),
            json: "{}".into(),
            exp: 400,
            reply,
        };
        queue.try_send(waiting).unwrap();
        let refused = notify(&queue, "b", &Map::new(), 400).await.unwrap_err();
        assert_eq!(
            refused.code,
            crate::protocol::error::ErrorCode::TemporarilyUnavailable
        );
    }
}
