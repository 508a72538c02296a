//! `private_key_jwt` for interaction apps (issue 25: the app authenticates
//! "like a resource server (mTLS credential or private_key_jwt)"). An app
//! with keys (`jwks_file` / `jwks_uri` on its `[[resource_servers]]`
//! entry) may send, instead of presenting its certificate, a client
//! assertion in each call's JSON body: `client_assertion_type`
//! (`urn:ietf:params:oauth:client-assertion-type:jwt-bearer`) and
//! `client_assertion`, the parameter names of RFC 7521 §4.2 carried as
//! JSON members (the interaction API has no form body; no `Authorization`
//! header is involved). The assertion is checked by the verifier clients'
//! assertions go through (`protocol::client_auth::check_client_assertion`):
//! signed by one of the app's keys, `iss` = `sub` = the app's id (RFC 7523
//! §3 items 1, 2.B; OIDC Core §9), `aud` the OP's issuer or the URL of the
//! endpoint called (RFC 7523 §3 item 3), `exp` not passed and at most
//! [`MAX_ASSERTION_LIFETIME_SECS`] after `iat`, a `jti` (OIDC Core §9)
//! used once: recorded in the store's replay set (`oauth::replay`, every
//! node sees it) under the app's namespace (RFC 7523 §3 item 7).

use crate::config::ResourceServerConfig;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::protocol::client_auth::{
    AudiencePolicy, ClientAssertion, ClientAuthReason, check_client_assertion, claimed_client_id,
};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::jose::JoseError;

/// Longest accepted assertion lifetime (`exp - iat`), seconds: a call's
/// assertion is made for that call.
pub const MAX_ASSERTION_LIFETIME_SECS: u64 = 60;

/// Why an assertion is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssertionRefusal {
    /// Malformed, names no app with keys, wrong signature or claims.
    Invalid(String),
    /// Its `jti` was used before.
    Replayed,
    /// The keys or the store could not be reached; try again.
    Unavailable,
}

/// The app that signed `assertion` (type `assertion_type`), sent to the
/// endpoint at `path`, checked at `now`; its `jti` recorded.
pub async fn authenticate<'a>(
    op: &OpState,
    servers: &'a [ResourceServerConfig],
    (assertion_type, assertion): (&str, &str),
    path: &str,
    now: u64,
) -> Result<&'a ResourceServerConfig, AssertionRefusal> {
    let invalid = |reason: ClientAuthReason| AssertionRefusal::Invalid(reason.to_string());
    let parsed = ClientAssertion::parse(assertion_type, assertion).map_err(invalid)?;
    // RFC 7523 §3: the assertion names the app (its `sub`); nothing read
    // here is trusted before the signature is checked with that app's keys.
    let id = claimed_client_id(None, Some(assertion)).map_err(invalid)?;
    let app = servers
        .iter()
        .find(|rs| rs.id == id && rs.interaction_login_url.is_some() && rs.has_keys())
        .ok_or_else(|| AssertionRefusal::Invalid("no interaction app with keys has this id".into()))?;
    let issuer = op.config.issuer();
    let endpoint = op.config.endpoint_url(path);
    let mtls_endpoint = op
        .config
        .mtls_endpoint_url(path)
        .unwrap_or_else(|| endpoint.clone());
    let audiences = [issuer, endpoint.as_str(), mtls_endpoint.as_str()];
    let check = |keys: &[crate::protocol::jose::ClientJwk]| {
        check_client_assertion(
            parsed,
            &app.id,
            keys,
            AudiencePolicy::AnyOf(&audiences),
            now,
            MAX_ASSERTION_LIFETIME_SECS,
        )
    };
    let keys_of = |refresh| {
        op.services
            .interaction_app_keys
            .keys(app, refresh, std::time::Instant::now())
    };
    let keys = keys_of(false).await.map_err(|e| {
        tracing::warn!(app = %app.id, error = %e, "interaction app keys unavailable");
        AssertionRefusal::Unavailable
    })?;
    let claims = match check(&keys.keys) {
        // The app may have rotated its keys: its jwks_uri once more.
        Err(ClientAuthReason::Jws(JoseError::UnknownKid | JoseError::NoKeyForAlg))
            if app.jwks_uri.is_some() =>
        {
            let keys = keys_of(true).await.map_err(|_| AssertionRefusal::Unavailable)?;
            check(&keys.keys).map_err(invalid)?
        }
        other => other.map_err(invalid)?,
    };
    let mut uses = OneTimeUses::default();
    uses.defer(
        &format!("interaction_app_assertion:{}", app.id),
        &claims.jti,
        claims.exp,
        OAuthError::new(ErrorCode::InvalidClient, "replayed"),
    );
    match uses.record(&op.services.repo, now).await {
        Ok(()) => Ok(app),
        Err(e) if e.code == ErrorCode::InvalidClient => Err(AssertionRefusal::Replayed),
        Err(_) => Err(AssertionRefusal::Unavailable),
    }
}
