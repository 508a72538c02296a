//! `SessionActor`: one per authorization transaction (PAR -> authorize ->
//! login -> consent -> code). It is the interaction's state machine on this
//! node: it applies the steps one at a time (a double-submitted form waits
//! its turn instead of racing), writes each step to the store in one
//! serializable transaction (`oauth::interaction`) so any node can continue
//! the transaction, and stops when it is done or its time is up.

use super::interaction::{self, Decision, InteractionError, Runner};
use crate::consent::CashAccount;
use crate::model::authentication::{Authenticated, ConsentAnswer};
use crate::store::repo::Repo;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// The session actor (read-only definition).
pub struct SessionActor;

/// Messages: the steps of the transaction.
pub enum SessionActorMessage {
    /// The customer authenticated: `Login -> Consent`.
    LoggedIn {
        /// The customer's authentication.
        login: Authenticated,
        /// Unix seconds.
        now: u64,
        /// Outcome.
        reply: RpcReplyPort<Result<(), InteractionError>>,
    },
    /// The consent decision: `Consent -> Done`.
    Decide {
        /// The customer's answer.
        answer: ConsentAnswer,
        /// The debtor account the customer chose, if asked.
        debtor: Option<CashAccount>,
        /// Lifetimes of the code, grant and consent written.
        lifetimes: interaction::Lifetimes,
        /// Unix seconds.
        now: u64,
        /// Outcome.
        reply: RpcReplyPort<Result<Decision, InteractionError>>,
    },
    /// The transaction's lifetime is over.
    Expire,
}

/// Start-up arguments.
pub struct SessionActorArgs {
    /// The store.
    pub repo: Repo,
    /// The interaction id.
    pub id: String,
    /// How long the actor may live.
    pub ttl: Duration,
    /// The registry's map, which the actor leaves when it stops.
    pub registry: Arc<Mutex<SessionMap>>,
}

/// Running session actors by interaction id.
pub type SessionMap = HashMap<String, ActorRef<SessionActorMessage>>;

/// The actor's state.
pub struct SessionActorState {
    repo: Repo,
    id: String,
    /// The timer that sends [`SessionActorMessage::Expire`]. It holds the
    /// actor's cell (mailboxes included) until it fires, so it is aborted
    /// when the actor stops: otherwise every finished interaction kept
    /// ~10 KiB alive for the whole interaction TTL (docs/PERFORMANCE.md).
    expiry: JoinHandle<Result<(), ractor::MessagingErr<SessionActorMessage>>>,
    registry: Arc<Mutex<SessionMap>>,
}

impl Actor for SessionActor {
    type Msg = SessionActorMessage;
    type State = SessionActorState;
    type Arguments = SessionActorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: SessionActorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let expiry = myself.send_after(args.ttl, || SessionActorMessage::Expire);
        Ok(SessionActorState {
            repo: args.repo,
            id: args.id,
            expiry,
            registry: args.registry,
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        state.expiry.abort();
        // Leave the registry, unless another actor has taken the entry.
        let mut actors = lock(&state.registry);
        if actors
            .get(&state.id)
            .is_some_and(|a| a.get_id() == myself.get_id())
        {
            actors.remove(&state.id);
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SessionActorMessage::LoggedIn { login, now, reply } => {
                let outcome =
                    interaction::report_login(&state.repo, &state.id, Runner::BuiltIn, login, now).await;
                let _ = reply.send(outcome);
            }
            SessionActorMessage::Decide {
                answer,
                debtor,
                lifetimes,
                now,
                reply,
            } => {
                // The same two steps as the interaction API's consent
                // report and the browser's return.
                let (repo, id) = (&state.repo, state.id.as_str());
                let outcome = match interaction::report_consent(repo, id, Runner::BuiltIn, answer, now).await
                {
                    Ok(()) => interaction::finish(repo, id, Runner::BuiltIn, debtor, lifetimes, now).await,
                    Err(e) => Err(e),
                };
                let done = !matches!(outcome, Err(InteractionError::Store(_)));
                let _ = reply.send(outcome);
                if done {
                    myself.stop(Some("done".into()));
                }
            }
            SessionActorMessage::Expire => myself.stop(Some("expired".into())),
        }
        Ok(())
    }
}

/// Finds or starts the session actor of an interaction.
pub struct SessionRegistry {
    repo: Repo,
    ttl: Duration,
    actors: Arc<Mutex<SessionMap>>,
    supervisor: ractor::ActorCell,
}

impl SessionRegistry {
    /// A registry whose actors live at most `ttl` and run under `supervisor`.
    pub fn new(repo: Repo, ttl: Duration, supervisor: ractor::ActorCell) -> Arc<Self> {
        Arc::new(Self {
            repo,
            ttl,
            actors: Arc::new(Mutex::new(HashMap::new())),
            supervisor,
        })
    }

    /// The running actor for `id`, or a new one (on this node) if none runs.
    pub async fn session(&self, id: &str) -> Result<ActorRef<SessionActorMessage>, InteractionError> {
        // A stopped actor leaves the map itself (`post_stop`); one that is
        // stopping may still be in it.
        if let Some(actor) = self.lock().get(id)
            && actor.get_status() < ractor::ActorStatus::Stopping
        {
            return Ok(actor.clone());
        }
        let args = SessionActorArgs {
            repo: self.repo.clone(),
            id: id.to_string(),
            ttl: self.ttl,
            registry: self.actors.clone(),
        };
        let (actor, _) = Actor::spawn_linked(None, SessionActor, args, self.supervisor.clone())
            .await
            .map_err(|_| InteractionError::Gone)?;
        let mut actors = self.lock();
        match actors.get(id) {
            // Another request started one meanwhile: use it, drop ours.
            Some(existing) if existing.get_status() < ractor::ActorStatus::Stopping => {
                actor.stop(None);
                Ok(existing.clone())
            }
            _ => {
                actors.insert(id.to_string(), actor.clone());
                Ok(actor)
            }
        }
    }

    /// Runs the login step through the actor.
    pub async fn logged_in(&self, id: &str, login: Authenticated, now: u64) -> Result<(), InteractionError> {
        let actor = self.session(id).await?;
        ractor::call!(actor, |reply| SessionActorMessage::LoggedIn {
            login: login.clone(),
            now,
            reply
        })
        .map_err(|_| InteractionError::Gone)?
    }

    /// Runs the consent step through the actor: the customer's answer, and
    /// the debtor account chosen for a payment consent that left it open.
    pub async fn decide(
        &self,
        id: &str,
        answer: ConsentAnswer,
        debtor: Option<CashAccount>,
        lifetimes: interaction::Lifetimes,
        now: u64,
    ) -> Result<Decision, InteractionError> {
        let actor = self.session(id).await?;
        ractor::call!(actor, |reply| SessionActorMessage::Decide {
            answer: answer.clone(),
            debtor: debtor.clone(),
            lifetimes,
            now,
            reply
        })
        .map_err(|_| InteractionError::Gone)?
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionMap> {
        lock(&self.actors)
    }
}

fn lock(actors: &Mutex<SessionMap>) -> std::sync::MutexGuard<'_, SessionMap> {
    actors.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::records::{Interaction, PushedRequest, Stage};
    use crate::store::embedded::open_store;

    const LIFETIMES: interaction::Lifetimes = interaction::Lifetimes {
        code_secs: 60,
        access_secs: 300,
        refresh_secs: 3_600,
        consent: crate::consent::Lifetimes {
            awaiting_secs: 3_600,
            retention_secs: 86_400,
        },
    };

    async fn setup() -> (
        tempfile::TempDir,
        Repo,
        String,
        Arc<SessionRegistry>,
        ractor::ActorRef<crate::actors::root::RootSupervisorMessage>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_store(dir.path()).unwrap();
        let repo = Repo::open(store).await.unwrap();
        let request = PushedRequest {
            authorization_details: Some(r#"[{"type":"payment_initiation"}]"#.into()),
            ..PushedRequest::sample("c")
        };
        repo.upsert("pushed", &request, Some(60), 1_000).await.unwrap();
        let id = interaction::start(&repo, "pushed", ("c", "C"), (Runner::BuiltIn, 600), 1_000)
            .await
            .unwrap()
            .unwrap()
            .id;
        let (root, _) = Actor::spawn(None, crate::actors::root::RootSupervisor, ())
            .await
            .unwrap();
        let sessions = SessionRegistry::new(repo.clone(), Duration::from_secs(600), root.get_cell());
        (dir, repo, id, sessions, root)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_double_submitted_consent_issues_one_code() {
        let (_dir, repo, id, sessions, root) = setup().await;
        sessions
            .logged_in(&id, interaction::tests::login("acc-1", 1_001), 1_001)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            sessions.decide(
                &id,
                interaction::tests::approval(&["openid"]),
                None,
                LIFETIMES,
                1_002
            ),
            sessions.decide(
                &id,
                interaction::tests::approval(&["openid"]),
                None,
                LIFETIMES,
                1_002
            )
        );
        let approved = [&a, &b]
            .iter()
            .filter(|r| matches!(r, Ok(Decision::Approved { .. })))
            .count();
        assert_eq!(approved, 1, "{a:?} {b:?}");
        // RFC 9396 §7: the code (and its grant) carry the approved details.
        let Some(Ok(Decision::Approved { code, .. })) = [a, b].into_iter().find(|r| r.is_ok()) else {
            panic!("no approval");
        };
        let code = repo
            .find::<crate::model::records::AuthorizationCode>(&code, 1_003)
            .await
            .unwrap()
            .unwrap()
            .payload;
        assert_eq!(
            code.authorization_details.as_deref(),
            Some(r#"[{"type":"payment_initiation"}]"#)
        );
        let grant = repo
            .find::<crate::model::records::Grant>(&code.grant_id, 1_003)
            .await
            .unwrap()
            .unwrap()
            .payload;
        assert_eq!(grant.authorization_details, code.authorization_details);
        let found = repo.find::<Interaction>(&id, 1_003).await.unwrap().unwrap();
        assert_eq!(found.payload.stage, Stage::Done);
        root.stop(None);
    }

    /// A finished interaction leaves nothing running: its actor's expiry
    /// timer (which holds the actor's cell for the interaction TTL, 600 s
    /// here) is aborted when the actor stops.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_decided_interaction_leaves_no_timer_behind() {
        let (_dir, _repo, id, sessions, root) = setup().await;
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        sessions
            .logged_in(&id, interaction::tests::login("acc-1", 1_001), 1_001)
            .await
            .unwrap();
        assert!(metrics.num_alive_tasks() > before, "the actor and its timer run");
        sessions
            .decide(
                &id,
                interaction::tests::approval(&["openid"]),
                None,
                LIFETIMES,
                1_002,
            )
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while metrics.num_alive_tasks() > before && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            metrics.num_alive_tasks(),
            before,
            "a task outlived the interaction"
        );
        // The stopped actor left the registry itself: no scan needed.
        assert!(sessions.lock().is_empty(), "the registry still holds it");
        root.stop(None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn consent_before_login_is_refused() {
        let (_dir, _repo, id, sessions, root) = setup().await;
        let outcome = sessions
            .decide(
                &id,
                interaction::tests::approval(&["openid"]),
                None,
                LIFETIMES,
                1_001,
            )
            .await;
        assert!(
            matches!(outcome, Err(InteractionError::WrongStage)),
            "{outcome:?}"
        );
        root.stop(None);
    }
}
