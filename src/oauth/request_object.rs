//! Where PAR's authorization parameters come from (RFC 9126 §3, RFC 9101):
//! the signed request object in `request` when there is one, checked by
//! `protocol::request_object` with the client's keys and its `jti` made
//! single use in the store; otherwise the form, unless the client or the
//! profile requires signed request objects (RFC 9101 §10.5).

use super::replay::OneTimeUses;
use crate::model::Client;
use crate::oauth::op::OpState;
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::OAuthError;
use crate::protocol::form::Form;
use crate::protocol::jose::{ClientJwk, JoseError};
use crate::protocol::request_object::{
    RequestObjectReason, VerifiedRequestObject, check_outer_parameters, check_request_object,
};

/// The authorization parameters of a PAR request by the authenticated
/// `client`; a request object's `jti` joins `uses`, to be recorded with the
/// pushed request.
pub async fn authorization_params(
    op: &OpState,
    form: &Form,
    client: &Client,
    uses: &mut OneTimeUses,
) -> Result<AuthorizationParams, OAuthError> {
    let Some(jwt) = form.get("request") else {
        if client.require_signed_request_object
            || client
                .profile(op.fapi().profile)
                .requires_signed_request_objects()
        {
            return Err(OAuthError::invalid_request(
                "this client must send its authorization request as a signed request object in `request` (RFC 9101 §10.5)",
            ));
        }
        return Ok(AuthorizationParams::from_form(form));
    };
    let verified = verify(op, jwt, client).await.inspect_err(|reason| {
        tracing::info!(client_id = %client.client_id, %reason, "request object refused");
    })?;
    check_outer_parameters(form, &verified.params)?;
    uses.defer(
        &format!("request_object:{}", client.client_id),
        &verified.jti,
        verified.exp,
        RequestObjectReason::Replayed.into(),
    );
    Ok(verified.params)
}

/// Checks the object with the client's keys; a `jwks_uri` client whose keys
/// lack the object's `kid` gets its keys fetched once more, as for client
/// assertions (the client may have rotated them).
async fn verify(
    op: &OpState,
    jwt: &str,
    client: &Client,
) -> Result<VerifiedRequestObject, RequestObjectReason> {
    let now = op.now();
    let issuer = op.config.issuer();
    let alg = crate::protocol::jose::UnverifiedJws::parse(jwt)?.header().alg;
    // OIDC Registration §2: a registered request_object_signing_alg is the only one.
    if client
        .request_object_signing_alg
        .is_some_and(|registered| registered != alg)
    {
        return Err(RequestObjectReason::RegisteredAlg);
    }
    // FAPI 1.0 Part 2 §8.6: PS256 or ES256 for a FAPI 1.0 Advanced client.
    if !client.profile(op.fapi().profile).allows_alg(alg) {
        return Err(RequestObjectReason::ProfileAlg);
    }
    let check = |keys: &[ClientJwk]| check_request_object(jwt, &client.client_id, keys, issuer, now);
    match check(&client.jwks.keys) {
        Err(RequestObjectReason::Jws(JoseError::UnknownKid | JoseError::NoKeyForAlg))
            if client.jwks_uri.is_some() =>
        {
            match op.services.clients.refetch_jwks(&client.client_id).await {
                Some(refreshed) => check(&refreshed.jwks.keys),
                None => Err(RequestObjectReason::Jws(JoseError::UnknownKid)),
            }
        }
        other => other,
    }
}
