//! What CIBA needs beside the OP's state when `[ciba] enabled` (held by
//! `oauth::op::Services`, so it imports nothing that knows the OP).

use super::pending::Pending;
use crate::outbound::OutboundPoster;
use crate::protocol::ciba::notification::Notification;

/// CIBA's services.
pub struct Ciba {
    /// Outbound deliveries: the device channel, pings, pushes.
    pub poster: OutboundPoster,
    /// The node's pending requests.
    pub pending: Pending,
    /// When this node last saw each pending request polled.
    pub poll_times: super::poll_times::PollTimes,
    /// Requests for the device channel, sent in batches by
    /// `device_batch::run`.
    pub device: super::device_queue::Queue,
    /// Pings and pushes to clients, delivered by `notify::run`.
    pub deliveries: tokio::sync::mpsc::Sender<Job>,
}

/// One delivery to a client, queued by the decision.
#[derive(Debug)]
pub struct Job {
    /// The client.
    pub client_id: String,
    /// The request decided.
    pub auth_req_id: String,
    /// What to send.
    pub notification: Notification,
}
