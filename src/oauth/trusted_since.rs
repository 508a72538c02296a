//! Whether a token the OP finds in its store is still honoured for its
//! client, wherever a token is honoured: introspection (inactive otherwise,
//! RFC 7662 §2.2), the OP's protected resources (userinfo, the consent
//! API: 401 `invalid_token`, RFC 6750 §3.1), the gateway's payment
//! reservation and report (`payment_consumption.rs`), and refresh
//! (`grants/refresh_token.rs`, `invalid_grant`, reading the authenticated
//! client directly). JWT access tokens (RFC 9068) are stored like opaque
//! ones, so the same lookups cover them when the OP sees them.
//!
//! A token is honoured when its client is known (RFC 7592 §2.3: not
//! deleted; continuous trust: not suspended), the token was issued at or
//! after the client's `trusted_since`, and it is not bound to a transport
//! certificate the client's directory revoked (RFC 8705 §3: the binding is
//! to that certificate; `registration/trust.rs` keeps the list). The trust checks set that time
//! when they lift a suspension (`registration/trust.rs`): the tokens that
//! no grant links to (client_credentials), which revocation by client
//! cannot reach, were refused during the suspension (unknown client) and
//! stay refused after it; tokens issued after the reinstatement are
//! honoured. Times are whole seconds of each node's clock: a token issued
//! in the second of the reinstatement is honoured, and a node whose clock
//! is behind may refuse a fresh token (the client asks again) rather than
//! honour an old one.

use crate::model::records::AccessToken;
use crate::oauth::op::OpState;

/// Whether `token` is still honoured for its client (see the module
/// documentation).
pub async fn honours(op: &OpState, token: &AccessToken) -> bool {
    op.services
        .clients
        .get(&token.client_id)
        .await
        .is_some_and(|client| client.honours_token(token.issued_at, &token.binding))
}
