//! The records the authorization code flow keeps in the store. Ids of
//! records holding a bearer secret (request_uri, interaction id, code,
//! access token, jti) are stored by SHA-256 only (store/keys.rs).

use super::Binding;
use super::authentication::{Authenticated, AuthenticationRequest, ConsentAnswer};
use crate::protocol::response_mode::ResponseMode;
use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// An authorization request pushed to the PAR endpoint (RFC 9126 §2),
/// validated; stored under its `request_uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedRequest {
    /// The authenticated client.
    pub client_id: String,
    /// A registered redirect URI (exact match).
    pub redirect_uri: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// OAuth `state`, returned unchanged.
    pub state: Option<String>,
    /// OIDC `nonce`, put in the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge (RFC 7636 §4.2).
    pub code_challenge: String,
    /// RFC 9449 §10: the DPoP key the code will be bound to.
    pub dpop_jkt: Option<String>,
    /// How the response goes back: query, or a signed JWT (JARM §2.3).
    /// Added in store schema 3.
    pub response_mode: ResponseMode,
    /// RFC 9396: the `authorization_details` asked and approved, as JSON
    /// text (bincode cannot hold a JSON value), echoed unchanged. Added in
    /// store schema 3.
    pub authorization_details: Option<String>,
    /// The UK OBIE consent this request asks the customer to authorise
    /// (`claims` `openbanking_intent_id`). Added in store schema 4.
    pub openbanking_intent_id: Option<String>,
    /// The OpenID Connect `claims` request (OIDC Core §5.5; OpenID Connect
    /// for Identity Assurance 1.0 `verified_claims`), validated, as JSON
    /// text. Added in store schema 8 (store/repo/migrate_v8.rs).
    pub claims: Option<String>,
    /// `max_age`, `acr_values`, `login_hint`, `prompt` (OIDC Core
    /// §3.1.2.1). Added in store schema 13.
    pub authentication: AuthenticationRequest,
}

#[cfg(test)]
impl PushedRequest {
    /// A pushed request of `client_id` for unit tests: `openid`, PKCE, query
    /// response mode, nothing optional.
    pub fn sample(client_id: &str) -> Self {
        PushedRequest {
            client_id: client_id.into(),
            redirect_uri: "https://c.example/cb".into(),
            scopes: vec!["openid".into()],
            state: None,
            nonce: None,
            code_challenge: "x".repeat(43),
            dpop_jkt: None,
            response_mode: ResponseMode::Query,
            authorization_details: None,
            openbanking_intent_id: None,
            claims: None,
            authentication: AuthenticationRequest::default(),
        }
    }
}

impl StoredRecord for PushedRequest {
    const KIND: Kind = Kind::PushedAuthorizationRequest;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            ..Links::default()
        }
    }
}

/// Where an authorization interaction stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Waiting for the customer to log in.
    Login,
    /// Logged in; waiting for the consent decision. Schema 12 added `acr`
    /// and `amr` to what the login reports.
    Consent(Authenticated),
    /// Finished (approved or denied); nothing more may happen.
    Done,
    /// The consent was answered; the browser has yet to come back to
    /// finish (the code or the error is issued then). Added in schema 13.
    Decided(Authenticated, ConsentAnswer),
    /// The password was right and the request demands strong customer
    /// authentication: waiting for the second factor (the password login
    /// it completes). Added in schema 14.
    SecondFactor(Authenticated),
    /// The interaction app gave up (issue 25, `POST
    /// /interaction-api/abandon`); the browser has yet to come back, and
    /// the client then hears the reason's error. Added in schema 16, after
    /// the others (bincode writes the variant's index).
    Abandoned(AbandonReason),
}

/// Why an interaction app gave up an interaction, and the error the client
/// hears at its redirect URI (OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AbandonReason {
    /// The request needs strong customer authentication and the customer
    /// has no second factor: `unmet_authentication_requirements` (OpenID
    /// Connect Core Unmet Authentication Requirements 1.0 §2).
    ScaUnavailable,
    /// The customer cancelled at the app: `access_denied` (RFC 6749
    /// §4.1.2.1).
    CustomerCancelled,
    /// The app cannot authenticate the customer without a user interface
    /// it cannot show (e.g. `prompt=none` with no session at the app):
    /// `login_required` (OIDC Core §3.1.2.6).
    LoginRequired,
}

impl AbandonReason {
    /// The reason as the interaction API names it.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "sca_unavailable" => Some(AbandonReason::ScaUnavailable),
            "customer_cancelled" => Some(AbandonReason::CustomerCancelled),
            "login_required" => Some(AbandonReason::LoginRequired),
            _ => None,
        }
    }

    /// The `error` and `error_description` the client hears.
    pub fn error(self) -> (&'static str, &'static str) {
        match self {
            AbandonReason::ScaUnavailable => (
                "unmet_authentication_requirements",
                "the customer cannot complete the strong customer authentication the request needs",
            ),
            AbandonReason::CustomerCancelled => ("access_denied", "the customer cancelled"),
            AbandonReason::LoginRequired => (
                "login_required",
                "the customer could not be authenticated without a user interface (OIDC Core §3.1.2.6)",
            ),
        }
    }
}

/// One authorization transaction between `/authorize` and the redirect back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// The pushed request it serves.
    pub request: PushedRequest,
    /// The client's display name (for the pages).
    pub client_name: String,
    /// CSRF token of the built-in pages' forms (RFC 6749 §10.12), also set
    /// as a cookie: only the browser that started the interaction can
    /// continue it. Empty when the bank's app runs the interaction.
    pub csrf: String,
    /// Where it stands.
    pub stage: Stage,
    /// The interaction app (a `[[resource_servers]]` id) that runs the
    /// login and consent; `None`: the built-in pages. Added in schema 13.
    pub app: Option<String>,
    /// Hex SHA-256 of the browser-binding cookie set when the browser was
    /// sent to the app (never the cookie itself). Added in schema 13.
    pub browser: Option<String>,
    /// When `/authorize` started it, Unix seconds (`prompt=login`).
    /// Added in schema 13.
    pub started: u64,
}

impl StoredRecord for Interaction {
    const KIND: Kind = Kind::Interaction;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.request.client_id.clone()),
            ..Links::default()
        }
    }
}

/// What a customer allowed a client; tokens hang off it (revoke-by-grant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The client.
    pub client_id: String,
    /// The customer.
    pub account_id: String,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When.
    pub created: u64,
    /// RFC 9396: the `authorization_details` asked and approved, as JSON
    /// text (bincode cannot hold a JSON value), echoed unchanged. Schema 3
    /// appended it (store/repo/migrate_v3.rs).
    pub authorization_details: Option<String>,
    /// The `claims` request the customer approved (OIDC Core §5.5, Identity
    /// Assurance `verified_claims`) as JSON text: what ID tokens and
    /// userinfo of this grant may release. Last field: schema 8 appended it
    /// (store/repo/migrate_v8.rs).
    pub claims: Option<String>,
}

impl StoredRecord for Grant {
    const KIND: Kind = Kind::Grant;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

/// An authorization code (RFC 6749 §4.1.2): single use, ≤ 60 s (FAPI 2.0 §5.3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the request (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// PKCE challenge.
    pub code_challenge: String,
    /// The customer.
    pub account_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// OIDC nonce.
    pub nonce: Option<String>,
    /// When the customer authenticated.
    pub auth_time: u64,
    /// RFC 9449 §10: DPoP key from PAR; the token request must use it.
    pub dpop_jkt: Option<String>,
    /// The grant.
    pub grant_id: String,
    /// RFC 9396: the `authorization_details` asked and approved, as JSON
    /// text (bincode cannot hold a JSON value), echoed unchanged. Schema 3
    /// appended it (store/repo/migrate_v3.rs).
    pub authorization_details: Option<String>,
    /// The `claims` request the customer approved (OIDC Core §5.5, Identity
    /// Assurance `verified_claims`) as JSON text: what ID tokens and
    /// userinfo of this grant may release. Schema 8 appended it
    /// (store/repo/migrate_v8.rs).
    pub claims: Option<String>,
    /// OIDC Core §2 `acr` the login reported. Schema 12 appended it.
    pub acr: Option<String>,
    /// OIDC Core §2 `amr` the login reported. Schema 12 appended it.
    pub amr: Vec<String>,
}

impl StoredRecord for AuthorizationCode {
    const KIND: Kind = Kind::AuthorizationCode;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            grant_id: Some(self.grant_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

/// An opaque access token, stored by its hash (FAPI 2.0 §5.3.2.1: sender-constrained).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The client.
    pub client_id: String,
    /// The customer; `None` for a client's own token (client_credentials,
    /// RFC 6749 §4.4: no resource owner).
    pub account_id: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// The grant: the customer's; for a client_credentials token the token
    /// itself ([`own_grant_id`]), so revoke-by-grant covers every token.
    /// (Client_credentials tokens stored before had a random grant id of
    /// their own, reached through a grant index entry.)
    pub grant_id: String,
    /// DPoP key or certificate.
    pub binding: Binding,
    /// Issue time.
    pub issued_at: u64,
    /// Expiry.
    pub expires_at: u64,
    /// RFC 9396: the `authorization_details` asked and approved, as JSON
    /// text (bincode cannot hold a JSON value), echoed unchanged. Schema 3
    /// appended it (store/repo/migrate_v3.rs).
    pub authorization_details: Option<String>,
    /// The `claims` request the customer approved (OIDC Core §5.5, Identity
    /// Assurance `verified_claims`) as JSON text: what ID tokens and
    /// userinfo of this grant may release. Last field: schema 8 appended it
    /// (store/repo/migrate_v8.rs).
    pub claims: Option<String>,
}

impl StoredRecord for AccessToken {
    const KIND: Kind = Kind::AccessToken;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            // A token that is its own grant is found by its own key, so it
            // takes no grant index entry (one key fewer per such token).
            grant_id: own_grant_key(&self.grant_id)
                .is_none()
                .then(|| self.grant_id.clone()),
            account_id: self.account_id.clone(),
            ..Links::default()
        }
    }
}

/// Start of the grant id of a token issued under no customer's grant
/// (client_credentials, RFC 6749 §4.4): `token:` and the base64url of the
/// token's store key (its SHA-256, store/keys.rs). Such a token is its own
/// grant: revoke-by-grant of that id deletes it (`Repo::revoke_by_grant_id`
/// finds it by key, not through an index entry). `:` is outside the
/// base64url alphabet of every other grant id, so the two cannot meet. The
/// hash of a 256-bit secret gives nothing of the secret away (the store
/// keeps only such hashes for the same reason), so a resource server may
/// see it in introspection's `grant_id`.
const OWN_GRANT_PREFIX: &str = "token:";

/// The grant id under which access token `token` is its own grant.
pub fn own_grant_id(token: &str) -> String {
    use base64::Engine;
    let id_key = Kind::AccessToken.id_key(token);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id_key);
    format!("{OWN_GRANT_PREFIX}{encoded}")
}

/// The store key of the access token that `grant_id` names, when it is a
/// token's own grant ([`own_grant_id`]); `None` for any other grant id.
pub fn own_grant_key(grant_id: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let encoded = grant_id.strip_prefix(OWN_GRANT_PREFIX)?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()
        .filter(|key| key.len() == 32)
}

/// A refresh token (RFC 6749 §1.5), stored by its hash, issued when the
/// grant includes `offline_access` (OIDC Core §11) and bound like the access
/// token (FAPI 2.0 §5.3.2.1). Rotation consumes it (RFC 9700 §4.14.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    /// The client.
    pub client_id: String,
    /// The customer.
    pub account_id: String,
    /// Scopes of the grant; a refresh may ask for fewer (RFC 6749 §6).
    pub scopes: Vec<String>,
    /// The grant.
    pub grant_id: String,
    /// DPoP key or certificate, the same as the access token's.
    pub binding: Binding,
    /// Issue time.
    pub issued_at: u64,
    /// Absolute expiry, the same for every rotation of the grant's token.
    pub expires_at: u64,
    /// RFC 9396: the `authorization_details` asked and approved, as JSON
    /// text (bincode cannot hold a JSON value), echoed unchanged. Schema 3
    /// appended it (store/repo/migrate_v3.rs).
    pub authorization_details: Option<String>,
    /// The `claims` request the customer approved (OIDC Core §5.5, Identity
    /// Assurance `verified_claims`) as JSON text: what ID tokens and
    /// userinfo of this grant may release. Schema 8 appended it
    /// (store/repo/migrate_v8.rs).
    pub claims: Option<String>,
    /// The authentication the grant's ID tokens report (OIDC Core §12.2:
    /// a refresh's ID token keeps the original `auth_time`, `acr`, `amr`);
    /// `None` for a grant without `openid`, or a token stored before
    /// schema 14 (its refreshes then carry no ID token, as before). Last
    /// field: schema 14 appended it.
    pub authentication: Option<RefreshAuthentication>,
}

/// The original authentication a refresh token's ID tokens report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshAuthentication {
    /// OIDC Core §2 `auth_time`: the original authentication's.
    pub auth_time: u64,
    /// OIDC Core §2 `acr` the login reached.
    pub acr: Option<String>,
    /// OIDC Core §2 `amr` (RFC 8176) the login used.
    pub amr: Vec<String>,
}

impl StoredRecord for RefreshToken {
    const KIND: Kind = Kind::RefreshToken;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            grant_id: Some(self.grant_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

/// A `jti` seen once (client assertions, DPoP proofs), kept until the
/// JWT it came from expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenJti {
    /// When it was first seen.
    pub seen_at: u64,
    /// Random marker of the transaction that recorded it.
    pub marker: u128,
}

impl StoredRecord for SeenJti {
    const KIND: Kind = Kind::ReplayDetection;
    fn links(&self) -> Links {
        Links::default()
    }
}
