//! Password-guessing limits for the built-in login: failed attempts are
//! counted per username, per client address and per authorization
//! interaction, and past a limit the subject is locked for a while (OWASP
//! Authentication Cheat Sheet, "Protect Against Automated Attacks"; NIST
//! SP 800-63B §5.2.2, rate limiting).
//!
//! - The counters are store records ([`LoginAttempts`]), so every node
//!   sees the same ones; each expires with its window or its lock-out,
//!   whichever ends later, and the sweeper removes it.
//! - An attempt is charged to its username and interaction *before* the
//!   password is hashed ([`Throttle::admit`], one transaction), so a burst
//!   of parallel guesses at one account cannot all be in flight before the
//!   first failure is counted: at most `max_failures_per_account` attempts
//!   run per window. The address is only checked there and charged on a
//!   failure ([`Throttle::failed`]): many customers may share an address
//!   (a NAT), and their successful logins then never write the same key; a
//!   spray from one address overshoots its limit by at most the hashes in
//!   flight (`login.argon2_queue_depth` + threads). A success clears the
//!   username's counter ([`Throttle::succeeded`]); a failure that reaches a
//!   limit locks the subject, with an audit line and
//!   `fiducia_login_lockouts_total`.
//! - A locked subject is refused without hashing, whatever the password: the
//!   answer does not depend on it (no oracle) and costs no argon2 work.
//!   Unknown usernames are counted and locked like real ones, so a lock-out
//!   says nothing about whether an account exists.
//!
//! Records live in the store's `replay` kind (short-lived abuse marks,
//! stored by the SHA-256 of their id; `store/keys.rs`): their ids begin
//! with `login-attempts` and hold no NUL, so they never meet a `jti`'s
//! (`namespace NUL jti`). Time is a parameter.

use crate::config::LoginConfig;
use crate::store::keys::Kind;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::{Links, Repo, StoredRecord, ops};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Failed attempts of one subject within its window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempts {
    /// Unix seconds of the window's first attempt.
    pub window_start: u64,
    /// Attempts charged in the window (failures, and attempts in flight).
    pub count: u32,
    /// Unix seconds until which the subject is locked; 0: not locked.
    pub locked_until: u64,
}

impl StoredRecord for LoginAttempts {
    const KIND: Kind = Kind::ReplayDetection;
    fn links(&self) -> Links {
        Links::default()
    }
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A normalized username.
    Account,
    /// A client address (an IPv6 address by its /64).
    Address,
    /// An authorization interaction.
    Interaction,
}

impl Scope {
    /// Label for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
            Scope::Interaction => "interaction",
        }
    }
}

/// The limits, from `[login]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures per username.
    pub per_account: u32,
    /// Failures per client address.
    pub per_address: u32,
    /// Failures per interaction.
    pub per_interaction: u32,
    /// Seconds a window lasts from its first failure.
    pub window_secs: u64,
    /// Seconds a lock-out lasts.
    pub lockout_secs: u64,
}

impl From<&LoginConfig> for Policy {
    fn from(c: &LoginConfig) -> Self {
        Self {
            per_account: c.max_failures_per_account,
            per_address: c.max_failures_per_address,
            per_interaction: c.max_failures_per_interaction,
            window_secs: c.failure_window_secs,
            lockout_secs: c.lockout_secs,
        }
    }
}

/// Who one login attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The normalized username; `None` for one that cannot be an account
    /// (such an attempt still counts for the address and the interaction).
    pub account: Option<String>,
    /// The client's address.
    pub address: IpAddr,
    /// The interaction id, and the seconds it has left (its counter dies
    /// with it).
    pub interaction: (String, u64),
}

/// Whether an attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Charged; go on and hash.
    Admitted,
    /// A subject is locked or has used up its attempts: refuse without
    /// hashing; the lock ends in this many seconds.
    Locked {
        /// Seconds until the earliest retry.
        retry_after: u64,
    },
}

/// The counters over the store. Cheap to build per request.
#[derive(Debug, Clone)]
pub struct Throttle<'a> {
    repo: &'a Repo,
    policy: Policy,
}

impl<'a> Throttle<'a> {
    /// Counters in `repo` under `policy`.
    pub fn new(repo: &'a Repo, policy: Policy) -> Self {
        Self { repo, policy }
    }

    /// Charges `attempt` to its subjects, unless one of them is locked or
    /// has no attempts left in its window, at `now`.
    pub async fn admit(&self, attempt: &Attempt, now: u64) -> Result<Admission, KvError> {
        let subjects = self.subjects(attempt);
        let policy = self.policy;
        self.repo
            .store()
            .run(|tx, _| {
                let subjects = &subjects;
                async move {
                    let mut charged = Vec::with_capacity(subjects.len());
                    for subject in subjects {
                        let current = current(&tx, &subject.id, now, policy).await?;
                        if current.locked_until > now {
                            return Ok(Admission::Locked {
                                retry_after: current.locked_until - now,
                            });
                        }
                        if current.count >= subject.limit {
                            // Failures and attempts in flight used the window up.
                            let ends = current.window_start.saturating_add(policy.window_secs);
                            return Ok(Admission::Locked {
                                retry_after: ends.saturating_sub(now).max(1),
                            });
                        }
                        if subject.precharged {
                            let record = LoginAttempts {
                                count: current.count + 1,
                                ..current
                            };
                            charged.push((subject, record));
                        }
                    }
                    for (subject, record) in &charged {
                        write(&tx, subject, record, now, policy).await?;
                    }
                    Ok(Admission::Admitted)
                }
            })
            .await
    }

    /// The password was wrong: a subject whose charged attempts reached its
    /// limit is locked until `now + lockout_secs`. Returns the scopes locked
    /// by this failure (the caller audits and counts them).
    pub async fn failed(&self, attempt: &Attempt, now: u64) -> Result<Vec<Scope>, KvError> {
        let subjects = self.subjects(attempt);
        let policy = self.policy;
        self.repo
            .store()
            .run(|tx, _| {
                let subjects = &subjects;
                async move {
                    let mut locked = Vec::new();
                    for subject in subjects {
                        let mut record = current(&tx, &subject.id, now, policy).await?;
                        let mut changed = false;
                        if !subject.precharged {
                            record.count = record.count.saturating_add(1);
                            changed = true;
                        }
                        if record.count >= subject.limit && record.locked_until <= now {
                            record.locked_until = now.saturating_add(policy.lockout_secs);
                            changed = true;
                            locked.push(subject.scope);
                        }
                        if changed {
                            write(&tx, subject, &record, now, policy).await?;
                        }
                    }
                    Ok(locked)
                }
            })
            .await
    }

    /// The password was right: the username's failures are forgotten (a
    /// lock-out already in force would have refused the attempt). The
    /// interaction moves on to consent, so its counter no longer matters.
    pub async fn succeeded(&self, attempt: &Attempt) -> Result<(), KvError> {
        let Some(account) = self
            .subjects(attempt)
            .into_iter()
            .find(|s| s.scope == Scope::Account)
        else {
            return Ok(());
        };
        let id = &account.id;
        self.repo
            .store()
            .run(|tx, _| async move { ops::destroy(&tx, Kind::ReplayDetection, id).await })
            .await
            .map(|_| ())
    }

    /// The password was not checked (the hashing queue was full, or a
    /// failure on our side): the username and interaction get their charge
    /// back.
    pub async fn not_checked(&self, attempt: &Attempt, now: u64) -> Result<(), KvError> {
        let subjects = self.subjects(attempt);
        let policy = self.policy;
        self.repo
            .store()
            .run(|tx, _| {
                let subjects = &subjects;
                async move {
                    for subject in subjects.iter().filter(|s| s.precharged) {
                        let Some(found) = ops::find::<LoginAttempts>(&tx, &subject.id, now).await? else {
                            continue;
                        };
                        let mut record = found.payload;
                        record.count = record.count.saturating_sub(1);
                        write(&tx, subject, &record, now, policy).await?;
                    }
                    Ok(())
                }
            })
            .await
    }

    fn subjects(&self, attempt: &Attempt) -> Vec<Subject> {
        let (interaction, remaining) = &attempt.interaction;
        let mut out = Vec::with_capacity(3);
        if let Some(account) = &attempt.account {
            out.push(Subject {
                scope: Scope::Account,
                id: format!("login-attempts account {account}"),
                limit: self.policy.per_account,
                precharged: true,
                cap: None,
            });
        }
        out.push(Subject {
            scope: Scope::Address,
            id: format!("login-attempts address {}", address_key(attempt.address)),
            limit: self.policy.per_address,
            precharged: false,
            cap: None,
        });
        out.push(Subject {
            scope: Scope::Interaction,
            id: format!("login-attempts interaction {interaction}"),
            limit: self.policy.per_interaction,
            precharged: true,
            cap: Some(*remaining),
        });
        out
    }
}

/// Counts a failed password check (`fiducia_login_failures_total`) and
/// writes an audit line and `fiducia_login_lockouts_total{scope}` for each
/// lock-out it caused. Never the password; the username only for an
/// account lock-out (the account is what the operator must know about).
pub fn record_failure(attempt: &Attempt, locked: &[Scope], client_id: &str, lockout_secs: u64) {
    metrics::counter!("fiducia_login_failures_total").increment(1);
    for scope in locked {
        metrics::counter!("fiducia_login_lockouts_total", "scope" => scope.as_str()).increment(1);
        let username = match scope {
            Scope::Account => attempt.account.as_deref().unwrap_or("-"),
            _ => "-",
        };
        tracing::warn!(
            target: "fiducia::audit",
            operation = "login.lockout",
            scope = scope.as_str(),
            username,
            address = %address_key(attempt.address),
            interaction = %attempt.interaction.0,
            client_id,
            lockout_secs,
            "too many failed logins: locked"
        );
    }
}

/// Counts a login refused without a password check because a subject was
/// locked (`fiducia_login_throttled_total`).
pub fn record_refusal() {
    metrics::counter!("fiducia_login_throttled_total").increment(1);
}

/// One counter an attempt touches.
#[derive(Debug)]
struct Subject {
    scope: Scope,
    id: String,
    limit: u32,
    /// Charged at admission (before the hash) rather than on failure.
    precharged: bool,
    /// The most seconds its record may live (an interaction's counter is
    /// no use after the interaction).
    cap: Option<u64>,
}

/// The subject's counter at `now`: a new window when there is none, its
/// window is over, or a lock-out has ended (a lock is served once).
async fn current(tx: &Transaction, id: &str, now: u64, policy: Policy) -> Result<LoginAttempts, KvError> {
    let fresh = LoginAttempts {
        window_start: now,
        count: 0,
        locked_until: 0,
    };
    let Some(found) = ops::find::<LoginAttempts>(tx, id, now).await? else {
        return Ok(fresh);
    };
    let record = found.payload;
    let lock_served = record.locked_until != 0 && record.locked_until <= now;
    let window_over = record.window_start.saturating_add(policy.window_secs) <= now;
    if record.locked_until > now || !(lock_served || window_over) {
        return Ok(record);
    }
    Ok(fresh)
}

/// Stores `record` for as long as its window or lock lasts (at least 1 s,
/// at most the subject's cap).
async fn write(
    tx: &Transaction,
    subject: &Subject,
    record: &LoginAttempts,
    now: u64,
    policy: Policy,
) -> Result<(), KvError> {
    let window_end = record.window_start.saturating_add(policy.window_secs);
    let mut ttl = window_end.max(record.locked_until).saturating_sub(now).max(1);
    if let Some(cap) = subject.cap {
        ttl = ttl.min(cap.max(1));
    }
    ops::upsert(tx, &subject.id, record, Some(ttl), now).await
}

/// The key an address is counted under: an IPv4 address as it is (and an
/// IPv4-mapped IPv6 one as its IPv4), an IPv6 address by its /64, which
/// one subscriber usually holds whole (RFC 6177, RFC 7934 §4: a host may
/// use any number of addresses from its /64).
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests;
