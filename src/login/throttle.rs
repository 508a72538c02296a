//! Password-guessing limits for the built-in login: failed attempts are
//! counted per username, per client address and per authorization
//! interaction, and past a limit the subject is locked for a while (OWASP
//! Authentication Cheat Sheet, "Protect Against Automated Attacks"; NIST
//! SP 800-63B §5.2.2, rate limiting).
//!
//! - The counters are store records ([`LoginAttempts`]), so every node
//!   sees the same ones; each expires with its window or its lock-out,
//!   whichever ends later, and the sweeper removes it.
//! - Only failures are written ([`Throttle::failed`]). Admission
//!   ([`Throttle::admit`]) only reads, so a login whose password is right
//!   costs no store commit (a read-only transaction commits nothing) and
//!   concurrent logins of one account never contend for its counter; a
//!   success deletes the username's counter only when it has one
//!   ([`Throttle::succeeded`]). A failure that reaches a limit locks the
//!   subject, with an audit line and `fiducia_login_lockouts_total`.
//! - Guesses in flight are bounded before anything is counted:
//!   [`AccountGate`] lets at most `max_failures_per_account` password checks
//!   of one username run at once on a node (more wait for their turn, then
//!   are admitted against the failures counted meanwhile), so a parallel
//!   burst at one account gets at most twice its limit of guesses per node
//!   before the lock-out instead of a whole hashing queue of them. The
//!   address and the interaction count failures as they come; a spray from
//!   one address overshoots its limit by at most the hashes in flight
//!   (`login.argon2_queue_depth` + threads).
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
use crate::store::record::{Links, StoredRecord};
use crate::store::repo::{Repo, ops};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Failed attempts of one subject within its window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempts {
    /// Unix seconds of the window's first attempt.
    pub window_start: u64,
    /// Failures counted in the window.
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
    /// A customer's second factor (TOTP codes; `login/second_factor.rs`).
    SecondFactor,
}

impl Scope {
    /// Label for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
            Scope::Interaction => "interaction",
            Scope::SecondFactor => "second_factor",
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

impl Policy {
    /// The second factor's limits (`[login.totp]`): `max_failures`
    /// consecutive wrong codes (a right one resets them; counted over a
    /// day at most) lock it for `lockout_secs`.
    pub fn second_factor(c: &LoginConfig) -> Self {
        Self {
            per_account: c.totp.max_failures,
            per_address: c.totp.max_failures,
            per_interaction: c.totp.max_failures,
            window_secs: crate::config::MAX_LOCKOUT_SECS,
            lockout_secs: c.totp.lockout_secs,
        }
    }
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
    /// Go on and hash.
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

    /// Whether `attempt` may check its password at `now`: not while one
    /// of its subjects is locked or has used up its failures in its window.
    /// Reads only.
    pub async fn admit(&self, attempt: &Attempt, now: u64) -> Result<Admission, KvError> {
        self.admit_subjects(self.subjects(attempt), now).await
    }

    async fn admit_subjects(&self, subjects: Vec<Subject>, now: u64) -> Result<Admission, KvError> {
        let policy = self.policy;
        self.repo
            .store()
            .run(|tx, _| {
                let subjects = &subjects;
                async move {
                    for subject in subjects {
                        let current = current(&tx, &subject.id, now, policy).await?;
                        if current.locked_until > now {
                            return Ok(Admission::Locked {
                                retry_after: current.locked_until - now,
                            });
                        }
                        if current.count >= subject.limit {
                            // Failures used the window up (a lock-out served
                            // within the window starts a fresh one: `current`).
                            let ends = current.window_start.saturating_add(policy.window_secs);
                            return Ok(Admission::Locked {
                                retry_after: ends.saturating_sub(now).max(1),
                            });
                        }
                    }
                    Ok(Admission::Admitted)
                }
            })
            .await
    }

    /// The password was wrong: counted for every subject; one whose failures reached its
    /// limit is locked until `now + lockout_secs`. Returns the scopes locked
    /// by this failure (the caller audits and counts them).
    pub async fn failed(&self, attempt: &Attempt, now: u64) -> Result<Vec<Scope>, KvError> {
        self.failed_subjects(self.subjects(attempt), None, now).await
    }

    /// Counts a failure of every subject; `on_lock` is appended to the
    /// audit trail in the same transaction when it locks one.
    async fn failed_subjects(
        &self,
        subjects: Vec<Subject>,
        on_lock: Option<&crate::store::audit::AuditEvent>,
        now: u64,
    ) -> Result<Vec<Scope>, KvError> {
        let policy = self.policy;
        self.repo
            .store()
            .run(|tx, _| {
                let subjects = &subjects;
                async move {
                    let mut locked = Vec::new();
                    for subject in subjects {
                        let mut record = current(&tx, &subject.id, now, policy).await?;
                        record.count = record.count.saturating_add(1);
                        if record.count >= subject.limit && record.locked_until <= now {
                            record.locked_until = now.saturating_add(policy.lockout_secs);
                            locked.push(subject.scope);
                        }
                        write(&tx, subject, &record, now, policy).await?;
                    }
                    if let Some(event) = on_lock.filter(|_| !locked.is_empty()) {
                        crate::store::audit::append(&tx, event, now).await?;
                    }
                    Ok(locked)
                }
            })
            .await
    }

    /// The password was right: the username's failures are forgotten (a
    /// lock-out already in force would have refused the attempt). Writes
    /// only when there were failures. The interaction moves on to consent,
    /// so its counter no longer matters.
    pub async fn succeeded(&self, attempt: &Attempt, now: u64) -> Result<(), KvError> {
        let Some(account) = self
            .subjects(attempt)
            .into_iter()
            .find(|s| s.scope == Scope::Account)
        else {
            return Ok(());
        };
        self.forget(&account.id, now).await
    }

    /// Deletes the counter `id`, writing only when there is one.
    async fn forget(&self, id: &str, now: u64) -> Result<(), KvError> {
        self.repo
            .store()
            .run(|tx, _| async move {
                if ops::find::<LoginAttempts>(&tx, id, now).await?.is_some() {
                    ops::destroy(&tx, Kind::ReplayDetection, id).await?;
                }
                Ok(())
            })
            .await
    }

    /// Whether customer `account_id` may present a second-factor code:
    /// not while the factor is locked or its failures used up the window
    /// (the same counters and rules as passwords, [`Scope::SecondFactor`],
    /// limit `per_account` of the policy). Reads only.
    pub async fn admit_second_factor(&self, account_id: &str, now: u64) -> Result<Admission, KvError> {
        self.admit_subjects(vec![self.factor_subject(account_id)], now)
            .await
    }

    /// A wrong or replayed code of `account_id`: counted; `true` when this
    /// failure locked the factor, and then `on_lock` (its audit record) is
    /// appended in the same transaction.
    pub async fn second_factor_failed(
        &self,
        account_id: &str,
        on_lock: &crate::store::audit::AuditEvent,
        now: u64,
    ) -> Result<bool, KvError> {
        let locked = self
            .failed_subjects(vec![self.factor_subject(account_id)], Some(on_lock), now)
            .await?;
        Ok(!locked.is_empty())
    }

    /// A right code: the failures are forgotten, so only consecutive
    /// wrong codes lock the factor.
    pub async fn second_factor_succeeded(&self, account_id: &str, now: u64) -> Result<(), KvError> {
        self.forget(&self.factor_subject(account_id).id, now).await
    }

    fn factor_subject(&self, account_id: &str) -> Subject {
        Subject {
            scope: Scope::SecondFactor,
            id: format!("login-attempts second-factor {account_id}"),
            limit: self.policy.per_account,
            cap: None,
        }
    }

    fn subjects(&self, attempt: &Attempt) -> Vec<Subject> {
        let (interaction, remaining) = &attempt.interaction;
        let mut out = Vec::with_capacity(3);
        if let Some(account) = &attempt.account {
            out.push(Subject {
                scope: Scope::Account,
                id: format!("login-attempts account {account}"),
                limit: self.policy.per_account,
                cap: None,
            });
        }
        out.push(Subject {
            scope: Scope::Address,
            id: format!("login-attempts address {}", address_key(attempt.address)),
            limit: self.policy.per_address,
            cap: None,
        });
        out.push(Subject {
            scope: Scope::Interaction,
            id: format!("login-attempts interaction {interaction}"),
            limit: self.policy.per_interaction,
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

/// How long a login waits for its turn at [`AccountGate`] before it is
/// answered 503 + `Retry-After`.
pub const GATE_WAIT: Duration = Duration::from_secs(5);

/// At most a few password checks of one username at once on this node (see
/// the module documentation). In memory: a node bounds its own guesses in
/// flight; the failures that lock an account are in the store. An entry
/// lives while a check of its username runs or waits, so the map holds at
/// most one entry per login in progress. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AccountGate {
    checks: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

/// A login waited [`GATE_WAIT`] for its turn at [`AccountGate`] in vain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateTimedOut;

/// A turn at the gate; the username's next waiter goes on when it drops.
#[derive(Debug)]
pub struct GatePass {
    permit: Option<OwnedSemaphorePermit>,
    account: String,
    gate: AccountGate,
}

impl AccountGate {
    /// Waits (at most `wait`) until fewer than `at_once` checks of
    /// `account` run; `None` when the wait ran out.
    pub async fn enter(&self, account: &str, at_once: u32, wait: Duration) -> Option<GatePass> {
        let semaphore = {
            let mut checks = self.checks.lock().ok()?;
            checks
                .entry(account.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(at_once.max(1) as usize)))
                .clone()
        };
        let permit = tokio::time::timeout(wait, semaphore.acquire_owned()).await;
        let pass = GatePass {
            permit: permit.ok().and_then(Result::ok),
            account: account.to_owned(),
            gate: self.clone(),
        };
        // A waiter that gave up cleans up like a pass (the entry may be
        // its own alone).
        pass.permit.is_some().then_some(pass)
    }

    /// A turn for a login of `account` (at most [`GATE_WAIT`]), or none
    /// needed when the login names no valid username; `Err` when the wait
    /// ran out (answered 503 + `Retry-After`). The flow's login and the
    /// consent dashboard's sign-in both pass here.
    pub async fn enter_login(
        &self,
        account: Option<&str>,
        at_once: u32,
    ) -> Result<Option<GatePass>, GateTimedOut> {
        match account {
            Some(account) => self
                .enter(account, at_once, GATE_WAIT)
                .await
                .map(Some)
                .ok_or(GateTimedOut),
            None => Ok(None),
        }
    }

    /// Usernames with a check running or waiting.
    #[cfg(test)]
    fn usernames(&self) -> usize {
        self.checks.lock().map_or(0, |c| c.len())
    }
}

impl Drop for GatePass {
    fn drop(&mut self) {
        drop(self.permit.take());
        if let Ok(mut checks) = self.gate.checks.lock()
            && checks
                .get(&self.account)
                .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            checks.remove(&self.account);
        }
    }
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
