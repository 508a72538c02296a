//! A signer worker: one OS thread owning one PKCS#11 session (cryptoki's
//! `Session` is `Send`, not `Sync`). It takes jobs from the pool's bounded
//! queue, signs with blocking `C_Sign` off the tokio runtime, and answers
//! through a oneshot channel.
//!
//! Recovery: when a call fails with a session fault (`CKR_SESSION_HANDLE_INVALID`,
//! `CKR_SESSION_CLOSED`, `CKR_DEVICE_ERROR`, `CKR_TOKEN_NOT_PRESENT`,
//! `CKR_USER_NOT_LOGGED_IN`, ...) the worker drops the session, opens a new
//! one (logging in again) and retries the job in flight once; the same when
//! a cached key handle stopped naming an object (`CKR_OBJECT_HANDLE_INVALID`,
//! `CKR_KEY_HANDLE_INVALID`: the token reloaded or lost its objects). While
//! it has no session it takes no jobs and retries with exponential backoff;
//! after [`RESETS_AFTER_FAILED_OPENS`] failures in a row it asks for the
//! module to be initialised again (`context::reset`), which brings back a
//! token that went away and returned. A request that cannot be signed for
//! any of these reasons is answered `Unavailable` (503 with `Retry-After`
//! at the OP), never `Failed`.

use super::context;
use super::error::{HsmError, ckr_name, is_object_fault, is_session_fault};
use super::keygen::find_key_objects;
use super::mechanism::sign_blocking;
use super::session::{CountedSession, TokenConfig};
use crate::{JoseAlg, SignError};
use cryptoki::object::ObjectHandle;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// First and longest wait between session attempts.
const BACKOFF_START: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Failed session openings in a row after which a worker asks for the
/// module to be reset (`context::reset`): with the backoff, about a second.
const RESETS_AFTER_FAILED_OPENS: u32 = 5;
/// Most jobs a worker takes off the queue at once.
const MAX_BATCH: usize = 8;
/// How often an idle worker looks at the shutdown flag.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// How often an idle worker checks that its session is alive
/// (`C_GetSessionInfo`), so readiness is honest without traffic.
const IDLE_SESSION_CHECK: Duration = Duration::from_secs(1);

/// One signing request.
pub(crate) struct SignJob {
    pub kid: Arc<str>,
    pub alg: JoseAlg,
    pub input: Vec<u8>,
    pub enqueued: Instant,
    pub reply: oneshot::Sender<Result<Vec<u8>, SignError>>,
}

/// What workers tell the pool actor (`PoolActor`).
#[derive(Debug)]
pub enum PoolEvent {
    /// The worker has a logged-in session.
    SessionOpened {
        /// Worker index.
        worker: usize,
    },
    /// The worker's session is gone.
    SessionLost {
        /// Worker index.
        worker: usize,
        /// The `CKR_*` code that ended it.
        code: String,
    },
}

/// Everything a worker needs.
pub(crate) struct Worker {
    pub id: usize,
    pub token: TokenConfig,
    pub jobs: crossbeam_channel::Receiver<SignJob>,
    pub events: Box<dyn Fn(PoolEvent) + Send>,
    pub shutdown: Arc<AtomicBool>,
    /// Jobs that waited longer than this are answered `Unavailable`.
    pub job_deadline: Duration,
}

struct SessionState {
    session: CountedSession,
    keys: HashMap<Arc<str>, ObjectHandle>,
}

impl Worker {
    /// The thread body.
    pub fn run(self) {
        let mut state: Option<SessionState> = None;
        let mut backoff = BACKOFF_START;
        let mut failed_opens = 0u32;
        let mut last_check = Instant::now();
        while !self.shutdown.load(Ordering::Acquire) {
            if state.is_none() {
                match self.open() {
                    Ok(s) => {
                        state = Some(s);
                        backoff = BACKOFF_START;
                        failed_opens = 0;
                    }
                    Err(e) => {
                        tracing::warn!(worker = self.id, error = %e, retry_in_ms = backoff.as_millis() as u64, "HSM session could not be opened");
                        failed_opens += 1;
                        // The token went away (its storage, its device): the
                        // library keeps saying so even once it is back,
                        // until it is initialised again.
                        if failed_opens >= RESETS_AFTER_FAILED_OPENS && context::reset(&self.token.module) {
                            failed_opens = 0;
                            continue;
                        }
                        self.sleep_unless_shut_down(backoff);
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                        continue;
                    }
                }
            }
            let job = match self.jobs.recv_timeout(IDLE_POLL) {
                Ok(job) => job,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    if last_check.elapsed() >= IDLE_SESSION_CHECK {
                        last_check = Instant::now();
                        self.check_idle_session(&mut state);
                    }
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            };
            // Take what else is waiting (up to a batch), sign it all, then
            // answer: one wake-up of the callers' runtime per batch instead of
            // one per signature, which is what lets the pool keep pace with
            // raw C_Sign on a small machine.
            let mut batch = Vec::with_capacity(MAX_BATCH);
            batch.push(job);
            batch.extend(self.jobs.try_iter().take(MAX_BATCH - 1));
            metrics::gauge!("fiducia_hsm_queue_depth").set(self.jobs.len() as f64);
            let results: Vec<_> = batch
                .iter()
                .map(|job| {
                    if job.enqueued.elapsed() > self.job_deadline {
                        Err(SignError::Unavailable(
                            "the signing request waited too long".into(),
                        ))
                    } else {
                        self.sign_with_recovery(&mut state, job)
                    }
                })
                .collect();
            for (job, result) in batch.into_iter().zip(results) {
                // The caller may have given up; nothing to do then.
                let _ = job.reply.send(result);
            }
        }
        if state.take().is_some() {
            (self.events)(PoolEvent::SessionLost {
                worker: self.id,
                code: "shutdown".into(),
            });
        }
    }

    /// Sleeps `total`, in steps of at most [`IDLE_POLL`], ending early once
    /// the pool shuts down (its drop joins this thread).
    fn sleep_unless_shut_down(&self, total: Duration) {
        let until = Instant::now() + total;
        while !self.shutdown.load(Ordering::Acquire) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(IDLE_POLL));
        }
    }

    /// Drops the session if the token says it is gone.
    fn check_idle_session(&self, state: &mut Option<SessionState>) {
        let Some(current) = state else { return };
        if let Err(e) = current.session.get_session_info()
            && is_session_fault(&e)
        {
            let code = ckr_name(&e);
            tracing::warn!(worker = self.id, %code, "idle HSM session is gone; reopening");
            *state = None;
            (self.events)(PoolEvent::SessionLost {
                worker: self.id,
                code,
            });
        }
    }

    fn open(&self) -> Result<SessionState, HsmError> {
        let session = self.token.open_session(false)?;
        (self.events)(PoolEvent::SessionOpened { worker: self.id });
        Ok(SessionState {
            session,
            keys: HashMap::new(),
        })
    }

    /// Signs; on a session fault reopens the session and retries once.
    fn sign_with_recovery(
        &self,
        state: &mut Option<SessionState>,
        job: &SignJob,
    ) -> Result<Vec<u8>, SignError> {
        for attempt in 0..2 {
            let current = match state {
                Some(s) => s,
                // No session to be had (the token gone, a wrong PIN after a
                // token swap): the signer is unavailable, not the request wrong.
                None => match self.open() {
                    Ok(s) => state.insert(s),
                    Err(e) => return Err(SignError::Unavailable(e.to_string())),
                },
            };
            match sign_once(current, job) {
                Ok(signature) => return Ok(signature),
                Err(Fault::Session(code)) => {
                    metrics::counter!("fiducia_hsm_errors_total", "code" => code.clone()).increment(1);
                    tracing::warn!(worker = self.id, %code, attempt, "HSM session lost; reopening");
                    *state = None;
                    (self.events)(PoolEvent::SessionLost {
                        worker: self.id,
                        code,
                    });
                }
                Err(Fault::KeyMissing(kid)) => {
                    metrics::counter!("fiducia_hsm_errors_total", "code" => "key_missing").increment(1);
                    tracing::warn!(worker = self.id, %kid, "the HSM token holds no private key with this kid");
                    return Err(SignError::Unavailable(format!(
                        "the token holds no private key {kid}"
                    )));
                }
                Err(Fault::Other(e)) => {
                    if let HsmError::Pkcs11 { code, .. } = &e {
                        metrics::counter!("fiducia_hsm_errors_total", "code" => code.clone()).increment(1);
                    }
                    return Err(e.into());
                }
            }
        }
        Err(SignError::Unavailable("the HSM session failed twice".into()))
    }
}

enum Fault {
    /// The session, or the objects it named, are gone: reopen and retry.
    Session(String),
    /// The token has no private key with this kid.
    KeyMissing(String),
    Other(HsmError),
}

fn sign_once(state: &mut SessionState, job: &SignJob) -> Result<Vec<u8>, Fault> {
    let key = match state.keys.get(&job.kid) {
        Some(handle) => *handle,
        None => {
            let (private, _) = find_key_objects(&state.session, &job.kid).map_err(|e| {
                if e.is_session_fault() {
                    Fault::Session(e.to_string())
                } else {
                    Fault::Other(e)
                }
            })?;
            // The key manager signs only with keys it read from this token,
            // so a key it cannot find now is a token that lost its objects
            // (its storage gone): unavailable for now, not a wrong request.
            let handle = private.ok_or_else(|| Fault::KeyMissing(job.kid.to_string()))?;
            state.keys.insert(job.kid.clone(), handle);
            handle
        }
    };
    let started = Instant::now();
    let result = sign_blocking(&state.session, job.alg, key, &job.input);
    metrics::histogram!("fiducia_hsm_sign_duration_seconds", "alg" => job.alg.as_str())
        .record(started.elapsed().as_secs_f64());
    result.map_err(|e| {
        if is_session_fault(&e) || is_object_fault(&e) {
            Fault::Session(ckr_name(&e))
        } else {
            Fault::Other(HsmError::pkcs11("C_Sign", &e))
        }
    })
}
