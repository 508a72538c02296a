//! Whole-kind reads and client-wide revocation that keeps the client's own
//! management credentials: what the continuous trust checks of registered
//! clients need (`oauth/registration/trust.rs`).

use super::handle::Repo;
use crate::store::keys::{self, Index, Kind};
use crate::store::kv::{KeyRange, KvError, RangeOptions};
use crate::store::record::{Found, RecordMeta, StoredRecord};

/// Records read per transaction by [`Repo::list`].
const LIST_CHUNK: usize = 200;

impl Repo {
    /// Every unexpired record of `P::KIND`, in key order, read in chunks (each
    /// chunk its own transaction, so a long list never makes one transaction
    /// too old; a record written meanwhile may or may not be seen).
    pub async fn list<P: StoredRecord>(&self, now: u64) -> Result<Vec<Found<P>>, KvError> {
        let mut chunks = KindChunks::new(P::KIND, LIST_CHUNK);
        let mut out = Vec::new();
        while let Some(pairs) = chunks.next(self).await? {
            for (_, value) in &pairs {
                let (meta, payload): (RecordMeta, P) = super::ops::decode_record(value)?;
                if !meta.is_expired(now) {
                    out.push(Found { payload, meta });
                }
            }
        }
        Ok(out)
    }

    /// Up to `limit` unexpired records of `P::KIND` that `keep` accepts,
    /// each with its id key (the id, or its SHA-256 for a kind that holds a
    /// bearer secret), in key order, read in chunks as [`Repo::list`]; the
    /// read stops at the `limit`-th. `true` beside them when more were
    /// accepted than `limit`.
    pub async fn list_keyed<P: StoredRecord>(
        &self,
        now: u64,
        limit: usize,
        keep: impl Fn(&P) -> bool,
    ) -> Result<(Vec<(Vec<u8>, Found<P>)>, bool), KvError> {
        let mut chunks = KindChunks::new(P::KIND, LIST_CHUNK);
        let mut out = Vec::new();
        while let Some(pairs) = chunks.next(self).await? {
            for (key, value) in &pairs {
                let (meta, payload): (RecordMeta, P) = super::ops::decode_record(value)?;
                if meta.is_expired(now) || !keep(&payload) {
                    continue;
                }
                if out.len() == limit {
                    return Ok((out, true));
                }
                let (_, id_key) = super::ops::parse_tail(key)?;
                out.push((id_key, Found { payload, meta }));
            }
        }
        Ok((out, false))
    }

    /// Deletes what the OP issued to a client — its grants with every token
    /// and code under them, pushed requests, interactions, CIBA requests —
    /// but keeps its registration access tokens (RFC 7592 §3), so that a
    /// suspended client that is reinstated can still manage its
    /// registration. Returns how many records it deleted.
    pub async fn revoke_issued_to_client(
        &self,
        client_id: &str,
        revocation: super::revoked::GrantRevocation,
    ) -> Result<usize, KvError> {
        let mut total = 0;
        for kind in Kind::ALL.iter().copied() {
            // Client and section documents are never linked (the
            // operator's, not the client's), nor are revocation notices:
            // nothing to read there.
            if !matches!(
                kind,
                Kind::RegistrationAccessToken
                    | Kind::ClientConfig
                    | Kind::ConfigSection
                    | Kind::RevocationNotice
            ) && (kind.is_indexed_by(Index::Client) || kind.is_found_by_scan(Index::Client))
            {
                total += self
                    .revoke_indexed(Index::Client, client_id, Some(kind), revocation)
                    .await?;
            }
        }
        Ok(total)
    }
}

/// A kind's records (key, value) in key order, `limit` per transaction:
/// each chunk its own transaction, so a long read never makes one too old
/// (a record written meanwhile may or may not be seen).
pub(crate) struct KindChunks {
    begin: Option<Vec<u8>>,
    end: Vec<u8>,
    limit: usize,
}

impl KindChunks {
    /// From the first record of `kind`.
    pub(crate) fn new(kind: Kind, limit: usize) -> Self {
        let whole = keys::subspace_range(&keys::kind_subspace(kind));
        Self {
            begin: Some(whole.begin),
            end: whole.end,
            limit: limit.max(1),
        }
    }

    /// The next chunk; `None` once the kind is read.
    pub(crate) async fn next(&mut self, repo: &Repo) -> Result<Option<Vec<(Vec<u8>, Vec<u8>)>>, KvError> {
        let Some(begin) = self.begin.take() else {
            return Ok(None);
        };
        let range = KeyRange::new(begin, self.end.clone());
        let limit = self.limit;
        let pairs = repo
            .store()
            .run(|tx, _| {
                let range = range.clone();
                async move { tx.get_range(&range, RangeOptions::limit(limit)).await }
            })
            .await?;
        if pairs.len() == limit
            && let Some((last, _)) = pairs.last()
        {
            let mut next = last.clone();
            next.push(0x00);
            self.begin = Some(next);
        }
        Ok(Some(pairs))
    }
}
