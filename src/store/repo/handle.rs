//! [`Repo`]: typed records over a [`Store`], each method one transaction
//! (the same operations inside a caller's transaction are in [`ops`]).

use super::ops;
use super::outbox_record as outbox;
use super::revoked::{self, GrantRevocation};
use super::schema::{self, SchemaError};
use crate::model::revocation_notice::RevocationNotice;
use crate::store::keys::{Index, Kind};
use crate::store::kv::{KvError, Store};
use crate::store::record::{Consumed, Found, FreshId, RecordMeta, StoredRecord};

/// Typed records over a [`Store`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Repo {
    store: Store,
}

/// Index entries read per transaction by [`Repo::revoke_by_grant_id`].
const REVOKE_CHUNK: usize = 500;

impl Repo {
    /// Checks the store's schema version (initialising an empty store,
    /// migrating an older one, refusing a newer or unversioned one) and
    /// returns the repo.
    pub async fn open(store: Store) -> Result<Self, SchemaError> {
        schema::check_or_initialise(&store).await?;
        Ok(Self { store })
    }

    /// The KV store underneath, for transactions that span several records
    /// (with the functions in [`ops`]).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stores `payload` as record `id`, expiring `expires_in` seconds after
    /// `now` (`None`: never), replacing a record of the same id.
    pub async fn upsert<P: StoredRecord>(
        &self,
        id: &str,
        payload: &P,
        expires_in: Option<u64>,
        now: u64,
    ) -> Result<(), KvError> {
        self.store
            .run(|tx, _| async move { ops::upsert(&tx, id, payload, expires_in, now).await })
            .await
    }

    /// Stores `payload` as a new record under `id`, a [`FreshId`] drawn just
    /// now, expiring `expires_in` seconds after `now` (`None`: never). Writes
    /// the same keys as [`Repo::upsert`] but reads nothing first, so it is
    /// cheaper and never conflicts: for records whose id the OP generates
    /// (tokens, codes, request_uris). See [`ops::insert_new`].
    pub async fn insert_new<P: StoredRecord>(
        &self,
        id: &FreshId,
        payload: &P,
        expires_in: Option<u64>,
        now: u64,
    ) -> Result<(), KvError> {
        self.store
            .run(|tx, _| async move { ops::insert_new(&tx, id, payload, expires_in, now).await })
            .await
    }

    /// Record `id` of `P::KIND`, unless missing or expired at `now`.
    pub async fn find<P: StoredRecord>(&self, id: &str, now: u64) -> Result<Option<Found<P>>, KvError> {
        self.store
            .run(|tx, _| async move { ops::find::<P>(&tx, id, now).await })
            .await
    }

    /// Record of `P::KIND` stored under `id_key` (the id, or its SHA-256
    /// for a kind that holds a bearer secret), unless missing or expired
    /// at `now`.
    pub async fn find_by_id_key<P: StoredRecord>(
        &self,
        id_key: &[u8],
        now: u64,
    ) -> Result<Option<Found<P>>, KvError> {
        self.store
            .run(|tx, _| async move { ops::find_by_key::<P>(&tx, id_key, now).await })
            .await
    }

    /// Record `id` of `P::KIND` as [`Repo::find`], unless the grant it was
    /// issued under ([`Links::grant_id`]) is revoked ([`revoked`]): a token
    /// under a revoked grant is gone, also while its deletion is under way.
    /// One transaction.
    pub async fn find_under_live_grant<P: StoredRecord>(
        &self,
        id: &str,
        now: u64,
    ) -> Result<Option<Found<P>>, KvError> {
        self.store
            .run(|tx, _| async move {
                let Some(found) = ops::find::<P>(&tx, id, now).await? else {
                    return Ok(None);
                };
                if let Some(grant_id) = found.payload.links().grant_id
                    && revoked::is_revoked(&tx, &grant_id, now).await?
                {
                    return Ok(None);
                }
                Ok(Some(found))
            })
            .await
    }

    /// The record of `P::KIND` (a session) whose uid is `uid`.
    pub async fn find_by_uid<P: StoredRecord>(
        &self,
        uid: &str,
        now: u64,
    ) -> Result<Option<Found<P>>, KvError> {
        Ok(self.find_all_by(Index::Uid, uid, now).await?.into_iter().next())
    }

    /// The record of `P::KIND` linked to the CIBA `auth_req_id`.
    pub async fn find_by_auth_req_id<P: StoredRecord>(
        &self,
        auth_req_id: &str,
        now: u64,
    ) -> Result<Option<Found<P>>, KvError> {
        Ok(self
            .find_all_by(Index::AuthReq, auth_req_id, now)
            .await?
            .into_iter()
            .next())
    }

    /// Records of `P::KIND` of a client.
    pub async fn find_by_client<P: StoredRecord>(
        &self,
        client_id: &str,
        now: u64,
    ) -> Result<Vec<Found<P>>, KvError> {
        self.find_all_by(Index::Client, client_id, now).await
    }

    /// Records of `P::KIND` issued under a grant. Under a token's own grant
    /// (`records::own_grant_id`) there is that access token and nothing
    /// else: found by its key, with no index read.
    pub async fn find_by_grant<P: StoredRecord>(
        &self,
        grant_id: &str,
        now: u64,
    ) -> Result<Vec<Found<P>>, KvError> {
        if let Some(id_key) = crate::model::records::own_grant_key(grant_id) {
            if P::KIND != Kind::AccessToken {
                return Ok(Vec::new());
            }
            let id_key = &id_key;
            return self
                .store
                .run(|tx, _| async move {
                    Ok(ops::find_by_key::<P>(&tx, id_key, now)
                        .await?
                        .into_iter()
                        .collect())
                })
                .await;
        }
        self.find_all_by(Index::Grant, grant_id, now).await
    }

    /// Records of `P::KIND` of a user (account id).
    pub async fn find_by_user<P: StoredRecord>(
        &self,
        account_id: &str,
        now: u64,
    ) -> Result<Vec<Found<P>>, KvError> {
        self.find_all_by(Index::User, account_id, now).await
    }

    async fn find_all_by<P: StoredRecord>(
        &self,
        index: Index,
        value: &str,
        now: u64,
    ) -> Result<Vec<Found<P>>, KvError> {
        self.store
            .run(|tx, _| async move { ops::find_by_index::<P>(&tx, index, value, now, 0).await })
            .await
    }

    /// Consumes record `id` once. Of any number of concurrent calls, exactly
    /// one gets [`Consumed::Now`]; the others get [`Consumed::Already`]. Safe
    /// across an unknown commit outcome: the call's random id, kept across
    /// retries, lets a retry recognise its own earlier win.
    pub async fn consume<P: StoredRecord>(&self, id: &str, now: u64) -> Result<Consumed<P>, KvError> {
        let call_id = uuid::Uuid::new_v4().as_u128();
        self.store
            .run(|tx, _| async move { ops::consume::<P>(&tx, id, now, call_id).await })
            .await
    }

    /// Deletes record `id` of `kind` and its index entries; `false` if there
    /// was none.
    pub async fn destroy(&self, kind: Kind, id: &str) -> Result<bool, KvError> {
        self.store
            .run(|tx, _| async move { ops::destroy(&tx, kind, id).await })
            .await
    }

    /// Deletes every record issued under `grant_id` (tokens, codes, the
    /// grant's other records) and then the grant itself, e.g. on
    /// authorization code replay (RFC 6749
    /// §4.1.2, RFC 9700 §4.14.2 for refresh tokens). A consent the grant was
    /// made on stays: it is the fintech's resource and keeps its status (UK
    /// OBIE: a consumed or revoked consent is still read back as such). Runs
    /// in chunks, each its own transaction; the first also marks the grant
    /// revoked ([`revoked`]), so that nothing issued concurrently survives
    /// and no token of it is found once this returns. Returns how many
    /// records it deleted.
    pub async fn revoke_by_grant_id(
        &self,
        grant_id: &str,
        revocation: GrantRevocation,
    ) -> Result<usize, KvError> {
        if let Some(id_key) = crate::model::records::own_grant_key(grant_id) {
            // A token that is its own grant is all there is under it.
            let id_key = &id_key;
            let deleted = self
                .store
                .run(|tx, _| async move {
                    let deleted = ops::destroy_by_key(&tx, Kind::AccessToken, id_key).await?;
                    if deleted {
                        let notice = outbox_notice(revocation.now, Some(grant_id), vec![id_key.clone()]);
                        outbox::write(&tx, &notice).await?;
                    }
                    Ok(deleted)
                })
                .await?;
            return Ok(usize::from(deleted));
        }
        let value = ops::index_value(Index::Grant, grant_id);
        let mut total = 0;
        let mut first = true;
        loop {
            let (entries, deleted) = self
                .store
                .run(|tx, _| {
                    let value = value.clone();
                    async move {
                        if first {
                            revoked::mark(&tx, grant_id, revocation).await?;
                            // The revocation's record goes with its marker:
                            // the marker is what makes every token of the
                            // grant gone. A grant already deleted (an
                            // earlier run finished) is not recorded again.
                            // The meta in front of the grant names its client.
                            let key = crate::store::keys::record_key(Kind::Grant, grant_id.as_bytes());
                            if let Some(bytes) = tx.get(&key).await? {
                                let (meta, _) = crate::store::codec::decode_prefix::<RecordMeta>(&bytes)?;
                                let client_id = meta.client_id.unwrap_or_default();
                                let account_id = meta.account_id.unwrap_or_default();
                                let event = revoked::audit_event(
                                    grant_id,
                                    (&client_id, &account_id),
                                    revocation.cause,
                                );
                                crate::store::audit::append(&tx, &event, revocation.now).await?;
                            }
                        }
                        let entries =
                            ops::index_entries(&tx, Index::Grant, &value, None, REVOKE_CHUNK).await?;
                        let mut deleted = 0;
                        let mut access_tokens = Vec::new();
                        for (kind, id_key) in &entries {
                            if *kind == Kind::Consent {
                                continue;
                            }
                            if ops::destroy_by_key(&tx, *kind, id_key).await? {
                                deleted += 1;
                                if *kind == Kind::AccessToken {
                                    access_tokens.push(id_key.clone());
                                }
                            } else {
                                // A stale entry whose record is gone.
                                let key = crate::store::keys::index_key(Index::Grant, &value, *kind, id_key);
                                tx.clear(&key)?;
                            }
                        }
                        // The outbox (`outbox.rs`) in the same transaction:
                        // the grant with the first chunk, the access tokens
                        // each chunk deleted.
                        let notice = outbox_notice(revocation.now, first.then_some(grant_id), access_tokens);
                        outbox::write(&tx, &notice).await?;
                        Ok((entries.len(), deleted))
                    }
                })
                .await?;
            first = false;
            total += deleted;
            if entries < REVOKE_CHUNK {
                // The grant record goes with the last of what it issued
                // (it is not indexed under itself).
                let grant = self.destroy(Kind::Grant, grant_id).await?;
                return Ok(total + usize::from(grant));
            }
        }
    }

    /// Revokes the access token `token` (RFC 7009 §2.1): deletes it and,
    /// in the same transaction, writes its SHA-256 to the revocation
    /// outbox (`outbox.rs`) for the API gateways; `false` if there was no
    /// such token.
    pub async fn revoke_access_token(&self, token: &str, now: u64) -> Result<bool, KvError> {
        let id_key = Kind::AccessToken.id_key(token);
        let id_key = &id_key;
        self.store
            .run(|tx, _| async move {
                let deleted = ops::destroy_by_key(&tx, Kind::AccessToken, id_key).await?;
                if deleted {
                    outbox::write(&tx, &outbox_notice(now, None, vec![id_key.clone()])).await?;
                }
                Ok(deleted)
            })
            .await
    }

    /// Deletes every record of a client (RFC 7592 §2.3: a deleted client's
    /// grants, tokens, codes, pushed requests, interactions and registration
    /// access tokens): for each grant of the client first what was issued
    /// under it ([`Repo::revoke_by_grant_id`]), then the records indexed by
    /// the client. Runs in chunks; returns how many records it deleted.
    pub async fn revoke_by_client_id(
        &self,
        client_id: &str,
        revocation: GrantRevocation,
    ) -> Result<usize, KvError> {
        self.revoke_indexed(Index::Client, client_id, None, revocation)
            .await
    }
}

/// The outbox record of a revocation at `now`: the grant (if any) and the
/// access tokens' id keys, which are their SHA-256 (`keys.rs`).
fn outbox_notice(now: u64, grant_id: Option<&str>, access_tokens: Vec<Vec<u8>>) -> RevocationNotice {
    RevocationNotice {
        created_at: now,
        token_sha256: access_tokens
            .iter()
            .filter_map(|key| <[u8; 32]>::try_from(key.as_slice()).ok())
            .collect(),
        grant_ids: grant_id.map(str::to_string).into_iter().collect(),
    }
}
