//! One round of the notifier: read the outbox, enforce its bounds, send
//! each gateway what it has not taken, delete what every gateway took.

use super::backoff::Backoff;
use super::metrics as m;
use super::post;
use crate::oauth::live_sections::ResourceServers;
use crate::oauth::op::OpState;
use crate::outbound::OutboundPoster;
use crate::protocol::revocation_notice::{self as notice, MAX_ITEMS};
use crate::store::kv::KvError;
use crate::store::repo::outbox::{self, Pending};
use fiducia_hsm::Signer;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

/// Most records read per round.
pub const BATCH: usize = 256;
/// The time one POST may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// What the notifier remembers of each gateway between rounds, by
/// resource server id.
#[derive(Default)]
pub struct Gateways(HashMap<String, Gateway>);

struct Gateway {
    url: String,
    backoff: Backoff,
    /// Ids of outbox records it took.
    took: HashSet<String>,
}

/// One round at the OP's `now`.
pub async fn run(op: &OpState, poster: &OutboundPoster, gateways: &mut Gateways) -> Result<(), KvError> {
    let repo = &op.services.repo;
    let now = op.now();
    let mut pending = repo.pending_notices(BATCH, now).await?;
    let aged = pending
        .first()
        .is_some_and(|p| now.saturating_sub(p.notice.created_at) > outbox::MAX_AGE_SECS);
    if aged || pending.len() == BATCH {
        let trimmed = repo
            .trim_outbox(now, outbox::MAX_PENDING, outbox::MAX_AGE_SECS)
            .await?;
        if trimmed.aged > 0 {
            m::dropped("aged", trimmed.aged);
            tracing::warn!(
                records = trimmed.aged,
                max_age_secs = outbox::MAX_AGE_SECS,
                "revocation notices aged out undelivered: a gateway that did not take them serves those tokens from its cache until its TTL"
            );
        }
        if trimmed.overflow > 0 {
            m::dropped("overflow", trimmed.overflow);
            tracing::warn!(
                records = trimmed.overflow,
                max_pending = outbox::MAX_PENDING,
                "the revocation outbox is full: its oldest notices were dropped undelivered"
            );
        }
        pending = repo.pending_notices(BATCH, now).await?;
    }
    m::pending(pending.len());
    gateways.follow(&op.services.sections.get::<ResourceServers>());
    if pending.is_empty() {
        gateways.0.values_mut().for_each(|g| g.took.clear());
        return Ok(());
    }
    let signer = op.key_set().signer.clone();
    if let Some(signer) = signer {
        let issuer = op.config.issuer();
        let started = Instant::now();
        let sends = gateways
            .0
            .iter_mut()
            .filter(|(_, gateway)| gateway.backoff.is_due(started))
            .map(|(id, gateway)| send(poster, signer.as_ref(), issuer, id, gateway, &pending, now));
        futures::future::join_all(sends).await;
    } else if !gateways.0.is_empty() {
        tracing::debug!("no active signing key yet: revocation notices wait");
        return Ok(());
    }
    let done: Vec<String> = pending
        .iter()
        .filter(|p| gateways.0.values().all(|g| g.took.contains(&p.id)))
        .map(|p| p.id.clone())
        .collect();
    repo.delete_notices(&done).await?;
    let still: HashSet<&str> = pending.iter().map(|p| p.id.as_str()).collect();
    for gateway in gateways.0.values_mut() {
        gateway
            .took
            .retain(|id| still.contains(id.as_str()) && !done.contains(id));
    }
    Ok(())
}

impl Gateways {
    /// Follows the live configuration: a gateway added starts from
    /// nothing taken, one removed is forgotten, one whose URL changed
    /// starts again (its new address has taken nothing).
    fn follow(&mut self, servers: &[crate::config::ResourceServerConfig]) {
        let wanted: HashMap<&str, &str> = servers
            .iter()
            .filter_map(|rs| Some((rs.id.as_str(), rs.revocation_notice_url.as_deref()?)))
            .collect();
        self.0
            .retain(|id, gateway| wanted.get(id.as_str()) == Some(&gateway.url.as_str()));
        for (id, url) in wanted {
            self.0.entry(id.to_string()).or_insert_with(|| Gateway {
                url: url.to_string(),
                backoff: Backoff::default(),
                took: HashSet::new(),
            });
        }
    }
}

/// Sends `gateway` the records of `pending` it has not taken, in notices
/// of at most [`MAX_ITEMS`]; stops at the first failure and backs off.
async fn send(
    poster: &OutboundPoster,
    signer: &dyn Signer,
    issuer: &str,
    id: &str,
    gateway: &mut Gateway,
    pending: &[Pending],
    now: u64,
) {
    let untaken: Vec<&Pending> = pending.iter().filter(|p| !gateway.took.contains(&p.id)).collect();
    for batch in batches(&untaken) {
        let result = match sign(signer, issuer, id, &batch, now).await {
            Ok(jwt) => post::post(poster, &gateway.url, &jwt, ATTEMPT_TIMEOUT).await,
            Err(error) => Err(format!("signing failed: {error}")),
        };
        match result {
            Ok(()) => {
                gateway.backoff.succeeded();
                gateway.took.extend(batch.iter().map(|p| p.id.clone()));
                let oldest = batch.iter().map(|p| p.notice.created_at).min().unwrap_or(now);
                m::sent(id, now.saturating_sub(oldest));
            }
            Err(error) => {
                m::failed(id);
                let retry_in = gateway.backoff.failed(Instant::now());
                tracing::warn!(
                    gateway = id,
                    %error,
                    failures = gateway.backoff.failures(),
                    retry_in_ms = retry_in.as_millis() as u64,
                    "a revocation notice was not taken; retrying with backoff"
                );
                return;
            }
        }
    }
}

/// Groups records into notices of at most [`MAX_ITEMS`] (a record is never
/// split; one record holds at most one revocation chunk's tokens and its
/// grant, below the bound).
fn batches<'a>(records: &[&'a Pending]) -> Vec<Vec<&'a Pending>> {
    let mut out: Vec<Vec<&Pending>> = Vec::new();
    let mut items = 0;
    for record in records {
        let n = record.notice.items();
        if out.is_empty() || items + n > MAX_ITEMS {
            out.push(Vec::new());
            items = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(record);
        }
        items += n;
    }
    out
}

/// The notice JWT for `batch`, to the gateway `audience`.
async fn sign(
    signer: &dyn Signer,
    issuer: &str,
    audience: &str,
    batch: &[&Pending],
    now: u64,
) -> Result<String, fiducia_hsm::SignError> {
    let hashes: BTreeSet<[u8; 32]> = batch
        .iter()
        .flat_map(|p| p.notice.token_sha256.iter().copied())
        .collect();
    let grants: BTreeSet<&String> = batch.iter().flat_map(|p| p.notice.grant_ids.iter()).collect();
    let hashes: Vec<[u8; 32]> = hashes.into_iter().collect();
    let grants: Vec<String> = grants.into_iter().cloned().collect();
    let jti = uuid::Uuid::new_v4().simple().to_string();
    let claims = notice::claims(issuer, audience, now, &jti, &hashes, &grants);
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), serde_json::Value::from(notice::TYP));
    fiducia_hsm::sign_jws(signer, header, claims.to_string().as_bytes()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::revocation_notice::RevocationNotice;

    fn record(id: &str, hashes: usize) -> Pending {
        Pending {
            id: id.into(),
            notice: RevocationNotice {
                created_at: 1,
                token_sha256: vec![[0u8; 32]; hashes],
                grant_ids: vec!["g".into()],
            },
        }
    }

    #[test]
    fn records_are_batched_whole_up_to_the_item_bound() {
        let records = [record("a", 499), record("b", 499), record("c", 10)];
        let refs: Vec<&Pending> = records.iter().collect();
        let sizes: Vec<Vec<&str>> = batches(&refs)
            .iter()
            .map(|b| b.iter().map(|p| p.id.as_str()).collect())
            .collect();
        assert_eq!(sizes, [vec!["a", "b"], vec!["c"]]);
        assert!(batches(&[]).is_empty());
    }
}
