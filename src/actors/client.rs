//! `ClientActor`: one per active client. It owns the client's metadata and
//! keys and hands request tasks an `Arc<Client>` snapshot, so signature
//! checks run in the request tasks, in parallel (runtime rule 4). Idle
//! actors stop; the [`ClientRegistry`] respawns them on demand.
//!
//! Replay windows live in the store (`oauth::replay`) so that they hold
//! across nodes; registered clients (DCR) will be loaded from the store here.

use crate::model::Client;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a client actor lives without requests.
pub const IDLE_AFTER: Duration = Duration::from_secs(300);

/// The client actor (read-only definition).
pub struct ClientActor;

/// Messages.
pub enum ClientActorMessage {
    /// The current snapshot.
    Snapshot(RpcReplyPort<Arc<Client>>),
    /// Stop if idle.
    IdleCheck,
}

/// Its state.
pub struct ClientActorState {
    client: Arc<Client>,
    last_used: Instant,
}

impl Actor for ClientActor {
    type Msg = ClientActorMessage;
    type State = ClientActorState;
    type Arguments = Arc<Client>;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        client: Arc<Client>,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.send_interval(IDLE_AFTER / 5, || ClientActorMessage::IdleCheck);
        Ok(ClientActorState {
            client,
            last_used: Instant::now(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            ClientActorMessage::Snapshot(reply) => {
                state.last_used = Instant::now();
                let _ = reply.send(state.client.clone());
            }
            ClientActorMessage::IdleCheck => {
                if state.last_used.elapsed() >= IDLE_AFTER {
                    myself.stop(Some("idle".into()));
                }
            }
        }
        Ok(())
    }
}

/// Finds clients: static ones from config (registered ones from the store
/// later) behind one lookup, each served by its actor.
pub struct ClientRegistry {
    statics: HashMap<String, Arc<Client>>,
    actors: Mutex<HashMap<String, ActorRef<ClientActorMessage>>>,
    supervisor: ractor::ActorCell,
}

impl ClientRegistry {
    /// A registry over the configured clients; actors are spawned under `supervisor`.
    pub fn new(statics: Vec<Client>, supervisor: ractor::ActorCell) -> Self {
        Self {
            statics: statics
                .into_iter()
                .map(|c| (c.client_id.clone(), Arc::new(c)))
                .collect(),
            actors: Mutex::new(HashMap::new()),
            supervisor,
        }
    }

    /// The client's current snapshot, or `None` when no such client exists.
    pub async fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        let existing = self.lock().get(client_id).cloned();
        if let Some(actor) = existing
            && let Ok(client) = ractor::call!(actor, ClientActorMessage::Snapshot)
        {
            return Some(client);
        }
        let client = self.statics.get(client_id)?.clone();
        match Actor::spawn_linked(None, ClientActor, client.clone(), self.supervisor.clone()).await {
            Ok((actor, _)) => {
                self.lock().insert(client_id.to_string(), actor);
            }
            Err(e) => {
                tracing::warn!(client_id, error = %e, "client actor did not start; serving from config")
            }
        }
        Some(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ActorRef<ClientActorMessage>>> {
        self.actors.lock().unwrap_or_else(|p| p.into_inner())
    }
}
