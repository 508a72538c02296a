//! What the OP issued for one customer, found through the user index
//! (`Index::User`, the account id): revoked when the customer's account is
//! disabled (`fiducia users disable`), a page of accounts for
//! `fiducia users list`, and a customer's own records of one kind for
//! their consent dashboard ([`Repo::of_account`]).

use super::handle::Repo;
use super::revoke_indexed::RevokedCount;
use super::revoked::GrantRevocation;
use crate::store::keys::{self, Index, Kind};
use crate::store::kv::{KeyRange, KvError, RangeOptions};
use crate::store::record::{Found, RecordMeta, StoredRecord};

/// The kinds issued for a customer that go when their account is disabled:
/// grants (with every code and token under them, [`Repo::revoke_by_grant_id`]),
/// codes not yet exchanged and pending CIBA requests. The account itself,
/// the fintechs' consents (UK OBIE: read back with their status) and
/// payment reservations stay.
const ISSUED_FOR_ACCOUNT: &[Kind] = &[
    Kind::Grant,
    Kind::AuthorizationCode,
    Kind::BackchannelAuthenticationRequest,
    Kind::Interaction,
    Kind::PushedAuthorizationRequest,
    Kind::Session,
];

impl Repo {
    /// Deletes what the OP issued for the customer `account_id`
    /// ([`ISSUED_FOR_ACCOUNT`]): each grant through
    /// [`Repo::revoke_by_grant_id`] (so its marker refuses whatever a
    /// concurrent request issues under it, and its tokens are gone once this
    /// returns), the other records directly. In chunks, each its own
    /// transaction; returns how many records it deleted.
    pub async fn revoke_by_account_id(
        &self,
        account_id: &str,
        revocation: GrantRevocation,
    ) -> Result<usize, KvError> {
        Ok(self
            .revoke_by_account_id_per_kind(account_id, revocation)
            .await?
            .iter()
            .map(|(_, n)| n.total)
            .sum())
    }

    /// [`Repo::revoke_by_account_id`], counted per kind (the Config API
    /// says how many grants a disable revoked).
    pub async fn revoke_by_account_id_per_kind(
        &self,
        account_id: &str,
        revocation: GrantRevocation,
    ) -> Result<Vec<(Kind, RevokedCount)>, KvError> {
        let mut counts = Vec::with_capacity(ISSUED_FOR_ACCOUNT.len());
        for kind in ISSUED_FOR_ACCOUNT.iter().copied() {
            let n = self
                .revoke_indexed_counted(Index::User, account_id, Some(kind), revocation)
                .await?;
            counts.push((kind, n));
        }
        Ok(counts)
    }

    /// Up to `limit` unexpired records of `P::KIND` (a kind stored by its
    /// id, not by a hash: grants) linked to the customer `account_id`,
    /// each with its id, in id order; at most `limit` index entries are
    /// read, in one transaction.
    pub async fn of_account<P: StoredRecord>(
        &self,
        account_id: &str,
        limit: usize,
        now: u64,
    ) -> Result<Vec<(String, Found<P>)>, KvError> {
        if P::KIND.stored_by_hash() || !P::KIND.is_indexed_by(Index::User) {
            return Err(KvError::Aborted(format!(
                "{} records are not listed by customer with their ids",
                P::KIND.name()
            )));
        }
        let value = super::ops::index_value(Index::User, account_id);
        self.store()
            .run(|tx, _| {
                let value = value.clone();
                async move {
                    let entries =
                        super::ops::index_entries(&tx, Index::User, &value, Some(P::KIND), limit.max(1))
                            .await?;
                    let mut out = Vec::with_capacity(entries.len());
                    for (_, id_key) in entries {
                        let Ok(id) = String::from_utf8(id_key.clone()) else {
                            continue;
                        };
                        if let Some(found) = super::ops::find_by_key::<P>(&tx, &id_key, now).await? {
                            out.push((id, found));
                        }
                    }
                    Ok(out)
                }
            })
            .await
    }

    /// Up to `limit` unexpired records of `P::KIND` in id order, starting
    /// after the id `after` (from the first with `None`): one page of a
    /// listing, one transaction.
    pub async fn page<P: StoredRecord>(
        &self,
        after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> Result<Vec<Found<P>>, KvError> {
        let whole = keys::subspace_range(&keys::kind_subspace(P::KIND));
        let begin = match after {
            Some(id) => {
                let mut key = keys::record_key(P::KIND, &P::KIND.id_key(id));
                key.push(0x00);
                key.max(whole.begin.clone())
            }
            None => whole.begin.clone(),
        };
        let range = KeyRange::new(begin, whole.end.clone());
        let pairs = self
            .store()
            .run(|tx, _| {
                let range = range.clone();
                async move { tx.get_range(&range, RangeOptions::limit(limit.max(1))).await }
            })
            .await?;
        let mut out = Vec::with_capacity(pairs.len());
        for (_, value) in pairs {
            let (meta, payload): (RecordMeta, P) = super::ops::decode_record(&value)?;
            if !meta.is_expired(now) {
                out.push(Found { payload, meta });
            }
        }
        Ok(out)
    }
}
