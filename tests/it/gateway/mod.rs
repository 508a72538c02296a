//! The API gateway (`fiducia gateway`) end to end over real mTLS: a real
//! OP issues the tokens, the gateway checks them, a recording bank API
//! shows what passed.

pub mod bank_api;
pub mod certificate_bound;
pub mod dpop_flood;
pub mod dpop_payments;
pub mod fapi_headers;
pub mod forwarded_headers;
pub mod limits;
pub mod outgoing;
pub mod process;
pub mod relay;
pub mod revocation_push;
pub mod rig;
