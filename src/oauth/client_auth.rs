//! Client authentication at PAR and token (and later introspection,
//! revocation, CIBA): one method per client, the one it registered
//! (RFC 6749 §2.3: never more than one in a request), FAPI 2.0 §5.3.2.1's
//! three: `private_key_jwt`, `tls_client_auth`, `self_signed_tls_client_auth`.
//! The client is named by `client_id`, or by the `client_assertion` (its
//! `sub`; RFC 7521 §4.2: `client_id` is optional beside an assertion and
//! must then name the same client).

use super::replay::OneTimeUses;
use crate::config::{FapiProfile, TokenEndpointAuthMethod};
use crate::model::Client;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::protocol::client_auth::{
    AudiencePolicy, ClientAssertion, ClientAuthReason, check_client_assertion,
    check_self_signed_tls_client_auth, check_tls_client_auth, claimed_client_id,
};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use crate::protocol::jose::JoseError;
use std::sync::Arc;

/// Longest accepted client assertion lifetime (`exp - iat`), seconds.
const MAX_ASSERTION_LIFETIME_SECS: u64 = 300;

/// Authenticates the client of a form-encoded request; `invalid_client`
/// (401) on any failure, with the reason in the description and the log.
/// An assertion's `jti` is recorded before this returns.
pub async fn authenticate(op: &OpState, form: &Form, caller: &Caller) -> Result<Arc<Client>, OAuthError> {
    let mut uses = OneTimeUses::default();
    let client = authenticate_deferred(op, form, caller, &mut uses).await?;
    uses.record(&op.services.repo, op.now())
        .await
        .inspect_err(|e| log_failure(form, e))?;
    Ok(client)
}

/// [`authenticate`], leaving an assertion's `jti` in `uses` for the caller
/// to record with what the request issues (`OneTimeUses::commit_with`) or,
/// failing that, on its own (`OneTimeUses::record`).
pub async fn authenticate_deferred(
    op: &OpState,
    form: &Form,
    caller: &Caller,
    uses: &mut OneTimeUses,
) -> Result<Arc<Client>, OAuthError> {
    authenticate_inner(op, form, caller, uses)
        .await
        .inspect_err(|e| log_failure(form, e))
}

fn log_failure(form: &Form, error: &OAuthError) {
    tracing::info!(client_id = form.get("client_id").unwrap_or("-"), %error, "client authentication failed");
}

async fn authenticate_inner(
    op: &OpState,
    form: &Form,
    caller: &Caller,
    uses: &mut OneTimeUses,
) -> Result<Arc<Client>, OAuthError> {
    // RFC 7521 §4.2, RFC 7523 §3: a client_assertion identifies the
    // client; client_id is optional beside it and must then agree.
    let client_id = claimed_client_id(form.get("client_id"), form.get("client_assertion"))?;
    let client = match op.services.clients.get_charged(&client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Err(invalid_client("unknown client")),
        Err(limited) => {
            return Err(OAuthError::new(
                ErrorCode::RateLimited,
                format!("too many requests from this client; retry in {} s", limited.0),
            ));
        }
    };
    // RFC 8705 §2.1: a transport certificate its directory revoked
    // authenticates nothing of the client, whatever the method (tokens
    // would be bound to it); `registration/trust.rs` keeps the list.
    if let Some(cert) = &caller.client_cert
        && client.certificate_revoked(cert.x5t_s256())
    {
        return Err(invalid_client(
            "this transport certificate was revoked by the client's directory",
        ));
    }
    let assertion = form.get("client_assertion");
    let assertion_type = form.get("client_assertion_type");
    let now = op.now();
    match client.auth_method {
        TokenEndpointAuthMethod::PrivateKeyJwt => {
            let (Some(assertion), Some(assertion_type)) = (assertion, assertion_type) else {
                return Err(invalid_client(
                    "this client authenticates with private_key_jwt (RFC 7523 §2.2)",
                ));
            };
            let assertion = ClientAssertion::parse(assertion_type, assertion)?;
            let issuer = op.config.issuer();
            let token_url = op.config.endpoint_url(crate::protocol::paths::TOKEN);
            let par_url = op.config.endpoint_url(crate::protocol::paths::PAR);
            let audiences = [issuer, token_url.as_str(), par_url.as_str()];
            let profile = client.profile(op.fapi().profile);
            let policy = match profile {
                FapiProfile::Fapi1Advanced => AudiencePolicy::AnyOf(&audiences),
                _ => AudiencePolicy::IssuerOnly(issuer),
            };
            let check = |keys: &[crate::protocol::jose::ClientJwk]| {
                check_client_assertion(
                    assertion,
                    &client.client_id,
                    keys,
                    policy,
                    now,
                    MAX_ASSERTION_LIFETIME_SECS,
                )
            };
            let claims = match check(&client.jwks.keys) {
                // The client may have rotated its keys: fetch its jwks_uri once more.
                Err(ClientAuthReason::Jws(JoseError::UnknownKid | JoseError::NoKeyForAlg))
                    if client.jwks_uri.is_some() =>
                {
                    match op.services.clients.refetch_jwks(&client.client_id).await {
                        Some(refreshed) => check(&refreshed.jwks.keys)?,
                        None => return Err(invalid_client("the client's keys are not available")),
                    }
                }
                other => other?,
            };
            // RFC 7591 §2: a registered token_endpoint_auth_signing_alg is the only one.
            if client
                .token_endpoint_auth_signing_alg
                .is_some_and(|alg| claims.key.alg() != alg)
            {
                return Err(invalid_client(
                    "the assertion is not signed with the registered token_endpoint_auth_signing_alg (RFC 7591 §2)",
                ));
            }
            // FAPI 1.0 Part 2 §8.6: a FAPI 1.0 Advanced client signs with PS256 or ES256.
            if !profile.allows_alg(claims.key.alg()) {
                return Err(invalid_client(
                    "this client's FAPI profile allows PS256 or ES256 assertions only (FAPI 1.0 Part 2 §8.6)",
                ));
            }
            uses.defer(
                &format!("client_assertion:{}", client.client_id),
                &claims.jti,
                claims.exp,
                invalid_client("client assertion jti already used (RFC 7523 §3 item 7)"),
            );
        }
        TokenEndpointAuthMethod::TlsClientAuth | TokenEndpointAuthMethod::SelfSignedTlsClientAuth => {
            if assertion.is_some() {
                return Err(invalid_client(
                    "this client authenticates with its TLS certificate, not an assertion",
                ));
            }
            let cert = caller
                .client_cert
                .as_ref()
                .ok_or_else(|| invalid_client("no client certificate was presented (RFC 8705 §2)"))?;
            if client.auth_method == TokenEndpointAuthMethod::TlsClientAuth {
                if !cert.chain_verified() {
                    return Err(invalid_client(
                        "the client certificate does not chain to a trusted CA (RFC 8705 §2.1)",
                    ));
                }
                let subject = client
                    .tls_subject
                    .as_ref()
                    .ok_or_else(|| invalid_client("the client has no registered certificate subject"))?;
                // RFC 8705 §2.1: once per connection's certificate and subject.
                if !cert.is_known_match(subject) {
                    check_tls_client_auth(subject, cert.leaf())?;
                    cert.remember_match(subject);
                }
            } else {
                check_self_signed_tls_client_auth(cert.leaf(), &client.jwks.keys)?;
            }
        }
    }
    Ok(client)
}

fn invalid_client(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, description)
}
