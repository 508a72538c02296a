//! Client-initiated backchannel authentication (OpenID Connect CIBA Core
//! 1.0, FAPI CIBA), the application layer around `protocol::ciba`:
//!
//! - [`backchannel`]: `POST /bc-authorize` (§7) after client
//!   authentication: the request checked, the customer found
//!   ([`hint`]), stored under a fresh `auth_req_id` and sent to the
//!   customer's device ([`device_channel`], batched per node by
//!   [`device_batch`]) before it is answered;
//! - [`decision`]: `POST /ciba/decision`, the device channel's answer
//!   (the customer approved or denied; several at once through
//!   [`decision_batch`]), recorded once; an approval makes
//!   the grant (and authorises the UK OBIE consent) in the same
//!   transaction; then ping and push clients are told ([`notify`]);
//! - the token endpoint's grant is `oauth::grants::ciba` (poll, ping, and
//!   the issuance push shares);
//! - [`app_api`]: the requests of a client whose interactions the bank's
//!   interaction app runs (issue 25) are handed to that app instead of
//!   the device: it lists, reads and decides them over the interaction
//!   API, the decision recorded as the device's is;
//! - [`pending`]: the node's bound on pending requests, an actor.
//!
//! The requests themselves live in the store (`model::ciba`), so a
//! restart between a request and its approval loses nothing.

pub mod app_api;
pub mod backchannel;
pub mod decision;
pub mod decision_batch;
pub mod device_batch;
pub mod device_channel;
pub mod device_queue;
#[cfg(test)]
mod footprint_tests;
pub mod hint;
pub mod notify;
pub mod pending;
pub mod poll_times;
pub mod service;

pub use service::{Ciba, Job};
