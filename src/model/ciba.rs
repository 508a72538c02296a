//! A pending backchannel authentication request (CIBA Core §7), stored
//! under its `auth_req_id` in the `ciba_request` kind, which is keyed by
//! the id's SHA-256 (store/keys.rs): the id itself, the client's bearer
//! secret for the token endpoint, is never stored. It lives in the store
//! until a little after it expires ([`BackchannelRequest::store_expires_at`]),
//! so a restart loses nothing and a late poll still hears `expired_token`.
//!
//! The rules are `protocol::ciba`'s: [`BackchannelRequest::poll`] runs the
//! poll state machine (§11) on the record, [`BackchannelRequest::decide`]
//! records the device's decision. Which key the eventual tokens are bound
//! to is decided at the token endpoint (or at push time), not here.

use crate::model::Binding;
use crate::protocol::ciba::notification::NotificationTarget;
use crate::protocol::ciba::{
    CibaStatus, Decision, DecisionRefusal, DeliveryMode, PollState, PollVerdict, decide, poll,
};
use crate::store::keys::Kind;
use crate::store::record::{Links, RecordMeta, StoredRecord};
use serde::{Deserialize, Serialize};

/// How long an expired request stays in the store, answering
/// `expired_token` (CIBA Core §11) rather than `invalid_grant` to a client
/// that polls late.
pub const RETAIN_AFTER_EXPIRY_SECS: u64 = 10 * 60;

/// A backchannel authentication request, from the endpoint's answer to its
/// redemption. Field order is the stored (bincode) layout: new fields go at
/// the end, with a schema version and migration (store/keys.rs).
///
/// The client and the customer are not stored in the value (since schema
/// 9): they are the record's links, which its metadata holds anyway for
/// the index entries, and [`StoredRecord::restore`] puts them back on every
/// read. One copy of each instead of two per pending request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackchannelRequest {
    /// The authenticated client that asked. Stored as the record's
    /// `client_id` link only.
    #[serde(skip)]
    pub client_id: String,
    /// The customer (OIDC `sub`): the account the hint resolved to. Stored
    /// as the record's `account_id` link only.
    #[serde(skip)]
    pub account_id: String,
    /// Requested scopes, `openid` among them.
    pub scopes: Vec<String>,
    /// RFC 9396: the `authorization_details` asked, as JSON text (bincode
    /// cannot hold a JSON value), echoed unchanged.
    pub authorization_details: Option<String>,
    /// The UK OBIE consent the customer is asked to authorise
    /// (`claims` `openbanking_intent_id`).
    pub openbanking_intent_id: Option<String>,
    /// CIBA Core §7.1: shown on both devices.
    pub binding_message: Option<String>,
    /// CIBA Core §7.1 `acr_values`, in order of preference.
    pub acr_values: Vec<String>,
    /// How the client receives the result (its registration's, at the time).
    pub delivery_mode: DeliveryMode,
    /// CIBA Core §7.1: the client's bearer token for its notification
    /// endpoint (ping, push); kept because it goes into the callback.
    pub client_notification_token: Option<String>,
    /// Unix seconds: when it was made.
    pub created_at: u64,
    /// Unix seconds: when the `auth_req_id` expires (§7.3 `expires_in`).
    pub expires_at: u64,
    /// Seconds between polls (§7.3), raised by `slow_down` (§11).
    pub interval: u64,
    /// When the client last polled.
    pub last_polled_at: Option<u64>,
    /// Pending, approved (acr, amr, auth_time), denied or redeemed.
    pub status: CibaStatus,
    /// The key the request came with: the DPoP key of a proof sent to the
    /// backchannel endpoint (RFC 9449; then polled tokens must be bound to
    /// it, as RFC 9449 §10 binds a code to a PAR's key), else the client
    /// certificate (RFC 8705). Pushed tokens (CIBA Core §10.3) are bound to
    /// it: no token request comes to bind them.
    pub sender: Option<Binding>,
    /// The grant the customer's approval made (with the OBIE consent it
    /// authorised); `None` until approved.
    pub grant_id: Option<String>,
    /// The interaction app (a `[[resource_servers]]` id with an
    /// `interaction_login_url`) the request was handed to instead of the
    /// device channel (`oauth::interaction_app::for_client`): only that app
    /// may read and decide it (`oauth::ciba::app_api`), and the device
    /// channel's decision is refused. `None`: the device channel's. Added
    /// in schema 16 (its migration appends `None`, one zero byte).
    #[serde(default)]
    pub app: Option<String>,
}

impl std::fmt::Debug for BackchannelRequest {
    /// Everything but the client's notification token (a credential).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackchannelRequest")
            .field("client_id", &self.client_id)
            .field("account_id", &self.account_id)
            .field("scopes", &self.scopes)
            .field("authorization_details", &self.authorization_details)
            .field("openbanking_intent_id", &self.openbanking_intent_id)
            .field("binding_message", &self.binding_message)
            .field("acr_values", &self.acr_values)
            .field("delivery_mode", &self.delivery_mode)
            .field(
                "client_notification_token",
                &self.client_notification_token.as_ref().map(|_| "…"),
            )
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .field("last_polled_at", &self.last_polled_at)
            .field("status", &self.status)
            .field("sender", &self.sender)
            .field("grant_id", &self.grant_id)
            .field("app", &self.app)
            .finish()
    }
}

impl StoredRecord for BackchannelRequest {
    const KIND: Kind = Kind::BackchannelAuthenticationRequest;
    fn links(&self) -> Links {
        // Its client and customer, held in its `RecordMeta` and matched there
        // when either is revoked; no index entry (`Kind::is_found_by_scan`).
        Links {
            client_id: Some(self.client_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }

    fn restore(&mut self, meta: &RecordMeta) {
        // Both links are always written (`links` above); a value without
        // them would read as no client's and no customer's, which every
        // check then refuses (the client and the device must match them).
        self.client_id = meta.client_id.clone().unwrap_or_default();
        self.account_id = meta.account_id.clone().unwrap_or_default();
    }
}

impl BackchannelRequest {
    /// The record's expiry in the store: [`RETAIN_AFTER_EXPIRY_SECS`] after
    /// the request's own.
    pub fn store_expires_at(&self) -> u64 {
        self.expires_at.saturating_add(RETAIN_AFTER_EXPIRY_SECS)
    }

    /// Whether the request has expired at `now` (CIBA Core §7.3).
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// CIBA Core §10.1 / §11: a token request on this request at `now`;
    /// the record is updated (last poll, raised interval, redeemed) and
    /// must be written back in the transaction that read it.
    pub fn poll(&mut self, now: u64) -> PollVerdict {
        let before = PollState {
            status: self.status.clone(),
            expires_at: self.expires_at,
            interval: self.interval,
            last_polled_at: self.last_polled_at,
        };
        let (verdict, after) = poll(&before, self.delivery_mode, now);
        self.status = after.status;
        self.interval = after.interval;
        self.last_polled_at = after.last_polled_at;
        verdict
    }

    /// The device's `decision` about customer `sub` at `now`: another
    /// customer's request is as unknown as a missing one (the channel's
    /// `404`).
    pub fn decide(&mut self, sub: &str, decision: Decision, now: u64) -> Result<(), DecisionRefusal> {
        if sub != self.account_id {
            return Err(DecisionRefusal::NotFound);
        }
        self.status = decide(&self.status, self.created_at, self.expires_at, decision, now)?;
        Ok(())
    }

    /// Pushed tokens were delivered (CIBA Core §10.3): no second delivery
    /// or redemption.
    pub fn mark_redeemed(&mut self) {
        self.status = CibaStatus::Redeemed;
    }

    /// Where a ping or push goes (CIBA Core §10.2): the client's
    /// registered `endpoint`, with this request's token as the bearer.
    pub fn notification_target(&self, endpoint: Option<&str>) -> Option<NotificationTarget> {
        Some(NotificationTarget {
            endpoint: endpoint?.to_string(),
            bearer: self.client_notification_token.clone()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ciba::{DeviceAuthentication, PollRefusal};
    use crate::store::codec;

    const T0: u64 = 1_800_000_000;

    fn request(mode: DeliveryMode) -> BackchannelRequest {
        BackchannelRequest {
            client_id: "fintech-1".into(),
            account_id: "alice".into(),
            scopes: vec!["openid".into(), "payments".into()],
            authorization_details: Some(r#"[{"type":"payment_initiation"}]"#.into()),
            openbanking_intent_id: Some("pdc-7".into()),
            binding_message: Some("W4SCT".into()),
            acr_values: vec!["urn:openbanking:psd2:sca".into()],
            delivery_mode: mode,
            client_notification_token: mode.notifies().then(|| "8d67dc78-7faa-4d41".into()),
            created_at: T0,
            expires_at: T0 + 120,
            interval: 5,
            last_polled_at: None,
            status: CibaStatus::Pending,
            sender: Some(Binding::Mtls("x5t".into())),
            grant_id: None,
            app: None,
        }
    }

    fn approval(auth_time: u64) -> Decision {
        Decision::Approved(DeviceAuthentication {
            acr: Some("urn:openbanking:psd2:sca".into()),
            amr: vec!["pwd".into(), "hwk".into()],
            auth_time,
        })
    }

    /// The metadata the repo stores in front of `record`: its links.
    fn meta(record: &BackchannelRequest) -> RecordMeta {
        let links = record.links();
        RecordMeta {
            expires_at: Some(record.store_expires_at()),
            consumed: None,
            client_id: links.client_id,
            grant_id: None,
            account_id: links.account_id,
            uid: None,
            auth_req_hash: None,
        }
    }

    /// The record survives the store's envelope (metadata, then payload) in
    /// every status, its client and customer put back from the metadata.
    #[test]
    fn round_trips_through_the_store_codec() {
        let mut approved = request(DeliveryMode::Ping);
        approved.decide("alice", approval(T0 + 10), T0 + 10).unwrap();
        for record in [request(DeliveryMode::Poll), approved, {
            let mut denied = request(DeliveryMode::Push);
            denied.status = CibaStatus::Denied;
            denied
        }] {
            let bytes = codec::encode(&(meta(&record), &record)).unwrap();
            let (stored_meta, mut read): (RecordMeta, BackchannelRequest) = codec::decode(&bytes).unwrap();
            assert_eq!((read.client_id.as_str(), read.account_id.as_str()), ("", ""));
            read.restore(&stored_meta);
            assert_eq!(read, record);
        }
    }

    /// Schema 9: the client and the customer are stored once, in the
    /// metadata (the index entries' links), not again in the payload.
    #[test]
    fn the_links_are_stored_once() {
        let record = request(DeliveryMode::Poll);
        let bytes = codec::encode(&(meta(&record), &record)).unwrap();
        let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
        assert_eq!(count(b"fintech-1"), 1);
        assert_eq!(count(b"alice"), 1);
    }

    /// CIBA Core §7.3: stored by the SHA-256 of the auth_req_id, found by
    /// client and by customer.
    #[test]
    fn kind_is_keyed_by_hash_and_links_client_and_customer() {
        assert!(BackchannelRequest::KIND.stored_by_hash());
        let links = request(DeliveryMode::Poll).links();
        assert_eq!(links.client_id.as_deref(), Some("fintech-1"));
        assert_eq!(links.account_id.as_deref(), Some("alice"));
        assert_eq!(links.grant_id, None);
        let id = "q0s8VQ9b3oJm6b8u1m3tq0s8VQ9b3oJm6b8u1m3tq0s";
        assert_eq!(Kind::BackchannelAuthenticationRequest.id_key(id).len(), 32);
    }

    /// CIBA Core §11 on the record: pending, slow_down keeps the raised
    /// interval, approval redeemed once, then invalid_grant.
    #[test]
    fn polling_the_record_follows_ciba_core_s11() {
        let mut record = request(DeliveryMode::Poll);
        assert_eq!(record.poll(T0 + 1), PollVerdict::Refuse(PollRefusal::Pending));
        assert_eq!(record.poll(T0 + 3), PollVerdict::Refuse(PollRefusal::SlowDown));
        assert_eq!((record.interval, record.last_polled_at), (10, Some(T0 + 3)));
        record.decide("alice", approval(T0 + 20), T0 + 20).unwrap();
        assert!(matches!(record.poll(T0 + 21), PollVerdict::Issue(a) if a.auth_time == T0 + 20));
        assert_eq!(record.status, CibaStatus::Redeemed);
        assert_eq!(record.poll(T0 + 40), PollVerdict::Refuse(PollRefusal::Redeemed));
        assert_eq!(record.interval, 10);
    }

    /// The device channel: another customer's request is not found, a
    /// second decision is refused, an expired request is never approved.
    #[test]
    fn the_device_decides_once_for_the_right_customer() {
        let mut record = request(DeliveryMode::Poll);
        assert_eq!(
            record.decide("bob", Decision::Denied, T0 + 5),
            Err(DecisionRefusal::NotFound)
        );
        assert_eq!(record.status, CibaStatus::Pending);
        record.decide("alice", Decision::Denied, T0 + 5).unwrap();
        assert_eq!(
            record.decide("alice", approval(T0 + 6), T0 + 6),
            Err(DecisionRefusal::AlreadyDecided)
        );
        assert_eq!(record.poll(T0 + 7), PollVerdict::Refuse(PollRefusal::Denied));
        let mut late = request(DeliveryMode::Poll);
        assert_eq!(
            late.decide("alice", approval(T0 + 120), T0 + 120),
            Err(DecisionRefusal::NotFound)
        );
        assert!(late.is_expired(T0 + 120) && !late.is_expired(T0 + 119));
        assert_eq!(late.store_expires_at(), T0 + 120 + RETAIN_AFTER_EXPIRY_SECS);
    }

    /// CIBA Core §10.2: the ping goes to the registered endpoint with this
    /// request's token; the token never shows in `Debug`.
    #[test]
    fn the_notification_target_and_a_debug_without_the_token() {
        let ping = request(DeliveryMode::Ping);
        let target = ping
            .notification_target(Some("https://rp.example.com/ciba"))
            .unwrap();
        assert_eq!(target.bearer, "8d67dc78-7faa-4d41");
        assert_eq!(
            request(DeliveryMode::Poll).notification_target(Some("https://x.example")),
            None
        );
        assert_eq!(ping.notification_target(None), None);
        assert!(!format!("{ping:?}").contains("8d67dc78"));
        let mut push = request(DeliveryMode::Push);
        push.mark_redeemed();
        assert_eq!(push.status, CibaStatus::Redeemed);
    }
}
