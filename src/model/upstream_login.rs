//! A customer's login pending at the bank's upstream OpenID Provider
//! (`oauth/upstream/`): stored under the `session` kind (a login session,
//! reserved in the store's layout from the start, `store/keys.rs`), keyed
//! by the `state` sent upstream, of which the store keeps only the SHA-256
//! (`Kind::id_key`). Single use: the callback consumes it
//! (`ops::consume`); it expires with `[login.upstream] ttl_secs`.

use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// What the callback needs to finish an upstream login.
///
/// Stored with bincode: add fields only with a schema migration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamLogin {
    /// The interaction the login is for (the built-in consent follows it).
    pub interaction_id: String,
    /// SHA-256 (base64url) of the `__Host-` browser-binding cookie set
    /// when the browser was sent upstream (never the cookie itself).
    pub browser: String,
    /// SHA-256 (base64url) of the `nonce` sent (OIDC Core §3.1.2.1).
    pub nonce: String,
    /// The PKCE `code_verifier` (RFC 7636 §4.1): redeeming the code needs it.
    pub code_verifier: String,
    /// Whether `max_age` was sent (the ID token must then carry
    /// `auth_time`, OIDC Core §3.1.3.7 step 13).
    pub max_age_sent: bool,
    /// When the browser was sent upstream, Unix seconds.
    pub started: u64,
}

impl std::fmt::Debug for UpstreamLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The verifier redeems a code: never in logs.
        f.debug_struct("UpstreamLogin")
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl StoredRecord for UpstreamLogin {
    const KIND: Kind = Kind::Session;
    fn links(&self) -> Links {
        Links::default()
    }
}
