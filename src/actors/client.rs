//! `ClientActor`: one per active client. It owns the client's metadata and
//! keys and hands request tasks an `Arc<Client>` snapshot, so signature
//! checks run in the request tasks, in parallel (runtime rule 4). Idle
//! actors stop; the `ClientRegistry` respawns them on demand.
//!
//! It also holds the client's request budget: a token bucket of
//! `burst` requests refilled at `requests_per_second`; a request beyond it
//! is refused with 429 and `Retry-After` (RFC 6585 §4).
//!
//! A client registered with a `jwks_uri` has its keys fetched at start,
//! every [`JWKS_REFRESH`], and once more when an assertion names a `kid` the
//! cached set lacks (at most every [`MIN_REFETCH`]).
//!
//! Replay windows live in the store (`oauth::replay`) so that they hold
//! across nodes; registered clients (DCR) are loaded from the store by the
//! `ClientRegistry` (`client_registry.rs`).

use super::token_bucket::{RateLimited, TokenBucket};
use crate::jwks_fetch::JwksFetcher;
use crate::model::Client;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a client actor lives without requests.
pub const IDLE_AFTER: Duration = Duration::from_secs(300);
/// How often a `jwks_uri` is fetched again.
pub const JWKS_REFRESH: Duration = Duration::from_secs(300);
/// The least time between two fetches on an unknown `kid`.
pub const MIN_REFETCH: Duration = Duration::from_secs(1);

/// The client actor (read-only definition).
pub struct ClientActor;

/// Messages.
pub enum ClientActorMessage {
    /// The current snapshot, charging one request to the budget.
    Snapshot(RpcReplyPort<Result<Arc<Client>, RateLimited>>),
    /// Stop if idle.
    IdleCheck,
    /// Fetch the `jwks_uri` again (unless fetched within [`MIN_REFETCH`]) and
    /// answer with the new snapshot.
    RefetchJwks(RpcReplyPort<Arc<Client>>),
    /// The periodic refresh.
    RefreshJwks,
}

/// Its state.
pub struct ClientActorState {
    client: Arc<Client>,
    last_used: Instant,
    bucket: TokenBucket,
    fetcher: Option<JwksFetcher>,
    fetched: Option<Instant>,
}

impl ClientActorState {
    /// Fetches the `jwks_uri`, keeping the old keys if the fetch fails.
    async fn fetch_jwks(&mut self) {
        let (Some(uri), Some(fetcher)) = (self.client.jwks_uri.clone(), self.fetcher.as_ref()) else {
            return;
        };
        self.fetched = Some(Instant::now());
        match fetcher.fetch(&uri).await {
            Ok(jwks) => {
                let mut client = (*self.client).clone();
                client.jwks = jwks;
                self.client = Arc::new(client);
            }
            Err(error) => {
                tracing::warn!(client_id = %self.client.client_id, %error, "client JWKS could not be fetched");
            }
        }
    }
}

impl Actor for ClientActor {
    type Msg = ClientActorMessage;
    type State = ClientActorState;
    type Arguments = (Arc<Client>, Option<JwksFetcher>);

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        (client, fetcher): (Arc<Client>, Option<JwksFetcher>),
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.send_interval(IDLE_AFTER / 5, || ClientActorMessage::IdleCheck);
        let now = Instant::now();
        let mut state = ClientActorState {
            bucket: TokenBucket::new(client.requests_per_second, client.burst, now),
            client,
            last_used: now,
            fetcher,
            fetched: None,
        };
        if state.client.jwks_uri.is_some() {
            state.fetch_jwks().await;
            myself.send_interval(JWKS_REFRESH, || ClientActorMessage::RefreshJwks);
        }
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            ClientActorMessage::Snapshot(reply) => {
                let now = Instant::now();
                state.last_used = now;
                let _ = reply.send(state.bucket.take(now).map(|()| state.client.clone()));
            }
            ClientActorMessage::RefetchJwks(reply) => {
                if state.fetched.is_none_or(|at| at.elapsed() >= MIN_REFETCH) {
                    state.fetch_jwks().await;
                }
                let _ = reply.send(state.client.clone());
            }
            ClientActorMessage::RefreshJwks => state.fetch_jwks().await,
            ClientActorMessage::IdleCheck => {
                if state.last_used.elapsed() >= IDLE_AFTER {
                    myself.stop(Some("idle".into()));
                }
            }
        }
        Ok(())
    }
}
