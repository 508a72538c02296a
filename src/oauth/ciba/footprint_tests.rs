//! What one pending CIBA request costs the store: the keys and values its
//! backchannel request commits (`backchannel.rs` `store`: the record with
//! its index and expiry entries, and the signed request's `jti` mark with
//! its expiry entry), for a typical request of the load test's
//! certificate-authenticated poll client (no client or customer index
//! entry: `Kind::is_found_by_scan`). 100,000 of them are held at once
//! by the OP's memory target (docs/PERFORMANCE.md, "CIBA (issue 21)"), and
//! they all sit in the embedded store's memtable until it is flushed: a
//! change that makes a pending request bigger shows here first.

use super::backchannel::replay_namespace;
use crate::model::Binding;
use crate::model::ciba::BackchannelRequest;
use crate::oauth::replay;
use crate::protocol::ciba::{CibaStatus, DeliveryMode};
use crate::store::repo::ops;

const NOW: u64 = 1_800_000_000;

/// As the load test sends it (`loadtest/src/scenario/ciba_client.rs`):
/// `scope` `openid`, a binding message, an hour's `requested_expiry`,
/// tls_client_auth (the tokens bound to the certificate, RFC 8705).
fn typical() -> BackchannelRequest {
    BackchannelRequest {
        client_id: "sandbox-loadtest-ciba-mtls".into(),
        account_id: "sandbox-alice".into(),
        scopes: vec!["openid".into()],
        authorization_details: None,
        openbanking_intent_id: None,
        binding_message: Some("LT00042".into()),
        acr_values: Vec::new(),
        delivery_mode: DeliveryMode::Poll,
        client_notification_token: None,
        created_at: NOW,
        expires_at: NOW + 3600,
        interval: 5,
        last_polled_at: None,
        status: CibaStatus::Pending,
        // base64url of a SHA-256: 43 characters.
        sender: Some(Binding::Mtls(
            "2fLiB0tqUq8IuH7sl1vU_Jz2aKIY8R5jGWd-Uq1yq0A".into(),
        )),
        grant_id: None,
        app: None,
    }
}

/// Every (key, value) a typical pending request writes.
fn written() -> ops::Entries {
    let record = typical();
    // A FreshId's 43 characters; a fixed one, so that the key sizes are
    // too (a zero byte of its SHA-256 takes two bytes in a tuple key).
    let id = "q0s8VQ9b3oJm6b8u1m3tq0s8VQ9b3oJm6b8u1m3tq0s";
    let ttl = record.store_expires_at() - NOW;
    let mut out = ops::new_record_entries(id, &record, Some(ttl), NOW).unwrap();
    // The request object's `jti`: 16 random bytes in base64url, valid 300 s.
    let jti = "Vq3kS0bYp8fQ1xR7mZ2wLg";
    out.extend(replay::mark_entries(&replay_namespace(&record.client_id), jti, NOW + 300, NOW).unwrap());
    out
}

/// The record (36-byte key: kind and SHA-256 of the `auth_req_id`; its
/// value: metadata with the client and customer links, then the payload),
/// its expiry entry, the `jti` mark and its expiry entry. Schema 8 wrote
/// six entries of 493 bytes (the payload held the client and the customer
/// a second time); schema 9 six of 452; schema 11 four of 329: the client
/// and customer index entries are gone (`Kind::is_found_by_scan`,
/// revocation reads the kind); schema 16 four of 330 (the `app` a request
/// is handed to, `None`: one byte). The embedded store's memtable counts each
/// entry as its key, its value and 64 bytes more (lsm-tree's
/// `InternalValue`), so a pending request counts 330 + 4 × 64 = 586 bytes
/// against `store.memtable_mib`, and 100,000 of them (55.9 MiB) fit the
/// default 64 MiB without a flush (docs/PERFORMANCE.md, "Bytes per pending
/// request").
#[test]
fn a_typical_pending_request_writes_four_entries_of_330_bytes() {
    let written = written();
    let keys: usize = written.iter().map(|(k, _)| k.len()).sum();
    let values: usize = written.iter().map(|(_, v)| v.len()).sum();
    let sizes: Vec<(usize, usize)> = written.iter().map(|(k, v)| (k.len(), v.len())).collect();
    assert_eq!(
        sizes,
        vec![(36, 137), (43, 0), (36, 35), (43, 0)],
        "record, expiry; jti mark, its expiry"
    );
    assert_eq!((keys, values), (158, 172));
    let counted = keys + values + written.len() * 64;
    assert!(
        counted * 100_000 <= 64 << 20,
        "100,000 fit a 64 MiB memtable: {counted} bytes each"
    );
}
