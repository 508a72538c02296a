//! The audit records of registration changes (RFC 7591 §3 create, RFC 7592
//! §2.2 update and §2.3 delete, suspension and reinstatement by the trust
//! checks): built from the record before and after, naming the members that
//! changed and never their values (the software statement is an assertion,
//! the metadata may carry keys), except the suspension state.

use crate::model::registered::{RegisteredClient, RegistrationAccessToken};
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::keys::Kind;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::ops;
use serde_json::Value;

/// Inside `tx`: stores the new registration `record` and its registration
/// access token `token` (RFC 7591 §3.2.1, stored by hash), with the
/// `client_registered` record.
pub async fn write_registered(
    tx: &Transaction,
    record: &RegisteredClient,
    token: &str,
    now: u64,
) -> Result<(), KvError> {
    let token_record = RegistrationAccessToken {
        client_id: record.client_id.clone(),
    };
    ops::upsert(tx, &record.client_id, record, None, now).await?;
    ops::upsert(tx, token, &token_record, None, now).await?;
    crate::store::audit::append(tx, &registered(record), now).await?;
    Ok(())
}

/// Inside `tx`: deletes the registration `record` (RFC 7592 §2.3) with the
/// `client_deleted` record; `false` (and no record) if it was gone.
pub async fn write_deleted(tx: &Transaction, record: &RegisteredClient, now: u64) -> Result<bool, KvError> {
    if !ops::destroy(tx, Kind::Client, &record.client_id).await? {
        return Ok(false);
    }
    crate::store::audit::append(tx, &deleted(record), now).await?;
    Ok(true)
}

fn target(record: &RegisteredClient) -> Target {
    Target::new("client", &record.client_id)
}

/// A client registered (RFC 7591 §3) by the software it names.
pub fn registered(record: &RegisteredClient) -> AuditEvent {
    AuditEvent::new(
        EventType::ClientRegistered,
        Actor::Client(record.client_id.clone()),
        target(record),
    )
    .and_target(Target::new("software", &record.software_id))
    .and_target(Target::new("organisation", &record.org_id))
}

/// A registration deleted (RFC 7592 §2.3) by its client.
pub fn deleted(record: &RegisteredClient) -> AuditEvent {
    AuditEvent::new(
        EventType::ClientDeleted,
        Actor::Client(record.client_id.clone()),
        target(record),
    )
}

/// What changed from `before` to `after`, by `actor`: a suspension or
/// reinstatement when the flag moved, else an update naming the members
/// that changed; `None` when nothing recorded changed.
pub fn changed(actor: Actor, before: &RegisteredClient, after: &RegisteredClient) -> Option<AuditEvent> {
    if before.suspended != after.suspended {
        let (event, from, to) = match after.suspended {
            true => (EventType::ClientSuspended, "active", "suspended"),
            false => (EventType::ClientReinstated, "suspended", "active"),
        };
        return Some(
            AuditEvent::new(event, actor, target(after)).with_change(Change::state("status", Some(from), to)),
        );
    }
    let mut members = metadata_members(before, after);
    let mut also = |member: &str, differs: bool| {
        if differs {
            members.push(member.to_string());
        }
    };
    also(
        "software_statement",
        before.software_statement != after.software_statement,
    );
    also(
        "revoked_certificates",
        before.revoked_certificates != after.revoked_certificates,
    );
    also(
        "transport_subject_dn",
        before.transport_subject_dn != after.transport_subject_dn,
    );
    if members.is_empty() {
        return None;
    }
    members.sort();
    members.dedup();
    let mut event = AuditEvent::new(EventType::ClientUpdated, actor, target(after));
    event.changed = members.iter().map(|m| Change::member(m)).collect();
    Some(event)
}

/// The RFC 7591 members (registered and descriptive) whose values differ.
fn metadata_members(before: &RegisteredClient, after: &RegisteredClient) -> Vec<String> {
    let as_object = |value: Value| match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let mut out = Vec::new();
    let pairs = [
        (
            serde_json::to_value(&before.metadata)
                .map(as_object)
                .unwrap_or_default(),
            serde_json::to_value(&after.metadata)
                .map(as_object)
                .unwrap_or_default(),
        ),
        (descriptive(before), descriptive(after)),
    ];
    for (old, new) in pairs {
        for (member, value) in &new {
            if old.get(member) != Some(value) {
                out.push(member.clone());
            }
        }
        out.extend(old.keys().filter(|m| !new.contains_key(*m)).cloned());
    }
    out
}

fn descriptive(record: &RegisteredClient) -> serde_json::Map<String, Value> {
    record
        .descriptive_metadata
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}
