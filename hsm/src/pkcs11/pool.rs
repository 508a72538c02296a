//! The signer pool: worker threads each owning one PKCS#11 session, fed
//! through one bounded queue, watched over by a ractor actor.
//!
//! * Data path: `sign` puts a job on a bounded crossbeam queue and awaits a
//!   oneshot reply. A full queue answers [`SignError::Overloaded`] at once
//!   (the HTTP layer turns it into 503 + `Retry-After`); the caller never
//!   waits without bound. Blocking `C_Sign` runs on the workers' own OS
//!   threads, never on a tokio worker.
//! * Control path: [`PoolActor`] receives the workers' session events,
//!   keeps the count of live sessions (readiness: at least one), exports
//!   `fiducia_hsm_live_sessions` and logs when the pool becomes ready or
//!   loses its last session.

use super::error::HsmError;
use super::session::TokenConfig;
use super::worker::{PoolEvent, SignJob, Worker};
use crate::{JoseAlg, PublicJwk, SignError, SignFuture, Signer};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Pool sizing.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The token and its PIN.
    pub token: TokenConfig,
    /// Worker threads, one session each. Default: the number of CPUs.
    pub workers: usize,
    /// Jobs that may wait; one more is refused with `Overloaded`.
    pub queue_capacity: usize,
    /// A job that waited this long is answered `Unavailable`.
    pub job_deadline: Duration,
}

/// Messages of [`PoolActor`].
pub enum PoolActorMessage {
    /// A worker's session changed.
    Worker(PoolEvent),
    /// Reports the pool's state.
    Status(RpcReplyPort<PoolStatus>),
}

/// The pool as its actor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStatus {
    /// Workers with a live session.
    pub live_sessions: usize,
    /// Worker count.
    pub workers: usize,
    /// Sessions reopened since start.
    pub reopened: u64,
}

/// The pool's supervising actor (read-only definition).
pub struct PoolActor;

/// Its state.
pub struct PoolActorState {
    sessions: Vec<bool>,
    live: Arc<AtomicUsize>,
    reopened: u64,
}

impl Actor for PoolActor {
    type Msg = PoolActorMessage;
    type State = PoolActorState;
    type Arguments = (usize, Arc<AtomicUsize>);

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        (workers, live): (usize, Arc<AtomicUsize>),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(PoolActorState {
            sessions: vec![false; workers],
            live,
            reopened: 0,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            PoolActorMessage::Worker(event) => {
                let before = state.live.load(Ordering::Acquire);
                match event {
                    PoolEvent::SessionOpened { worker } => {
                        if let Some(slot) = state.sessions.get_mut(worker) {
                            if !*slot && before > 0 {
                                state.reopened += 1;
                            }
                            *slot = true;
                        }
                    }
                    PoolEvent::SessionLost { worker, code } => {
                        if let Some(slot) = state.sessions.get_mut(worker) {
                            *slot = false;
                        }
                        tracing::debug!(worker, %code, "HSM worker lost its session");
                    }
                }
                let live = state.sessions.iter().filter(|s| **s).count();
                state.live.store(live, Ordering::Release);
                metrics::gauge!("fiducia_hsm_live_sessions").set(live as f64);
                match (before, live) {
                    (0, n) if n > 0 => tracing::info!(sessions = n, "HSM signer pool ready"),
                    (b, 0) if b > 0 => tracing::warn!("HSM signer pool has no session: not ready"),
                    _ => {}
                }
            }
            PoolActorMessage::Status(reply) => {
                let _ = reply.send(PoolStatus {
                    live_sessions: state.sessions.iter().filter(|s| **s).count(),
                    workers: state.sessions.len(),
                    reopened: state.reopened,
                });
            }
        }
        Ok(())
    }
}

struct PoolShared {
    jobs: crossbeam_channel::Sender<SignJob>,
    live: Arc<AtomicUsize>,
    shutdown: Arc<AtomicBool>,
    threads: std::sync::Mutex<Vec<JoinHandle<()>>>,
    actor: ActorRef<PoolActorMessage>,
}

/// The last handle gone, the workers stop and are joined here: none may
/// still be inside the PKCS#11 module when the process exits, or SoftHSM's
/// exit-time destructors run under a worker's call (a SIGSEGV at exit, seen
/// in test processes that ended without `shutdown`). Dropping the queue's
/// sender wakes idle workers at once; a busy one finishes its call first.
/// A worker stuck in a call to an unresponsive HSM is left after
/// [`DROP_JOIN_LIMIT`], so that dropping a pool never hangs.
impl Drop for PoolShared {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::Release);
        let (closed, _) = crossbeam_channel::bounded(0);
        drop(std::mem::replace(&mut self.jobs, closed));
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        let deadline = Instant::now() + DROP_JOIN_LIMIT;
        while threads.iter().any(|t| !t.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        for thread in threads.into_iter().filter(JoinHandle::is_finished) {
            let _ = thread.join();
        }
    }
}

/// Longest a dropped pool waits for its workers.
const DROP_JOIN_LIMIT: Duration = Duration::from_secs(5);

/// A handle to the pool; cheap to clone.
#[derive(Clone)]
pub struct SignerPool {
    shared: Arc<PoolShared>,
}

impl SignerPool {
    /// Checks the module, token and PIN (a wrong one fails here, once, not in
    /// every worker), then starts the actor and the workers.
    pub async fn start(config: PoolConfig) -> Result<Self, HsmError> {
        let token = config.token.clone();
        let probe = tokio::task::spawn_blocking(move || token.open_session(false).map(drop))
            .await
            .map_err(|e| HsmError::Lifecycle(format!("session probe panicked: {e}")))?;
        probe?;
        let workers = config.workers.max(1);
        let live = Arc::new(AtomicUsize::new(0));
        let (actor, _) = Actor::spawn(None, PoolActor, (workers, live.clone()))
            .await
            .map_err(|e| HsmError::Lifecycle(format!("signer pool actor did not start: {e}")))?;
        let (tx, rx) = crossbeam_channel::bounded(config.queue_capacity.max(1));
        let shutdown = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::with_capacity(workers);
        for id in 0..workers {
            let events_actor = actor.clone();
            let worker = Worker {
                id,
                token: config.token.clone(),
                jobs: rx.clone(),
                events: Box::new(move |event| {
                    let _ = events_actor.cast(PoolActorMessage::Worker(event));
                }),
                shutdown: shutdown.clone(),
                job_deadline: config.job_deadline,
            };
            let handle = std::thread::Builder::new()
                .name(format!("hsm-signer-{id}"))
                .spawn(move || worker.run())
                .map_err(|e| HsmError::Lifecycle(format!("cannot start signer thread: {e}")))?;
            threads.push(handle);
        }
        Ok(Self {
            shared: Arc::new(PoolShared {
                jobs: tx,
                live,
                shutdown,
                threads: std::sync::Mutex::new(threads),
                actor,
            }),
        })
    }

    /// Queues a signing job; `Overloaded` at once when the queue is full,
    /// `Unavailable` when no worker has a session.
    pub fn sign(&self, kid: Arc<str>, alg: JoseAlg, input: Vec<u8>) -> SignFuture<'static> {
        let queued = self.enqueue(kid, alg, input);
        Box::pin(async move {
            let reply = queued?;
            reply
                .await
                .unwrap_or_else(|_| Err(SignError::Unavailable("the signer pool stopped".into())))
        })
    }

    fn enqueue(
        &self,
        kid: Arc<str>,
        alg: JoseAlg,
        input: Vec<u8>,
    ) -> Result<oneshot::Receiver<Result<Vec<u8>, SignError>>, SignError> {
        if !self.is_ready() {
            return Err(SignError::Unavailable("no HSM session is open".into()));
        }
        let (reply, rx) = oneshot::channel();
        let job = SignJob {
            kid,
            alg,
            input,
            enqueued: Instant::now(),
            reply,
        };
        match self.shared.jobs.try_send(job) {
            Ok(()) => Ok(rx),
            Err(crossbeam_channel::TrySendError::Full(_)) => {
                metrics::counter!("fiducia_hsm_overloaded_total").increment(1);
                Err(SignError::Overloaded)
            }
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => {
                Err(SignError::Unavailable("the signer pool stopped".into()))
            }
        }
    }

    /// True while at least one worker has a logged-in session.
    pub fn is_ready(&self) -> bool {
        self.shared.live.load(Ordering::Acquire) > 0
    }

    /// Waits until the pool is ready or `timeout` passes; returns readiness.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.is_ready() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.is_ready()
    }

    /// Jobs waiting.
    pub fn queue_depth(&self) -> usize {
        self.shared.jobs.len()
    }

    /// The actor's view of the pool.
    pub async fn status(&self) -> Result<PoolStatus, HsmError> {
        ractor::call!(self.shared.actor, PoolActorMessage::Status)
            .map_err(|e| HsmError::Lifecycle(format!("signer pool actor: {e}")))
    }

    /// A [`Signer`] for the key `jwk` describes, signing through this pool.
    pub fn signer(&self, jwk: PublicJwk) -> Pkcs11Signer {
        Pkcs11Signer {
            pool: self.clone(),
            kid: jwk.kid().into(),
            jwk,
        }
    }

    /// Stops the workers (jobs already queued are answered first) and the actor.
    pub async fn shutdown(&self) {
        self.shared.shutdown.store(true, Ordering::Release);
        let threads = std::mem::take(&mut *self.shared.threads.lock().unwrap_or_else(|p| p.into_inner()));
        let _ = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
        })
        .await;
        self.shared.actor.stop(None);
    }
}

/// A key in the HSM, used through the pool.
#[derive(Clone)]
pub struct Pkcs11Signer {
    pool: SignerPool,
    kid: Arc<str>,
    jwk: PublicJwk,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer").field("kid", &self.kid).finish()
    }
}

impl Signer for Pkcs11Signer {
    fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    fn sign<'a>(&'a self, signing_input: &'a [u8]) -> SignFuture<'a> {
        self.pool
            .sign(self.kid.clone(), self.jwk.alg(), signing_input.to_vec())
    }
}
