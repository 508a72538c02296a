//! The OAuth application layer between the HTTP endpoints and the sans-IO
//! checks in `protocol`: it looks things up (clients, records), calls the
//! checks with `now`, and writes what they decide to the store.

pub mod acr_requirement;
pub mod authentication_request;
pub mod authorization_request;
pub mod authorization_response;
pub mod caller;
pub mod ciba;
pub mod claims_request;
pub mod client_auth;
pub mod discovery;
pub mod discovery_document;
pub mod dpop_nonce;
pub mod fapi_profile;
pub mod grant_management;
pub mod grants;
pub mod id_token;
pub mod interaction;
pub mod interaction_api;
pub mod interaction_app;
pub mod interaction_app_assertion;
pub mod interaction_app_keys;
pub mod interaction_debtor;
pub mod introspection;
pub mod jwt_access_token;
pub mod live_sections;
pub mod managed_clients;
pub mod op;
pub mod payment_consumption;
pub mod policies;
pub mod profile_metadata;
pub mod protected_resource;
pub mod registration;
pub mod released_claims;
pub mod replay;
pub mod request_object;
pub mod resource_server;
pub mod sca;
pub mod scopes_supported;
pub mod secrets;
pub mod sender;
pub mod session;
pub mod token_lookup;
pub mod tokens;
pub mod trusted_since;
pub mod upstream;
