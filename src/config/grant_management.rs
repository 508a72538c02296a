//! `[grant_management]`: Grant Management for OAuth 2.0 (FAPI WG,
//! oauth-v2-grant-management-03). The OP always supports the actions
//! `create`, `merge` and `replace` and the grant management endpoint
//! (`oauth::grant_management`); this section only says whether clients
//! must name an action.

use serde::{Deserialize, Serialize};

/// `[grant_management]`: the OP's grant management policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrantManagementConfig {
    /// Every authorization request (PAR, a request object) must carry
    /// `grant_management_action`; one without is `invalid_request`
    /// (Grant Management §5.4). Published as
    /// `grant_management_action_required` (§7.1). Default `false`.
    /// Env `FIDUCIA_GRANT_MANAGEMENT__ACTION_REQUIRED`.
    pub action_required: bool,
}
