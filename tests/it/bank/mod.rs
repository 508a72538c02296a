//! The sample bank API (`fiducia::sandbox::bank`) through the real API
//! gateway, over real mTLS on 127.0.0.1: a real OP issues the tokens, the
//! gateway checks them, the bank API books payments in its ledger.

pub mod access;
pub mod consented;
pub mod expiry;
pub mod intent;
pub mod jwt_consent;
pub mod pay_once;
pub mod payments;
pub mod rig;
