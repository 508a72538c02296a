//! Continuous trust in registered clients: every
//! `registration.status_check_interval_secs` the [`TrustMonitor`] asks each
//! registered software's directory for its status (the directory's
//! `status_endpoint`) and, where the directory publishes them, its revoked
//! transport certificates (`revocation_endpoint`), through the OP's
//! outgoing HTTPS client. The status goes through
//! `protocol::registration::status::decide`:
//!
//! - not `Active` (software or organisation revoked): the client is
//!   suspended (the registry treats it as unknown at once, on every node)
//!   and everything issued to it is revoked
//!   ([`Repo::revoke_issued_to_client`]; its registration access token is
//!   kept for RFC 7592 management);
//! - `Active` again: anything issued to it while the suspension was being
//!   made is revoked, then the suspension is lifted and `trusted_since`
//!   set, so no token from before comes back (`oauth/trusted_since.rs`);
//! - no answer: nothing changes (fail-static, reasons at `decide`), the
//!   failure is logged and counted.
//!
//! The revoked certificates (`protocol::registration::revocation`) are
//! stored with each client of the software when they differ from its
//! stored list. From then on such a certificate authenticates nothing of
//! the client (`oauth/client_auth.rs`, RFC 7592 management in
//! `manage.rs`; registration itself refuses one, `certificates.rs`) and no
//! token bound to one is honoured (`oauth/trusted_since.rs`). The client
//! is not suspended: a directory revokes a certificate (a leaked key, a
//! renewal) and not the software, whose other certificates keep working,
//! so the fintech goes on with its renewed certificate without a gap and
//! without re-registering, while everything bound to the revoked one
//! stops — the precise answer where suspension would stop the software's
//! customers too. The list is in the store, not in a node's memory, so
//! every node and a restarted one refuse the same certificates.
//!
//! One status (and revocation) request per (directory, software) per round, however many
//! registrations the software has, a few in flight at once. Of the nodes
//! sharing a store only the holder of the trust lease runs the rounds
//! (`trust_lease.rs`: taken, then renewed every heartbeat — the interval,
//! at most 10 s — apart from the rounds, so directories are asked once per
//! interval, not once per node, and a dead holder is replaced within 30 s);
//! each
//! change is a read-modify-write transaction on the record, so a round
//! that overlaps another (a holder slower than its lease) still applies
//! and audits a change once.
//!
//! Metrics: `fiducia_trust_checks_total{directory,outcome}` (outcome
//! `active`, `not_active`, `failed`), `fiducia_trust_check_failures_total{directory}`,
//! `fiducia_trust_consecutive_failures{directory}` (the longest run of
//! failed checks among the directory's software),
//! `fiducia_trust_suspensions_total{directory}`,
//! `fiducia_trust_reinstatements_total{directory}`,
//! `fiducia_trust_certificate_revocations_total{directory}` (certificates
//! newly listed for a client), `fiducia_trust_lease_held` (whether this
//! node runs the rounds).
//!
//! [`Repo::revoke_issued_to_client`]: crate::store::repo::Repo::revoke_issued_to_client

use super::audit_trail;
use super::trust_lease;
use crate::model::registered::RegisteredClient;
use crate::model::trust_lease::{self as trust_lease_rules, LeaseStep};
use crate::oauth::live_sections::TrustedDirectories as LiveDirectories;
use crate::oauth::op::OpState;
use crate::protocol::registration::revocation;
use crate::protocol::registration::status::{self, SoftwareStanding, TrustAction};
use crate::store::audit::Actor;
use crate::store::audit::chain::node_name;
use crate::store::kv::KvError;
use crate::store::repo::ops;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Status requests in flight at once.
const CONCURRENT_CHECKS: usize = 8;

/// The background task re-checking registered software.
pub struct TrustMonitor {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// Whether this node holds the trust lease now.
    holds_lease: Arc<AtomicBool>,
}

impl TrustMonitor {
    /// Starts checking every `interval` while node `node` holds the trust
    /// lease, or `None` when registration is off. Each round checks the
    /// directories in force then that have a `status_endpoint` or
    /// `revocation_endpoint` (they change live).
    pub fn spawn(op: Arc<OpState>, interval: Duration, node: Arc<str>) -> Option<Self> {
        // Registration off: nothing is registered through directories.
        op.services.directories.as_ref()?;
        for d in op.services.sections.get::<LiveDirectories>().iter() {
            if d.status_endpoint.is_none() {
                tracing::warn!(directory = %d.issuer, "trusted directory without status_endpoint: the status of its registered software is never re-checked");
            }
        }
        // The directories change live (`oauth/live_sections`): each round
        // reads the endpoints in force then, so the monitor runs even when
        // none has one yet.
        let endpoints = endpoints_in_force(&op);
        let (stop, mut stopped) = watch::channel(false);
        let holds_lease = Arc::new(AtomicBool::new(false));
        let lease = Lease {
            node,
            lifetime_secs: trust_lease_rules::lifetime_secs(interval.as_secs()),
            held: holds_lease.clone(),
        };
        let heartbeat = Duration::from_secs(trust_lease_rules::heartbeat_secs(interval.as_secs()));
        let checks = Arc::new(tokio::sync::Mutex::new(TrustChecks {
            op: op.clone(),
            endpoints,
            failures: HashMap::new(),
        }));
        let task = tokio::spawn(async move {
            // The lease is renewed every heartbeat, apart from the rounds
            // (which run in their own task, one at a time, every
            // `interval` while this node holds it): a long round does not
            // let the lease lapse, and a dead holder is replaced within a
            // few heartbeats, not a few intervals.
            let mut beats = tokio::time::interval(heartbeat);
            beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut round: Option<JoinHandle<()>> = None;
            let mut last_round: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    _ = beats.tick() => {}
                    _ = stopped.changed() => break,
                }
                if !lease.hold(&op).await {
                    last_round = None;
                    if let Ok(mut idle) = checks.try_lock() {
                        idle.forget();
                    }
                    continue;
                }
                let running = round.as_ref().is_some_and(|r| !r.is_finished());
                // The interval in force (the live registration policy,
                // `oauth/policies`): a change applies from the next beat;
                // the lease's heartbeat stays the start-up one's.
                let interval = Duration::from_secs(op.registration_policy().status_check_interval_secs);
                let due = last_round.is_none_or(|at| at.elapsed() >= interval);
                if !running && due {
                    last_round = Some(tokio::time::Instant::now());
                    let checks = checks.clone();
                    round = Some(tokio::spawn(async move { checks.lock().await.round().await }));
                }
            }
            if let Some(round) = round {
                round.abort();
                let _ = round.await;
            }
            lease.release(&op).await;
        });
        Some(Self {
            stop,
            task,
            holds_lease,
        })
    }

    /// Whether this node holds the trust lease (runs the rounds) now.
    pub fn holds_lease(&self) -> bool {
        self.holds_lease.load(Ordering::Relaxed)
    }

    /// Stops the checks (a round in progress is abandoned; every change is
    /// its own transaction) and hands the lease back if this node holds it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// This node's side of the trust lease.
struct Lease {
    node: Arc<str>,
    lifetime_secs: u64,
    held: Arc<AtomicBool>,
}

impl Lease {
    /// Takes or renews the lease; whether this node holds it for this
    /// interval. A store error counts as not holding: a node that cannot
    /// renew must not go on checking past its lease, when another may
    /// have taken over.
    async fn hold(&self, op: &OpState) -> bool {
        let now = op.now();
        let step = trust_lease::acquire(&op.services.repo, &self.node, now, self.lifetime_secs).await;
        let holds = match &step {
            Ok(step) => step.holds(),
            Err(error) => {
                tracing::warn!(node = %self.node, %error, "trust lease could not be taken or renewed; no trust checks this interval");
                false
            }
        };
        let held = self.held.swap(holds, Ordering::Relaxed);
        match (held, &step) {
            (false, Ok(LeaseStep::Take | LeaseStep::Renew)) => {
                tracing::info!(node = %self.node, "trust lease taken: this node runs the trust checks");
            }
            (true, Ok(LeaseStep::Wait { holder, until })) => {
                tracing::info!(node = %self.node, %holder, until, "trust lease lost to another node");
            }
            _ => {}
        }
        metrics::gauge!("fiducia_trust_lease_held").set(if holds { 1.0 } else { 0.0 });
        holds
    }

    /// Deletes the lease if the store says this node holds it (also when
    /// its last renewal failed here but committed there).
    async fn release(&self, op: &OpState) {
        self.held.store(false, Ordering::Relaxed);
        metrics::gauge!("fiducia_trust_lease_held").set(0.0);
        match trust_lease::release(&op.services.repo, &self.node, op.now()).await {
            Ok(true) => {
                tracing::info!(node = %self.node, "trust lease handed back");
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(node = %self.node, %error, "trust lease could not be handed back; it expires on its own");
            }
        }
    }
}

/// One software at one directory.
type SoftwareKey = (String, String);

/// A directory's `status_endpoint` and `revocation_endpoint` templates.
struct DirectoryEndpoints {
    status: Option<String>,
    revocation: Option<String>,
}

/// What one software's directory said in a round (`None`: not asked, the
/// directory has no such endpoint).
struct SoftwareCheck {
    status: Option<Result<SoftwareStanding, String>>,
    revoked: Option<Result<Vec<String>, String>>,
}

impl SoftwareCheck {
    /// The first failure of the round's requests, if any.
    fn failure(&self) -> Option<&str> {
        let status = self.status.as_ref().and_then(|s| s.as_ref().err());
        let revoked = self.revoked.as_ref().and_then(|r| r.as_ref().err());
        status.or(revoked).map(String::as_str)
    }
}

/// The status and revocation endpoints of the directories in force, by
/// issuer (those with neither are not checked).
fn endpoints_in_force(op: &OpState) -> HashMap<String, DirectoryEndpoints> {
    op.services
        .sections
        .get::<LiveDirectories>()
        .iter()
        .filter(|d| d.status_endpoint.is_some() || d.revocation_endpoint.is_some())
        .map(|d| {
            let endpoints = DirectoryEndpoints {
                status: d.status_endpoint.clone(),
                revocation: d.revocation_endpoint.clone(),
            };
            (d.issuer.clone(), endpoints)
        })
        .collect()
}

struct TrustChecks {
    op: Arc<OpState>,
    /// Endpoint templates by directory issuer.
    endpoints: HashMap<String, DirectoryEndpoints>,
    /// Consecutive failed checks per software.
    failures: HashMap<SoftwareKey, u64>,
}

impl TrustChecks {
    /// Drops the failure counts of a node that does not run the rounds
    /// (never held the lease, or lost it), so its gauges do not report
    /// the holder's directories as failing.
    fn forget(&mut self) {
        if self.failures.is_empty() {
            return;
        }
        self.failures.clear();
        for directory in self.endpoints.keys() {
            metrics::gauge!("fiducia_trust_consecutive_failures", "directory" => directory.clone()).set(0.0);
        }
    }

    /// Checks every registered client once, against the directories in
    /// force now: a client of a directory removed since is not checked
    /// (the client registry refuses it, `actors/client_registry.rs`).
    async fn round(&mut self) {
        let endpoints = endpoints_in_force(&self.op);
        for gone in self.endpoints.keys().filter(|d| !endpoints.contains_key(*d)) {
            metrics::gauge!("fiducia_trust_consecutive_failures", "directory" => gone.clone()).set(0.0);
        }
        self.endpoints = endpoints;
        let now = self.op.now();
        let clients = match self.op.services.repo.list::<RegisteredClient>(now).await {
            Ok(clients) => clients,
            Err(error) => {
                tracing::warn!(%error, "registered clients could not be listed; trust checks retry next interval");
                return;
            }
        };
        let clients: Vec<RegisteredClient> = clients
            .into_iter()
            .map(|f| f.payload)
            .filter(|c| self.endpoints.contains_key(&c.directory))
            .collect();
        // One request per (directory, software), [`CONCURRENT_CHECKS`] at a
        // time, so a slow directory does not make a round last
        // (software × timeout).
        let keys: std::collections::BTreeSet<SoftwareKey> = clients
            .iter()
            .map(|c| (c.directory.clone(), c.software_id.clone()))
            .collect();
        // Software no longer registered leaves the failure counts.
        self.failures.retain(|key, _| keys.contains(key));
        let fetcher = self.op.services.directories.as_ref().map(|d| d.fetcher().clone());
        let fetches = keys.into_iter().filter_map(|key| {
            let endpoints = self.endpoints.get(&key.0)?;
            let status_url = endpoints.status.as_deref().map(|t| status::status_url(t, &key.1));
            let revocation_url = endpoints
                .revocation
                .as_deref()
                .map(|t| status::status_url(t, &key.1));
            let fetcher = fetcher.clone();
            Some(async move {
                let fetch = |url: String| {
                    let fetcher = fetcher.clone();
                    async move {
                        match fetcher {
                            Some(fetcher) => fetcher.fetch_json(&url).await.map(|answer| (url, answer)),
                            None => Err("registration is off".to_string()),
                        }
                    }
                };
                let status = match status_url {
                    Some(url) => Some(fetch(url).await.and_then(|(url, answer)| {
                        status::parse_status(&answer).map_err(|e| format!("{url}: {e}"))
                    })),
                    None => None,
                };
                let revoked = match revocation_url {
                    Some(url) => Some(fetch(url).await.and_then(|(url, answer)| {
                        revocation::parse_revoked(&answer).map_err(|e| format!("{url}: {e}"))
                    })),
                    None => None,
                };
                (key, SoftwareCheck { status, revoked })
            })
        });
        let fetched: Vec<_> = futures::stream::iter(fetches)
            .buffer_unordered(CONCURRENT_CHECKS)
            .collect()
            .await;
        let mut answers = HashMap::new();
        for (key, check) in fetched {
            self.record(&key, &check);
            answers.insert(key, check);
        }
        for client in clients {
            let key = (client.directory.clone(), client.software_id.clone());
            let Some(check) = answers.get(&key) else {
                continue;
            };
            // RFC 8705 §2.1, §3: the certificates the directory revoked,
            // stored with the client, are refused from now on wherever it
            // authenticates or a token bound to one is presented.
            if let Some(Ok(revoked)) = &check.revoked
                && *revoked != client.revoked_certificates
                && let Err(error) = self.store_revoked(&client, revoked).await
            {
                tracing::warn!(client_id = %client.client_id, %error, "revoked certificates could not be stored; retrying next interval");
            }
            let Some(outcome) = &check.status else {
                continue;
            };
            let result = match status::decide(client.suspended, outcome) {
                TrustAction::Keep => Ok(()),
                TrustAction::Suspend => self.suspend(&client, outcome).await,
                TrustAction::Reinstate => self.reinstate(&client).await,
            };
            if let Err(error) = result {
                tracing::warn!(client_id = %client.client_id, %error, "trust change could not be stored; retrying next interval");
            }
        }
        for directory in self.endpoints.keys() {
            let longest = self
                .failures
                .iter()
                .filter(|((d, _), _)| d == directory)
                .map(|(_, n)| *n)
                .max()
                .unwrap_or(0);
            metrics::gauge!("fiducia_trust_consecutive_failures", "directory" => directory.clone())
                .set(longest as f64);
        }
    }

    /// Counts and logs one software's check.
    fn record(&mut self, key: &SoftwareKey, check: &SoftwareCheck) {
        let (directory, software_id) = key;
        let label = match (&check.status, check.failure()) {
            (Some(Ok(SoftwareStanding::NotActive { .. })), _) => "not_active",
            (_, Some(_)) => "failed",
            _ => "active",
        };
        metrics::counter!("fiducia_trust_checks_total", "directory" => directory.clone(), "outcome" => label)
            .increment(1);
        match check.failure() {
            None => {
                self.failures.remove(key);
            }
            Some(error) => {
                let consecutive = self.failures.entry(key.clone()).or_insert(0);
                *consecutive += 1;
                metrics::counter!("fiducia_trust_check_failures_total", "directory" => directory.clone())
                    .increment(1);
                tracing::warn!(
                    directory = %directory,
                    software_id = %software_id,
                    consecutive = *consecutive,
                    %error,
                    "software status or certificate check failed; the client keeps its last state"
                );
            }
        }
    }

    async fn suspend(
        &self,
        client: &RegisteredClient,
        outcome: &Result<SoftwareStanding, String>,
    ) -> Result<(), KvError> {
        let Some(record) = self.set_suspended(&client.client_id, true).await? else {
            return Ok(());
        };
        // Suspended first, so no new token is issued while the old ones go.
        let services = &self.op.services;
        services.clients.evict(&record.client_id);
        let revoked = services
            .repo
            .revoke_issued_to_client(
                &record.client_id,
                crate::oauth::tokens::grant_revocation(
                    &self.op,
                    self.op.now(),
                    crate::store::repo::RevocationCause::ClientSuspended,
                ),
            )
            .await?;
        let reason = match outcome {
            Ok(SoftwareStanding::NotActive { member, value }) => format!("{member}={value}"),
            _ => String::new(),
        };
        metrics::counter!("fiducia_trust_suspensions_total", "directory" => record.directory.clone())
            .increment(1);
        tracing::info!(
            target: "fiducia::audit",
            client_id = %record.client_id,
            software_id = %record.software_id,
            org_id = %record.org_id,
            directory = %record.directory,
            reason = %reason,
            revoked,
            "client suspended: its software is not active at its directory; everything issued to it revoked"
        );
        Ok(())
    }

    async fn reinstate(&self, client: &RegisteredClient) -> Result<(), KvError> {
        // Whatever is still issued to it was issued before or as it was
        // suspended (a request already past client authentication then):
        // none of it comes back to life.
        let stale = self
            .op
            .services
            .repo
            .revoke_issued_to_client(
                &client.client_id,
                crate::oauth::tokens::grant_revocation(
                    &self.op,
                    self.op.now(),
                    crate::store::repo::RevocationCause::ClientSuspended,
                ),
            )
            .await?;
        let Some(record) = self.set_suspended(&client.client_id, false).await? else {
            return Ok(());
        };
        self.op.services.clients.evict(&record.client_id);
        metrics::counter!("fiducia_trust_reinstatements_total", "directory" => record.directory.clone())
            .increment(1);
        tracing::info!(
            target: "fiducia::audit",
            client_id = %record.client_id,
            software_id = %record.software_id,
            org_id = %record.org_id,
            directory = %record.directory,
            revoked = stale,
            "client reinstated: its software is active again at its directory"
        );
        Ok(())
    }

    /// Stores the directory's list of revoked certificates with the client
    /// (replacing the one stored) and evicts its actor, so its next
    /// request sees it.
    async fn store_revoked(&self, client: &RegisteredClient, revoked: &[String]) -> Result<(), KvError> {
        let Some(record) = self
            .modify(&client.client_id, |found| {
                (found.revoked_certificates != revoked).then(|| RegisteredClient {
                    revoked_certificates: revoked.to_vec(),
                    ..found.clone()
                })
            })
            .await?
        else {
            return Ok(());
        };
        self.op.services.clients.evict(&record.client_id);
        let newly = revoked
            .iter()
            .filter(|r| !client.revoked_certificates.contains(r))
            .count();
        metrics::counter!("fiducia_trust_certificate_revocations_total", "directory" => record.directory.clone())
            .increment(newly as u64);
        tracing::info!(
            target: "fiducia::audit",
            client_id = %record.client_id,
            software_id = %record.software_id,
            org_id = %record.org_id,
            directory = %record.directory,
            revoked = revoked.len(),
            newly,
            "transport certificates revoked by the directory: refused for this client from now on"
        );
        Ok(())
    }

    /// Sets the flag in one transaction with the read (an RFC 7592 update
    /// or deletion in between is not lost); `None` when the client is gone
    /// or already in that state. Lifting a suspension starts a new period
    /// of trust: no token issued before it is honoured again
    /// (`oauth/trusted_since.rs`), client_credentials tokens included,
    /// which no revocation by client reaches.
    async fn set_suspended(
        &self,
        client_id: &str,
        suspended: bool,
    ) -> Result<Option<RegisteredClient>, KvError> {
        let now = self.op.now();
        self.modify(client_id, |found| {
            (found.suspended != suspended).then(|| RegisteredClient {
                suspended,
                trusted_since: match suspended {
                    true => found.trusted_since,
                    false => now,
                },
                ..found.clone()
            })
        })
        .await
    }

    /// Reads the client and writes what `change` makes of it, in one
    /// transaction; `None` when the client is gone or `change` leaves it.
    async fn modify(
        &self,
        client_id: &str,
        change: impl Fn(&RegisteredClient) -> Option<RegisteredClient>,
    ) -> Result<Option<RegisteredClient>, KvError> {
        let now = self.op.now();
        let change = &change;
        self.op
            .services
            .repo
            .store()
            .run(|tx, _| async move {
                let Some(found) = ops::find::<RegisteredClient>(&tx, client_id, now).await? else {
                    return Ok(None);
                };
                let Some(record) = change(&found.payload) else {
                    return Ok(None);
                };
                ops::upsert(&tx, client_id, &record, None, now).await?;
                // The trust checks act on their own: the node is the actor.
                let actor = Actor::Node(node_name().to_string());
                if let Some(event) = audit_trail::changed(actor, &found.payload, &record) {
                    crate::store::audit::append(&tx, &event, now).await?;
                }
                Ok(Some(record))
            })
            .await
    }
}
