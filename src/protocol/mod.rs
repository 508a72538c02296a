//! Sans-IO protocol logic: no tokio, no store, no sockets; `now` is a
//! parameter. The HTTP layer calls into it and turns its errors into
//! responses through [`error::ErrorCode`].

pub mod acr;
pub mod authorization_params;
pub mod ciba;
pub mod client_auth;
pub mod client_cert;
pub mod credentials;
pub mod dpop;
pub mod ekyc;
pub mod entity_tag;
pub mod error;
pub mod fapi_headers;
pub mod form;
pub mod grant_management;
pub mod id_token_hash;
pub mod intent_claim;
pub mod jose;
pub mod paths;
pub mod payment_link;
pub mod pkce;
pub mod public_address;
pub mod rar;
pub mod registration;
pub mod request_object;
pub mod response_mode;
pub mod response_type;
pub mod revocation_notice;
pub mod scope;
pub mod token_request;
pub mod totp;
pub mod upstream_id_token;
