//! The node's batcher of deliveries to the bank's authentication device
//! channel. A backchannel request hands its claims to
//! `device_queue::notify` and waits for its own outcome; one worker
//! ([`run`]) sends them: the requests that
//! arrived while a delivery was under way go out together as one JWS of
//! `typ` `ciba-requests+jwt` (`protocol::ciba::device_batch`), signed once
//! through the HSM pool and POSTed once, and each waiter is answered from
//! the device's per-request answer. A lone request goes out at once (the
//! worker waits on the queue, never on a timer). Bounded: a batch holds at
//! most `[ciba] device_batch_max` requests and `device_batch_max_bytes`
//! bytes of their claims (a larger request goes alone); the queue holds at
//! most `device_queue_max` (read at start), and a request finding it full
//! is refused at once with 503 `temporarily_unavailable`, as a channel that
//! cannot be reached is.
//!
//! One delivery is under way at a time per node, so the batch grows with
//! the load: at N requests a second and a round trip of T, about N·T
//! requests share a signature.

use super::device_channel::retry_policy;
use super::device_queue::Item;
use crate::oauth::op::OpState;
use crate::outbound::{AddressPolicy, Delivery};
use crate::protocol::ciba::device_batch::{BATCH_TYP, BatchAnswer, REQUESTS_CLAIM};
use serde_json::{Map, Value, json};
use std::sync::Weak;
use tokio::sync::mpsc;

/// Sends the queued requests in batches until the queue closes or the OP
/// is gone.
pub async fn run(op: Weak<OpState>, mut items: mpsc::Receiver<Item>) {
    let mut carried: Option<Item> = None;
    loop {
        let first = match carried.take() {
            Some(item) => item,
            None => match items.recv().await {
                Some(item) => item,
                None => return,
            },
        };
        let Some(op) = op.upgrade() else { return };
        let config = &op.config.get().ciba;
        let mut bytes = first.json.len();
        let mut batch = vec![first];
        while batch.len() < config.device_batch_max {
            let Ok(item) = items.try_recv() else { break };
            if bytes + 1 + item.json.len() > config.device_batch_max_bytes {
                carried = Some(item);
                break;
            }
            bytes += 1 + item.json.len();
            batch.push(item);
        }
        deliver(&op, batch).await;
    }
}

/// Signs `batch` into one JWS, POSTs it, and answers each waiter.
async fn deliver(op: &OpState, batch: Vec<Item>) {
    let size = batch.len();
    let answer = match post(op, &batch).await {
        Ok(answer) => Some(answer),
        Err(error) => {
            tracing::warn!(%error, requests = size, "the device channel did not take a batch of backchannel authentication requests");
            None
        }
    };
    let mut delivered = 0u64;
    for item in batch {
        let taken = answer.as_ref().is_some_and(|a| a.accepted(&item.auth_req_id));
        delivered += u64::from(taken);
        // A waiter that went away (its client hung up) is not an error.
        let _ = item.reply.send(taken);
    }
    metrics::histogram!("fiducia_ciba_device_batch_size").record(size as f64);
    let failed = size as u64 - delivered;
    metrics::counter!("fiducia_ciba_deliveries_total", "kind" => "device", "outcome" => "delivered")
        .increment(delivered);
    if failed > 0 {
        metrics::counter!("fiducia_ciba_deliveries_total", "kind" => "device", "outcome" => "failed")
            .increment(failed);
    }
}

/// The batch's JWS sent, the device's answer read.
async fn post(op: &OpState, batch: &[Item]) -> Result<BatchAnswer, String> {
    let config = &op.config.get().ciba;
    let poster = &op.services.ciba.as_deref().ok_or("CIBA is not enabled")?.poster;
    let keys = op.key_set();
    let signer = keys.signer.as_ref().ok_or("no active signing key")?;
    let jti = uuid::Uuid::new_v4().to_string();
    let envelope = (
        op.config.issuer(),
        config.device_audience.as_str(),
        op.now(),
        jti.as_str(),
    );
    let payload = payload(envelope, batch).map_err(|e| e.to_string())?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(BATCH_TYP.into()));
    let jws = fiducia_hsm::sign_jws(signer.as_ref(), header, payload.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let delivery = Delivery {
        url: &config.device_notification_url,
        content_type: "application/jwt",
        body: jws.into(),
        bearer: None,
    };
    let (_, body) = poster
        .deliver_answered(&delivery, AddressPolicy::Any, retry_policy(config))
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&body).map_err(|_| "the device's answer is not a batch answer".to_string())
}

/// The batch's claims: `iss`, `aud`, `iat`, `exp` (the latest of the
/// requests'; each request also carries its own), `jti`, and `requests`,
/// the requests' claims as each request's task wrote them.
fn payload((iss, aud, iat, jti): (&str, &str, u64, &str), batch: &[Item]) -> serde_json::Result<String> {
    let exp = batch.iter().map(|i| i.exp).max().unwrap_or_default();
    let envelope = json!({"iss": iss, "aud": aud, "iat": iat, "exp": exp, "jti": jti});
    let mut text = serde_json::to_string(&envelope)?;
    // The envelope is a non-empty object: its closing brace makes room.
    text.pop();
    text.reserve(batch.iter().map(|i| i.json.len() + 1).sum::<usize>() + 16);
    text.push_str(",\"");
    text.push_str(REQUESTS_CLAIM);
    text.push_str("\":[");
    for (n, item) in batch.iter().enumerate() {
        if n > 0 {
            text.push(',');
        }
        text.push_str(&item.json);
    }
    text.push_str("]}");
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, exp: u64) -> (Item, tokio::sync::oneshot::Receiver<bool>) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let json = json!({"auth_req_id": id, "sub": "acc", "exp": exp}).to_string();
        let item = Item {
            auth_req_id: id.into(),
            json,
            exp,
            reply,
        };
        (item, answer)
    }

    /// The payload is one JSON object: the envelope's claims, `exp` the
    /// latest request's, and `requests` with each request's claims as
    /// written.
    #[test]
    fn the_payload_holds_every_request_under_one_envelope() {
        let batch: Vec<Item> = [("a", 400), ("b", 700), ("c", 500)]
            .into_iter()
            .map(|(id, exp)| item(id, exp).0)
            .collect();
        let text = payload(("https://op.example", "device", 100, "j1"), &batch).unwrap();
        let claims: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(claims["iss"], "https://op.example");
        assert_eq!(claims["aud"], "device");
        assert_eq!(claims["iat"], 100);
        assert_eq!(claims["jti"], "j1");
        assert_eq!(claims["exp"], 700);
        let ids: Vec<&str> = claims[REQUESTS_CLAIM]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["auth_req_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(claims[REQUESTS_CLAIM][1]["exp"], 700);
    }
}
