//! PKCS#11 signing (cryptoki): the module context, the signer pool, key
//! generation and the key lifecycle.

pub mod admin;
mod context;
mod error;
pub mod keygen;
pub mod lifecycle;
pub mod mechanism;
mod pin;
mod pool;
mod session;
pub mod softhsm;
mod worker;

pub use context::{find_token, module};
pub use error::{HsmError, ckr_name, is_session_fault};
pub use pin::Pin;
pub use pool::{Pkcs11Signer, PoolActor, PoolActorMessage, PoolConfig, PoolStatus, SignerPool};
pub use session::{CountedSession, TokenConfig};
pub use worker::PoolEvent;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
