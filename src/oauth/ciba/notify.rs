//! Telling ping and push clients (CIBA Core §10.2, §10.3, §12) once the
//! customer decided: a ping (`{"auth_req_id"}`) after an approval or a
//! denial; for push, on approval the tokens are issued
//! (`oauth::grants::ciba::redeem`, bound to the key the request came
//! with) and POSTed with the `auth_req_id`, on denial an `access_denied`
//! error payload. Each with the request's `client_notification_token` as
//! the Bearer token, to the client's registered endpoint, which must
//! resolve to public addresses (unless `[ciba]
//! danger_allow_private_notification_endpoints`), with `[ciba]`'s retries.
//!
//! The device's answer does not wait for the client: the decision handler
//! queues a [`Job`] and a worker ([`run`]) delivers it, each job in its own
//! task, at most [`MAX_IN_FLIGHT`] at once; a full queue drops the job
//! with a warning (a ping client may still poll, CIBA Core §10.2). A job in
//! flight when the OP stops is lost; the request stays decided in the
//! store.

use super::service::{Ciba, Job};
use crate::model::ciba::BackchannelRequest;
use crate::oauth::op::OpState;
use crate::outbound::{AddressPolicy, Delivery};
use crate::protocol::ciba::notification::{Notification, Outcome, notification_for};
use crate::protocol::ciba::{CibaStatus, DeliveryMode};
use std::sync::{Arc, Weak};
use tokio::sync::{Semaphore, mpsc};

/// Jobs queued at most.
pub const QUEUE: usize = 10_000;
/// Deliveries in flight at most.
pub const MAX_IN_FLIGHT: usize = 256;

/// Queues what `request` (decided; its id `auth_req_id`) needs sent.
pub async fn after_decision(op: &OpState, ciba: &Ciba, request: &BackchannelRequest, auth_req_id: &str) {
    if request.delivery_mode == DeliveryMode::Poll {
        return;
    }
    let outcome = match request.status {
        CibaStatus::Approved(_) => Outcome::Approved,
        _ => Outcome::Denied,
    };
    let endpoint = op.services.clients.get(&request.client_id).await.and_then(|c| {
        c.ciba
            .as_ref()?
            .metadata
            .backchannel_client_notification_endpoint
            .clone()
    });
    let target = request.notification_target(endpoint.as_deref());
    let notification = match notification_for(request.delivery_mode, outcome, auth_req_id, target) {
        Ok(notification) => notification,
        Err(missing) => {
            tracing::warn!(client_id = %request.client_id, %missing, "CIBA notification not sent");
            return;
        }
    };
    let job = Job {
        client_id: request.client_id.clone(),
        auth_req_id: auth_req_id.to_string(),
        notification,
    };
    if ciba.deliveries.try_send(job).is_err() {
        tracing::warn!(client_id = %request.client_id, "CIBA delivery queue full; notification dropped");
    }
}

/// The queue and its worker's end.
pub fn queue() -> (mpsc::Sender<Job>, mpsc::Receiver<Job>) {
    mpsc::channel(QUEUE)
}

/// Delivers queued jobs until the queue closes or the OP is gone.
pub async fn run(op: Weak<OpState>, mut jobs: mpsc::Receiver<Job>) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    while let Some(job) = jobs.recv().await {
        let Some(op) = op.upgrade() else { return };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        tokio::spawn(async move {
            deliver(&op, job).await;
            drop(slot);
        });
    }
}

async fn deliver(op: &OpState, job: Job) {
    let Some(ciba) = op.services.ciba.as_deref() else {
        return;
    };
    let config = &op.config.get().ciba;
    let policy = match config.danger_allow_private_notification_endpoints {
        true => AddressPolicy::Any,
        false => AddressPolicy::PublicOnly,
    };
    let (target, body, what) = match job.notification {
        Notification::Nothing => return,
        Notification::Ping(target, body) => (target, serde_json::to_vec(&body), "ping"),
        Notification::PushError(target, body) => (target, serde_json::to_vec(&body), "push_error"),
        Notification::PushTokens(target) => {
            let Some(client) = op.services.clients.get(&job.client_id).await else {
                return;
            };
            let mut uses = crate::oauth::replay::OneTimeUses::default();
            let sender = crate::oauth::grants::ciba::SenderOf::Recorded;
            match crate::oauth::grants::ciba::redeem(op, &client, &job.auth_req_id, sender, &mut uses).await {
                Ok(mut tokens) => {
                    if let Some(map) = tokens.as_object_mut() {
                        map.insert("auth_req_id".into(), job.auth_req_id.clone().into());
                    }
                    (target, serde_json::to_vec(&tokens), "push_tokens")
                }
                Err(error) => {
                    tracing::warn!(client_id = %job.client_id, %error, "CIBA tokens not issued for push");
                    return;
                }
            }
        }
    };
    let Ok(body) = body else { return };
    let delivery = Delivery {
        url: &target.endpoint,
        content_type: "application/json",
        body: body.into(),
        bearer: Some(&target.bearer),
    };
    let retry = super::device_channel::retry_policy(config);
    match ciba.poster.deliver(&delivery, policy, retry).await {
        Ok(_) => tracing::info!(client_id = %job.client_id, what, "CIBA notification delivered"),
        Err(error) => {
            tracing::warn!(client_id = %job.client_id, what, %error, "CIBA notification not delivered")
        }
    }
}
