//! Password hashing with argon2id (RFC 9106), stored as PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so a hash carries its own
//! parameters and old hashes keep verifying after the parameters change.
//!
//! - Variant argon2id, version 0x13: RFC 9106 §4 ("Argon2id MUST be
//!   supported ... SHOULD be used"), also OWASP's first choice.
//! - Salt: 16 random bytes, the 128 bits RFC 9106 §3.1 recommends.
//! - Tag: 32 bytes (RFC 9106 §4: 256 bits is enough for password hashing).
//! - Cost: from `[login]` (default m = 19 MiB, t = 2, p = 1, OWASP Password
//!   Storage Cheat Sheet's minimum; RFC 9106 §4 recommends more where memory
//!   allows).
//!
//! argon2 is slow and memory-hungry by design, so hashing runs on the
//! hasher's own `argon2_max_concurrent` threads (`argon2-N`), never on an
//! async worker: at most that many hashes run at once, and a login flood
//! queues instead of exhausting memory. The threads take the queued hashes
//! one after another, in order, without going back through the async
//! runtime between two of them: with a semaphore in front of tokio's
//! blocking pool, each queued hash first waited for its task to be polled
//! again, and under an open-loop burst the login step's p99 was 25–31 ms
//! against 4–10 without the limit (docs/PERFORMANCE.md).
//!
//! The queue is bounded (`login.argon2_queue_depth`): a hash that finds it
//! full is refused at once ([`LoginError::Overloaded`], HTTP 503 with
//! `Retry-After`), so a login flood holds a bounded number of waiting
//! requests. A queued hash whose requester went away (its request was
//! cancelled, the connection closed) is skipped when its turn comes: the
//! thread checks the answer's channel before hashing (OWASP Denial of
//! Service Cheat Sheet: do not spend work nobody waits for).

use super::error::LoginError;
use crate::config::LoginConfig;
use argon2::password_hash::{self, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Salt length in bytes (RFC 9106 §3.1: 128 bits recommended).
const SALT_BYTES: usize = 16;
/// Tag length in bytes (RFC 9106 §4).
const TAG_BYTES: usize = 32;

/// A hash to run on a hashing thread.
type Job = Box<dyn FnOnce() -> bool + Send>;

/// Hashes and verifies passwords. Cheap to clone; clones share the limit on
/// concurrent hashes.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    /// A hash of a random password, verified against when a username does
    /// not exist so that the answer takes as long as for a real user.
    dummy: String,
    /// The hashing threads' bounded queue; they end when the last clone of
    /// the hasher is dropped.
    jobs: mpsc::SyncSender<Job>,
    /// Hashes skipped because their requester had gone.
    skipped: Arc<std::sync::atomic::AtomicU64>,
    /// Verifications started, for tests of the one-verification rule.
    #[cfg(test)]
    verifications: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("m_cost", &self.inner.params.m_cost())
            .field("t_cost", &self.inner.params.t_cost())
            .field("p_cost", &self.inner.params.p_cost())
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with memory `memory_kib` KiB, `iterations` passes and
    /// `parallelism` lanes (RFC 9106 §3.1 m, t, p), running at most
    /// `max_concurrent` hashes at once (0: one per CPU), each on a thread of
    /// its own, with at most `queue_depth` more waiting. Computes one hash
    /// (the dummy for unknown users) before it returns, so call it at
    /// start-up, not per request.
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        (max_concurrent, queue_depth): (usize, usize),
    ) -> Result<Self, LoginError> {
        let params = Params::new(memory_kib, iterations, parallelism, Some(TAG_BYTES))
            .map_err(|e| LoginError::Hashing(format!("argon2 parameters: {e}")))?;
        let mut random = [0u8; 32];
        aws_lc_rs::rand::fill(&mut random).map_err(|_| LoginError::Random)?;
        let dummy = hash_blocking(&params, &random)?;
        let max_concurrent = match max_concurrent {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let skipped = Arc::new(std::sync::atomic::AtomicU64::new(0));
        Ok(Self {
            inner: Arc::new(Inner {
                params,
                dummy,
                jobs: start_threads(max_concurrent, queue_depth, Arc::clone(&skipped))?,
                skipped,
                #[cfg(test)]
                verifications: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// A hasher with the `[login]` section's parameters.
    pub fn from_config(config: &LoginConfig) -> Result<Self, LoginError> {
        Self::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
            (config.argon2_max_concurrent, config.argon2_queue_depth),
        )
    }

    /// The PHC string of `password` under a new random salt.
    pub async fn hash(&self, password: &str) -> Result<String, LoginError> {
        let params = self.inner.params.clone();
        let password = password.to_owned();
        self.run_blocking(move || hash_blocking(&params, password.as_bytes()))
            .await?
    }

    /// Whether `password` matches the PHC string `stored`. With `stored`
    /// `None` (no such user) it verifies against the dummy hash and answers
    /// `false`, taking as long as a real verification.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> Result<bool, LoginError> {
        let known = stored.is_some();
        #[cfg(test)]
        self.inner
            .verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stored = stored.unwrap_or(&self.inner.dummy).to_owned();
        let password = password.to_owned();
        let matched = self
            .run_blocking(move || verify_blocking(&stored, password.as_bytes()))
            .await??;
        Ok(known && matched)
    }

    /// Whether `stored` was made with other settings than this hasher's
    /// (another variant, version or cost), so it should be replaced by a new
    /// hash the next time the password is known.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        let current = &self.inner.params;
        let same_params = Params::try_from(&hash).is_ok_and(|p| {
            (p.m_cost(), p.t_cost(), p.p_cost(), p.output_len())
                == (
                    current.m_cost(),
                    current.t_cost(),
                    current.p_cost(),
                    Some(TAG_BYTES),
                )
        });
        let same_kind =
            hash.algorithm == Algorithm::Argon2id.ident() && hash.version == Some(Version::V0x13.into());
        !(same_params && same_kind)
    }

    /// Queued hashes skipped because nobody waited for them any more.
    pub fn skipped(&self) -> u64 {
        self.inner.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Verifications started so far.
    #[cfg(test)]
    pub(crate) fn verifications(&self) -> u64 {
        self.inner
            .verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `work` on a hashing thread, after the hashes queued before it;
    /// [`LoginError::Overloaded`] at once when the queue is full. Dropping
    /// the returned future before its turn means `work` never runs.
    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, LoginError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The requester went away while the job waited: no one reads
            // the answer, so the hash is not worth its CPU and memory.
            if done.is_closed() {
                return false;
            }
            // A panic drops `done`: the caller gets an error, the thread goes on.
            if let Ok(value) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
                let _ = done.send(value);
            }
            true
        });
        match self.inner.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => {
                metrics::counter!("fiducia_login_hash_overloaded_total").increment(1);
                return Err(LoginError::Overloaded);
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(LoginError::Worker(
                    "the password-hashing threads have stopped".into(),
                ));
            }
        }
        result
            .await
            .map_err(|_| LoginError::Worker("a password hash did not complete".into()))
    }
}

/// Starts `count` hashing threads on one queue holding at most `depth`
/// waiting jobs, and returns its sender. A job answers `false` when it was
/// skipped (its requester had gone); `skipped` counts those.
fn start_threads(
    count: usize,
    depth: usize,
    skipped: Arc<std::sync::atomic::AtomicU64>,
) -> Result<mpsc::SyncSender<Job>, LoginError> {
    // At least one place: a zero-capacity channel is a rendezvous, which
    // would refuse every hash that finds all threads busy.
    let (jobs, queue) = mpsc::sync_channel::<Job>(depth.max(1));
    let queue = Arc::new(Mutex::new(queue));
    for i in 0..count {
        let queue = Arc::clone(&queue);
        let skipped = Arc::clone(&skipped);
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                loop {
                    let next = {
                        let Ok(queue) = queue.lock() else { return };
                        queue.recv()
                    };
                    // Every sender is gone: the hasher was dropped.
                    let Ok(job) = next else { return };
                    if !job() {
                        skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        metrics::counter!("fiducia_login_hash_skipped_total").increment(1);
                    }
                }
            })
            .map_err(|e| LoginError::Worker(format!("cannot start a password-hashing thread: {e}")))?;
    }
    Ok(jobs)
}

/// argon2id with `params`, a fresh 16-byte salt, as a PHC string. Blocks.
fn hash_blocking(params: &Params, password: &[u8]) -> Result<String, LoginError> {
    let mut salt = [0u8; SALT_BYTES];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| LoginError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| LoginError::Hashing(e.to_string()))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = argon2
        .hash_password(password, &salt)
        .map_err(|e| LoginError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Verifies `password` against the PHC string `stored`, with the variant,
/// version and cost written in it. Blocks.
fn verify_blocking(stored: &str, password: &[u8]) -> Result<bool, LoginError> {
    let hash = PasswordHash::new(stored).map_err(|e| LoginError::Hashing(format!("stored hash: {e}")))?;
    if hash.hash.is_none() || hash.salt.is_none() {
        return Err(LoginError::Hashing("stored hash has no salt or no output".into()));
    }
    // The parameters come from the stored string; the default instance only
    // supplies the code path.
    match Argon2::default().verify_password(password, &hash) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::Password) => Ok(false),
        Err(e) => Err(LoginError::Hashing(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small parameters keep the tests fast (the crate's minimum memory is
    /// 8 KiB per lane); production uses the `[login]` defaults.
    fn test_hasher() -> PasswordHasher {
        PasswordHasher::new(64, 1, 1, (2, 64)).unwrap()
    }

    #[tokio::test]
    async fn hash_is_argon2id_phc_and_verifies() {
        let h = test_hasher();
        let phc = h.hash("correct horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(h.verify(Some(&phc), "correct horse").await.unwrap());
        assert!(!h.verify(Some(&phc), "Correct horse").await.unwrap());
        assert!(!h.verify(Some(&phc), "").await.unwrap());
    }

    #[tokio::test]
    async fn salts_differ_rfc9106_s3_1() {
        let h = test_hasher();
        assert_ne!(h.hash("same").await.unwrap(), h.hash("same").await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_runs_the_dummy_and_is_false() {
        let h = test_hasher();
        assert!(!h.verify(None, "anything").await.unwrap());
        assert!(h.inner.dummy.starts_with("$argon2id$"));
    }

    #[tokio::test]
    async fn old_parameters_still_verify_and_ask_for_a_rehash() {
        let old = PasswordHasher::new(32, 1, 1, (1, 64)).unwrap();
        let phc = old.hash("pw").await.unwrap();
        let new = test_hasher();
        assert!(new.verify(Some(&phc), "pw").await.unwrap());
        assert!(new.needs_rehash(&phc));
        assert!(!new.needs_rehash(&new.hash("pw").await.unwrap()));
        assert!(new.needs_rehash("not a phc string"));
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_an_error_not_a_match() {
        let h = test_hasher();
        for stored in ["$argon2id$garbage", "not a phc string", ""] {
            assert!(
                matches!(h.verify(Some(stored), "pw").await, Err(LoginError::Hashing(_))),
                "{stored}"
            );
        }
    }

    /// At most `max_concurrent` hashes at once, each on a hashing thread,
    /// never on the async runtime's threads.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_max_concurrent_hashes_run_at_once_on_the_hashing_threads() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let h = test_hasher(); // max_concurrent 2
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (h, running, peak) = (h.clone(), running.clone(), peak.clone());
            async move {
                h.run_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    std::thread::current().name().map(String::from)
                })
                .await
                .unwrap()
            }
        });
        let names = futures::future::join_all(jobs).await;
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        for name in names {
            assert!(
                matches!(name.as_deref(), Some("argon2-0" | "argon2-1")),
                "{name:?}"
            );
        }
    }

    /// A hash that panics is an error for its caller; the thread goes on.
    #[tokio::test]
    async fn a_panicking_hash_is_an_error_and_the_thread_serves_on() {
        let h = PasswordHasher::new(64, 1, 1, (1, 64)).unwrap();
        let failed = h.run_blocking(|| -> bool { panic!("boom") }).await;
        assert!(matches!(failed, Err(LoginError::Worker(_))), "{failed:?}");
        let phc = h.hash("pw").await.unwrap();
        assert!(h.verify(Some(&phc), "pw").await.unwrap());
    }

    /// Holds the only hashing thread of `h` until the returned sender is
    /// dropped or sent to; resolves once the thread has started the job.
    async fn occupy(h: &PasswordHasher) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let holder = h.clone();
        let task = tokio::spawn(async move {
            holder
                .run_blocking(move || {
                    let _ = started.send(());
                    let _ = wait.recv();
                })
                .await
                .unwrap();
        });
        running.await.unwrap();
        (release, task)
    }

    /// OWASP Denial of Service Cheat Sheet: a bounded queue. With the one
    /// thread busy and the queue's one place taken, the next hash is
    /// refused at once (`Overloaded`, the page's 503 + `Retry-After`), and
    /// served again once the queue drains.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_hashing_queue_refuses_at_once() {
        let h = PasswordHasher::new(64, 1, 1, (1, 1)).unwrap();
        let (release, holder) = occupy(&h).await;
        // Polled once, the hash is in the queue's one place.
        let mut queued = Box::pin(h.hash("queued"));
        assert!(futures::poll!(&mut queued).is_pending());
        let refused = h.hash("one too many").await;
        assert!(matches!(refused, Err(LoginError::Overloaded)), "{refused:?}");
        release.send(()).unwrap();
        holder.await.unwrap();
        assert!(queued.await.is_ok());
        assert!(h.hash("after").await.is_ok());
    }

    /// A hash whose requester went away before its turn (the request was
    /// cancelled: its future dropped) is skipped, not computed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_hash_is_skipped() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let h = PasswordHasher::new(64, 1, 1, (1, 8)).unwrap();
        let (release, holder) = occupy(&h).await;
        let ran = Arc::new(AtomicBool::new(false));
        let abandoned = {
            let ran = ran.clone();
            h.run_blocking(move || ran.store(true, Ordering::SeqCst))
        };
        // Queued behind the busy thread, then given up on.
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(50), abandoned).await;
        assert!(gave_up.is_err(), "it cannot have run yet");
        release.send(()).unwrap();
        holder.await.unwrap();
        // A later job runs after the abandoned one's turn.
        assert!(h.hash("next").await.is_ok());
        assert!(!ran.load(Ordering::SeqCst), "the abandoned hash ran");
        assert_eq!(h.skipped(), 1);
    }

    #[test]
    fn parameters_below_the_crate_minimum_are_refused() {
        // The crate needs at least 8 KiB per lane.
        assert!(matches!(
            PasswordHasher::new(8, 1, 2, (1, 64)),
            Err(LoginError::Hashing(_))
        ));
        assert!(PasswordHasher::new(64, 0, 1, (1, 64)).is_err());
    }
}
