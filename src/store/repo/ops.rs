//! The record operations inside a caller's transaction, so that several of
//! them commit together (e.g. consume a code and issue its tokens). [`Repo`]
//! wraps each in a transaction of its own.
//!
//! [`Repo`]: super::Repo

use crate::store::codec;
use crate::store::keys::{self, Index, Kind};
use crate::store::kv::{KeyRange, KvError, RangeOptions, Transaction};
use crate::store::record::{Consumed, Consumption, Found, FreshId, Links, RecordMeta, StoredRecord};

/// Writes `payload` as record `id` of `P::KIND`, expiring `expires_in`
/// seconds after `now` (`None`: never), with its index entries. Replaces a
/// record of the same id, and its index entries; a consumption stays
/// recorded (consumption is one-way).
pub async fn upsert<P: StoredRecord>(
    tx: &Transaction,
    id: &str,
    payload: &P,
    expires_in: Option<u64>,
    now: u64,
) -> Result<(), KvError> {
    upsert_by_key(tx, &P::KIND.id_key(id), payload, expires_in, now).await
}

/// [`upsert`] of the record stored under `id_key` (the id or its hash).
pub(crate) async fn upsert_by_key<P: StoredRecord>(
    tx: &Transaction,
    id_key: &[u8],
    payload: &P,
    expires_in: Option<u64>,
    now: u64,
) -> Result<(), KvError> {
    let id_key = id_key.to_vec();
    let record_key = keys::record_key(P::KIND, &id_key);
    let previous = match tx.get(&record_key).await? {
        Some(bytes) => Some(codec::decode_prefix::<RecordMeta>(&bytes)?.0),
        None => None,
    };
    write_over(
        tx,
        (&id_key, record_key),
        previous.as_ref(),
        payload,
        expires_in,
        now,
    )
}

/// Writes `payload` as record `id` of `P::KIND` (as [`upsert`]) unless a
/// record that has not expired at `now` is there, which is returned
/// instead; the key is read once (one-time marks such as replay windows).
pub async fn insert_unless_live<P: StoredRecord>(
    tx: &Transaction,
    id: &str,
    payload: &P,
    expires_in: Option<u64>,
    now: u64,
) -> Result<Option<Found<P>>, KvError> {
    let id_key = P::KIND.id_key(id);
    let record_key = keys::record_key(P::KIND, &id_key);
    let previous = match tx.get(&record_key).await? {
        Some(bytes) => {
            let (meta, found): (RecordMeta, P) = decode_record(&bytes)?;
            if !meta.is_expired(now) {
                return Ok(Some(Found { payload: found, meta }));
            }
            Some(meta)
        }
        None => None,
    };
    write_over(
        tx,
        (&id_key, record_key),
        previous.as_ref(),
        payload,
        expires_in,
        now,
    )?;
    Ok(None)
}

/// Writes `payload` under `record_key` with its index and expiry entries,
/// replacing those of `previous` (the meta stored there, if any).
fn write_over<P: StoredRecord>(
    tx: &Transaction,
    (id_key, record_key): (&[u8], Vec<u8>),
    previous: Option<&RecordMeta>,
    payload: &P,
    expires_in: Option<u64>,
    now: u64,
) -> Result<(), KvError> {
    let meta = meta_for(
        payload.links(),
        expires_in.map(|s| now.saturating_add(s)),
        previous,
    );
    if let Some(previous) = previous {
        clear_entries(tx, P::KIND, id_key, previous)?;
    }
    tx.set_owned(record_key, codec::encode(&(&meta, payload))?)?;
    write_entries(tx, P::KIND, id_key, &meta)
}

/// Writes `payload` as a new record of `P::KIND` under `id`, expiring
/// `expires_in` seconds after `now` (`None`: never), with its index and expiry
/// entries — the same keys and values as [`upsert`] of a new id, without
/// reading anything first.
///
/// A [`FreshId`] was just drawn from 256 random bits, so no record can exist
/// under it: nothing needs replacing, and since the transaction reads nothing
/// for it, it cannot conflict with any other (FoundationDB "Developer Guide":
/// a transaction conflicts only through what it read; blind writes never
/// do). Idempotent across retries: the same blind writes again. In debug
/// builds it checks that no record exists, which then does add a read.
pub async fn insert_new<P: StoredRecord>(
    tx: &Transaction,
    id: &FreshId,
    payload: &P,
    expires_in: Option<u64>,
    now: u64,
) -> Result<(), KvError> {
    let mut entries = new_record_entries(id.as_str(), payload, expires_in, now)?.into_iter();
    let Some((record_key, value)) = entries.next() else {
        return Err(KvError::Aborted("a record writes at least itself".into()));
    };
    #[cfg(debug_assertions)]
    if let Some(stored) = tx.get(&record_key).await? {
        // Only this same insert, retried after an unknown commit outcome,
        // can have written there.
        debug_assert!(
            stored == value,
            "insert_new found another record under a fresh id"
        );
    }
    tx.set_owned(record_key, value)?;
    entries.try_for_each(|(key, value)| tx.set_owned(key, value))
}

/// (key, value) pairs, in the order they are written.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// The keys and values a new record `id` of `P::KIND` is written as (by
/// [`insert_new`], and by [`upsert`] or [`insert_unless_live`] where no
/// record was): the record first, then its index and expiry entries. What
/// a record costs the store, measured by the footprint tests of the kinds
/// that are held in numbers (pending CIBA requests).
pub fn new_record_entries<P: StoredRecord>(
    id: &str,
    payload: &P,
    expires_in: Option<u64>,
    now: u64,
) -> Result<Entries, KvError> {
    let id_key = P::KIND.id_key(id);
    let meta = meta_for(payload.links(), expires_in.map(|s| now.saturating_add(s)), None);
    let mut out = vec![(
        keys::record_key(P::KIND, &id_key),
        codec::encode(&(&meta, payload))?,
    )];
    out.extend(
        entry_keys(P::KIND, &id_key, &meta)
            .into_iter()
            .map(|key| (key, Vec::new())),
    );
    Ok(out)
}

/// A stored value of `P::KIND` decoded: its metadata and its payload, with
/// what the payload leaves to the metadata filled in
/// ([`StoredRecord::restore`]). Every typed read of a record goes through
/// here.
pub(crate) fn decode_record<P: StoredRecord>(bytes: &[u8]) -> Result<(RecordMeta, P), KvError> {
    let (meta, mut payload): (RecordMeta, P) = codec::decode(bytes)?;
    payload.restore(&meta);
    Ok((meta, payload))
}

/// Record `id` of `P::KIND`, unless it is missing or expired at `now`.
pub async fn find<P: StoredRecord>(
    tx: &Transaction,
    id: &str,
    now: u64,
) -> Result<Option<Found<P>>, KvError> {
    find_by_key(tx, &P::KIND.id_key(id), now).await
}

/// Record of `P::KIND` stored under `id_key` (the id or its hash).
pub(crate) async fn find_by_key<P: StoredRecord>(
    tx: &Transaction,
    id_key: &[u8],
    now: u64,
) -> Result<Option<Found<P>>, KvError> {
    let Some(bytes) = tx.get(&keys::record_key(P::KIND, id_key)).await? else {
        return Ok(None);
    };
    let (meta, payload): (RecordMeta, P) = decode_record(&bytes)?;
    if meta.is_expired(now) {
        return Ok(None);
    }
    Ok(Some(Found { payload, meta }))
}

/// Consumes record `id` once: of any number of concurrent calls, exactly one
/// gets [`Consumed::Now`]. `call_id` is a random number chosen once per
/// logical call and kept across retries, so that a retry after an unknown
/// commit outcome recognises its own earlier win.
pub async fn consume<P: StoredRecord>(
    tx: &Transaction,
    id: &str,
    now: u64,
    call_id: u128,
) -> Result<Consumed<P>, KvError> {
    let id_key = P::KIND.id_key(id);
    let Some(mut found) = find_by_key::<P>(tx, &id_key, now).await? else {
        return Ok(Consumed::Missing);
    };
    match found.meta.consumed {
        Some(c) if c.by == call_id => return Ok(Consumed::Now(found)),
        Some(_) => return Ok(Consumed::Already(found)),
        None => {}
    }
    found.meta.consumed = Some(Consumption { at: now, by: call_id });
    let record_key = keys::record_key(P::KIND, &id_key);
    tx.set(&record_key, &codec::encode(&(&found.meta, &found.payload))?)?;
    Ok(Consumed::Now(found))
}

/// Rewrites the consumption of record `id` of `P::KIND` (consumed before)
/// to `consumption`: a rotated-out refresh token handing a retry within its
/// grace window to the successor issued for that retry
/// (`oauth/grants/refresh_rotation.rs`). `false` when the record is missing,
/// expired or was never consumed.
pub async fn set_consumption<P: StoredRecord>(
    tx: &Transaction,
    id: &str,
    now: u64,
    consumption: Consumption,
) -> Result<bool, KvError> {
    let id_key = P::KIND.id_key(id);
    let Some(mut found) = find_by_key::<P>(tx, &id_key, now).await? else {
        return Ok(false);
    };
    if found.meta.consumed.is_none() {
        return Ok(false);
    }
    found.meta.consumed = Some(consumption);
    let record_key = keys::record_key(P::KIND, &id_key);
    tx.set(&record_key, &codec::encode(&(&found.meta, &found.payload))?)?;
    Ok(true)
}

/// The record of `P::KIND` issued under `grant_id` (through the grant index)
/// whose id key starts with `prefix`, with its id key; the first in key
/// order. Reads the grant's index entries of that kind.
pub async fn find_in_grant_by_key_prefix<P: StoredRecord>(
    tx: &Transaction,
    grant_id: &str,
    prefix: &[u8],
    now: u64,
) -> Result<Option<(Vec<u8>, Found<P>)>, KvError> {
    let value = index_value(Index::Grant, grant_id);
    for (_, id_key) in index_entries(tx, Index::Grant, &value, Some(P::KIND), 0).await? {
        if id_key.starts_with(prefix)
            && let Some(found) = find_by_key::<P>(tx, &id_key, now).await?
        {
            return Ok(Some((id_key, found)));
        }
    }
    Ok(None)
}

/// Deletes record `id` of `kind` and its index entries. Deleting a missing
/// record is not an error.
pub async fn destroy(tx: &Transaction, kind: Kind, id: &str) -> Result<bool, KvError> {
    destroy_by_key(tx, kind, &kind.id_key(id)).await
}

pub(crate) async fn destroy_by_key(tx: &Transaction, kind: Kind, id_key: &[u8]) -> Result<bool, KvError> {
    let record_key = keys::record_key(kind, id_key);
    let Some(bytes) = tx.get(&record_key).await? else {
        return Ok(false);
    };
    let (meta, _) = codec::decode_prefix::<RecordMeta>(&bytes)?;
    tx.clear(&record_key)?;
    clear_entries(tx, kind, id_key, &meta)?;
    Ok(true)
}

/// Deletes, inside `tx`, every record of `kind` issued under `grant_id`
/// (through the grant index; stale entries are cleared) and returns how
/// many there were. For a change of one kind under a live grant, e.g. the
/// refresh tokens a grant management `merge` or `replace` invalidates
/// (`oauth::grant_management::apply`); revoking a whole grant is
/// `Repo::revoke_by_grant_id`. One transaction: a grant holds few records
/// of one kind (a rotated refresh token's predecessors are kept only until
/// their idle timeout).
pub async fn destroy_in_grant(tx: &Transaction, grant_id: &str, kind: Kind) -> Result<usize, KvError> {
    let value = index_value(Index::Grant, grant_id);
    let mut deleted = 0;
    for (_, id_key) in index_entries(tx, Index::Grant, &value, Some(kind), 0).await? {
        if destroy_by_key(tx, kind, &id_key).await? {
            deleted += 1;
        } else {
            tx.clear(&keys::index_key(Index::Grant, &value, kind, &id_key))?;
        }
    }
    Ok(deleted)
}

/// Records of `P::KIND` linked to `value` through `index`, skipping expired
/// ones, at most `limit` (0: all) index entries read. Fails with
/// [`KvError::Aborted`] if the kind is not indexed by `index`
/// ([`Kind::is_indexed_by`]): an empty answer would be a lie.
pub async fn find_by_index<P: StoredRecord>(
    tx: &Transaction,
    index: Index,
    value: &str,
    now: u64,
    limit: usize,
) -> Result<Vec<Found<P>>, KvError> {
    if !P::KIND.is_indexed_by(index) {
        return Err(KvError::Aborted(format!(
            "{} records are not indexed by {}; find them through their grant",
            P::KIND.name(),
            index.name()
        )));
    }
    let value = index_value(index, value);
    let mut out = Vec::new();
    for id_key in index_entries(tx, index, &value, Some(P::KIND), limit).await? {
        if let Some(found) = find_by_key::<P>(tx, &id_key.1, now).await? {
            out.push(found);
        }
    }
    Ok(out)
}

/// Index entries under `value` as (kind, id key), optionally of one kind.
pub(crate) async fn index_entries(
    tx: &Transaction,
    index: Index,
    value: &[u8],
    kind: Option<Kind>,
    limit: usize,
) -> Result<Vec<(Kind, Vec<u8>)>, KvError> {
    let subspace = match kind {
        Some(kind) => {
            let mut prefix = keys::index_subspace(index, value);
            prefix.extend_from_slice(&keys::kind_subspace(kind));
            prefix
        }
        None => keys::index_subspace(index, value),
    };
    let range: KeyRange = keys::subspace_range(&subspace);
    let pairs = tx.get_range(&range, RangeOptions::limit(limit)).await?;
    pairs.iter().map(|(key, _)| parse_tail(key)).collect()
}

/// The (kind, id key) at the end of an expiry or index key.
pub(crate) fn parse_tail(key: &[u8]) -> Result<(Kind, Vec<u8>), KvError> {
    let mut elements = keys::unpack(key)?;
    let id = elements.pop();
    let kind = elements.pop();
    match (kind, id) {
        (Some(keys::OwnedElement::Int(kind)), Some(keys::OwnedElement::Bytes(id))) => {
            let kind = Kind::from_code(kind)
                .ok_or_else(|| KvError::Corrupt(format!("unknown record kind {kind} in an index key")))?;
            Ok((kind, id))
        }
        _ => Err(KvError::Corrupt("index key does not end in (kind, id)".into())),
    }
}

/// Bytes an index stores for `value`: the CIBA auth_req_id is a bearer
/// secret, so only its SHA-256.
pub(crate) fn index_value(index: Index, value: &str) -> Vec<u8> {
    match index {
        Index::AuthReq => keys::sha256(value.as_bytes()).to_vec(),
        _ => value.as_bytes().to_vec(),
    }
}

fn meta_for(links: Links, expires_at: Option<u64>, previous: Option<&RecordMeta>) -> RecordMeta {
    RecordMeta {
        expires_at,
        consumed: previous.and_then(|p| p.consumed),
        client_id: links.client_id,
        grant_id: links.grant_id,
        account_id: links.account_id,
        uid: links.uid,
        auth_req_hash: links.auth_req_id.map(|id| keys::sha256(id.as_bytes())),
    }
}

fn entry_keys(kind: Kind, id_key: &[u8], meta: &RecordMeta) -> Vec<Vec<u8>> {
    let linked = [
        (Index::Client, meta.client_id.as_deref().map(str::as_bytes)),
        (Index::Grant, meta.grant_id.as_deref().map(str::as_bytes)),
        (Index::User, meta.account_id.as_deref().map(str::as_bytes)),
        (Index::Uid, meta.uid.as_deref().map(str::as_bytes)),
        (Index::AuthReq, meta.auth_req_hash.as_ref().map(|h| h.as_slice())),
    ];
    let mut out: Vec<Vec<u8>> = linked
        .into_iter()
        .filter(|(index, _)| kind.is_indexed_by(*index))
        .filter_map(|(index, value)| value.map(|v| keys::index_key(index, v, kind, id_key)))
        .collect();
    if let Some(at) = meta.expires_at {
        out.push(keys::expiry_key(at, kind, id_key));
    }
    out
}

fn write_entries(tx: &Transaction, kind: Kind, id_key: &[u8], meta: &RecordMeta) -> Result<(), KvError> {
    entry_keys(kind, id_key, meta)
        .into_iter()
        .try_for_each(|key| tx.set_owned(key, Vec::new()))
}

/// Clears the expiry and index entries `meta` says the record has.
pub(crate) fn clear_entries(
    tx: &Transaction,
    kind: Kind,
    id_key: &[u8],
    meta: &RecordMeta,
) -> Result<(), KvError> {
    entry_keys(kind, id_key, meta)
        .iter()
        .try_for_each(|key| tx.clear(key))
}

/// Every unexpired record of `P::KIND`, read inside `tx` (so the read is
/// part of its conflict set: a concurrent commit that writes a record of
/// the kind makes `tx` retry). For small kinds only: the whole kind is
/// one read (registered clients, checked at registration).
pub async fn all_of_kind<P: StoredRecord>(tx: &Transaction, now: u64) -> Result<Vec<Found<P>>, KvError> {
    let range = keys::subspace_range(&keys::kind_subspace(P::KIND));
    let mut out = Vec::new();
    for (_, value) in tx.get_range(&range, RangeOptions::limit(0)).await? {
        let (meta, payload): (RecordMeta, P) = decode_record(&value)?;
        if !meta.is_expired(now) {
            out.push(Found { payload, meta });
        }
    }
    Ok(out)
}
