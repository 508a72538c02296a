//! Grant Management for OAuth 2.0 (FAPI WG, oauth-v2-grant-management-03):
//! clients name, extend, replace, read and revoke the grants their
//! customers gave them.
//!
//! - [`request`]: `grant_management_action` / `grant_id` at PAR and in
//!   request objects (§5.2, §5.4): the named grant must be the client's
//!   and live, else `invalid_grant_id`.
//! - [`carry`]: the pending `merge` / `replace` travels from the pushed
//!   request to the interaction's end in a companion record.
//! - [`apply`]: at the customer's approval (`oauth::interaction::finish`),
//!   the grant is merged or replaced under its own id, only if the
//!   customer who logged in is the grant's (else `invalid_grant_id` to the
//!   client), and its refresh tokens are invalidated (§5.2).
//! - [`resource`]: the grant management endpoint's view of a grant
//!   (§6.4); the endpoint itself is `http::endpoints::grants`.
//!
//! The pure rules: `protocol::grant_management` (parameters) and
//! `model::grant_merge` (what a merge or a replace leaves).

pub mod apply;
pub mod carry;
pub mod request;
pub mod resource;
