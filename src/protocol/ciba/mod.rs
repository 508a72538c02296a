//! Client-Initiated Backchannel Authentication, sans-IO: OpenID Connect
//! CIBA Core 1.0 and the FAPI CIBA profile. A client (a till, a call
//! centre) asks the OP to authenticate a customer on the customer's own
//! device; the OP answers with an `auth_req_id`, the device's decision
//! comes back later, and the client gets its tokens by polling (poll), after
//! a call to its endpoint (ping), or at its endpoint (push).
//!
//! One concern per file; `now` is always a parameter:
//!
//! | file | what | spec |
//! |---|---|---|
//! | [`request`] | the request's parameters into a typed request | CIBA Core §7.1, §13; FAPI CIBA §5.2.2 |
//! | [`signed_request`] | the `request` JWT and what may travel beside it | CIBA Core §7.1.1; FAPI CIBA §5.2.2 |
//! | [`hint`] | exactly one of the three hints | CIBA Core §7.1 |
//! | [`binding_message`] | what both devices show | CIBA Core §7.1, §13 |
//! | [`notification_token`] | the client's bearer for its endpoint | CIBA Core §7.1 |
//! | [`requested_expiry`] | the lifetime asked and granted | CIBA Core §7.1, §7.3 |
//! | [`response`] | `auth_req_id`, `expires_in`, `interval` | CIBA Core §7.3 |
//! | [`auth_req_id`] | its entropy and format | CIBA Core §7.3 |
//! | [`status`] | pending, approved (acr, amr, auth_time), denied, redeemed; the device's decision | CIBA Core §11 |
//! | [`poll`] | a token request on a request: pending, `slow_down`, expired, denied, tokens once | CIBA Core §10.1, §11 |
//! | [`notification`] | what ping and push clients are sent, and when | CIBA Core §10.2, §10.3, §12 |
//! | [`delivery_mode`] | poll, ping, push | CIBA Core §4, §5 |
//! | [`device_batch`] | several requests to the device channel in one signed JWS, and its per-request answer | CIBA Core §7.1; RFC 8725 §3.11 |
//! | [`client_metadata`] | a client's CIBA registration | CIBA Core §4 |
//! | [`notification_endpoint`] | https, no private or loopback host | CIBA Core §4 |
//! | [`fapi_policy`] | no push for FAPI clients, push only where enabled, who must sign | FAPI CIBA §5.2.2, CIBA Core §10.3 |
//!
//! Not here (they need the store, the accounts, the OP's keys or the
//! network): resolving the hint to a customer (`unknown_user_id`,
//! `expired_login_hint_token`, an `id_token_hint` the OP issued), checking
//! a `user_code` (`invalid_user_code`), the `jti` replay window of signed
//! requests, the intent's consent state, generating the `auth_req_id`
//! (256 random bits, like the OP's other secrets), and sending the
//! notifications. The grant type is `token_request::CIBA_GRANT_TYPE`; the
//! stored request is `model::ciba::BackchannelRequest`.

pub mod auth_req_id;
pub mod binding_message;
pub mod client_metadata;
pub mod delivery_mode;
pub mod device_batch;
pub mod fapi_policy;
pub mod hint;
pub mod notification;
pub mod notification_endpoint;
pub mod notification_token;
pub mod poll;
pub mod request;
pub mod requested_expiry;
pub mod response;
pub mod signed_request;
pub mod status;

pub use auth_req_id::AuthReqId;
pub use binding_message::BindingMessage;
pub use client_metadata::CibaClientMetadata;
pub use delivery_mode::DeliveryMode;
pub use hint::Hint;
pub use notification_token::ClientNotificationToken;
pub use poll::{PollRefusal, PollState, PollVerdict, poll};
pub use request::{BackchannelAuthenticationRequest, ClientCibaPolicy, parse_backchannel_request};
pub use requested_expiry::{ExpiryBounds, RequestedExpiry};
pub use response::BackchannelAuthenticationResponse;
pub use signed_request::{
    RequestSource, SignedRequestReason, VerifiedSignedRequest, check_signed_request, request_source,
};
pub use status::{CibaStatus, Decision, DecisionRefusal, DeviceAuthentication, decide};
