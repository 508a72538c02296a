//! What the app's routes share.

use super::customers::Customers;
use super::op_api::OpApi;
use super::sessions::Sessions;
use super::settings::LoginAppConfig;
use crate::clock::Clock;
use std::sync::Arc;

/// The app.
pub struct AppState {
    /// Its settings.
    pub config: LoginAppConfig,
    /// Who may sign in.
    pub customers: Customers,
    /// Sign-ins in progress.
    pub sessions: Sessions,
    /// The OP's interaction API.
    pub op: OpApi,
    /// Time.
    pub clock: Arc<dyn Clock>,
}
