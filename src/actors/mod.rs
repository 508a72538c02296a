//! The actor runtime (ractor on the ambient tokio runtime).
//!
//! # Runtime rules
//!
//! These hold for every actor in Fiducia; later actors (client, session,
//! signer pool, key manager, store writer) are spawned linked under
//! [`root::RootSupervisor`]. The session actor lives with the flow it
//! serialises (`oauth::session`), above this module.
//!
//! 1. **Naming by layer** (STYLE.md §7): `FooActor` is the read-only actor
//!    definition, `FooActorState` is built in `pre_start`, `FooActorMessage`
//!    enumerates what it handles; requests that want an answer carry an
//!    `RpcReplyPort`.
//! 2. **Protocol errors travel in replies; `Err` is for faults.** Returning
//!    `Err` from `handle` stops the actor and notifies its supervisor. A bad
//!    client request is an `Ok(())` whose reply carries an `OAuthError`.
//! 3. **Never block a tokio worker.** An actor's `handle` runs on a tokio
//!    worker thread: blocking work (PKCS#11 `C_Sign`, fsync) runs on threads
//!    the actor owns, or through `spawn_blocking`, never inline.
//! 4. **Expensive work does not serialise on an actor.** Actors hand request
//!    tasks an `Arc` snapshot (client keys, JWKS) and the task does the
//!    signature check itself; the actor owns the mutable state only.
//! 5. **Messages are processed one at a time, in arrival order per sender.**
//!    An actor's state needs no lock. Supervision events arrive before
//!    ordinary messages.
//! 6. **The store is the source of truth.** Actors cache and serialise work
//!    within one node; across nodes correctness comes from store transactions,
//!    so an actor may be stopped (idle, node drain) and respawned at any time
//!    without losing anything acknowledged to a client.
//! 7. **Unnamed by default.** ractor's name registry is process-global, so
//!    only singletons of a deployment are named, and tests run several servers
//!    in one process: names carry the server instance.
//! 8. **Shutdown is top-down.** `serve` stops the listeners, drains requests,
//!    then stops the root supervisor, which stops its children.

pub mod client;
pub mod client_registry;
pub mod key_manager;
pub mod managed_snapshot;
pub mod root;
pub mod token_bucket;
