//! `POST /introspect` (RFC 7662 §2): the client authenticates (401
//! otherwise, RFC 7662 §2.1 with FAPI 2.0 §5.3.2.1's methods) and names a
//! `token` (`token_type_hint` is ignored: only access tokens are ever
//! active, `oauth/introspection.rs`). JSON by default (§2.2); a signed
//! JWT when the caller accepts `application/token-introspection+jwt`
//! (RFC 9701 §4). Who may learn what: `oauth/introspection.rs`. A
//! resource server (`[[resource_servers]]`) authenticates with its
//! certificate instead (`oauth/resource_server.rs`); each of its calls is
//! an audit line (never the token).

use crate::http::response;
use crate::oauth::caller::Caller;
use crate::oauth::introspection::Introspector;
use crate::oauth::op::OpState;
use crate::oauth::{client_auth, introspection, resource_server, token_lookup, trusted_since};
use crate::protocol::error::OAuthError;
use bytes::Bytes;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};

/// Handles an introspection request.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    let client;
    let server;
    let introspector = match resource_server::authenticate(op, &form, caller)? {
        Some(rs) => {
            server = rs;
            Introspector::ResourceServer(&server.id)
        }
        None => {
            client = client_auth::authenticate(op, &form, caller).await?;
            Introspector::Client(&client.client_id)
        }
    };
    let token = form.require("token")?;
    let now = op.now();
    // RFC 7662 §2.1: the hint may be ignored; only access tokens are
    // looked up, so a refresh token is never active here (RFC 6749 §1.5).
    let found = token_lookup::find_access_token(op, token, now).await?;
    // RFC 7592 §2.3: a deleted client's tokens are not active, also those
    // (client_credentials) that no grant of it links to; nor a suspended
    // client's, nor one issued before its reinstatement (`trusted_since`)
    // or bound to a certificate its directory revoked.
    let found = match found {
        Some(t) if !trusted_since::honours(op, &t).await => None,
        other => other,
    };
    // UK OBIE: a token of a consent that was rejected or revoked, or whose
    // ExpirationDateTime has passed (OBIE Account Access Consents), is
    // dead; one of a consumed consent lives until the payment is confirmed
    // and the grant revoked (the OP's reservation lets only that payment
    // through, `consent/reservation.rs`); an active one names its consent.
    let consent = match &found {
        Some(t) => crate::consent::of_grant(&op.services.repo, &t.grant_id, now)
            .await
            .map_err(|_| OAuthError::bare(crate::protocol::error::ErrorCode::TemporarilyUnavailable))?,
        None => None,
    };
    let found = match (&consent, found) {
        (Some(c), Some(_)) if c.status.ends_tokens() || c.is_expired(now) => None,
        (_, found) => found,
    };
    let mut body = introspection::response(found.as_ref(), introspector, op.config.issuer());
    if let (Some(token), Some(map)) = (&found, body.as_object_mut())
        && map.get("active") == Some(&serde_json::Value::Bool(true))
    {
        if let Some(consent) = &consent {
            map.insert(
                crate::consent::intent::CLAIM.into(),
                serde_json::Value::String(consent.consent_id.clone()),
            );
        }
        if let Introspector::ResourceServer(_) = introspector {
            introspection::resource_server_members(map, &token.grant_id, consent.as_ref());
        }
    }
    if let Introspector::ResourceServer(id) = introspector {
        tracing::info!(
            target: "fiducia::audit",
            resource_server = %id,
            token_client_id = found.as_ref().map_or("-", |t| t.client_id.as_str()),
            active = body["active"] == true,
            "token introspected by a resource server"
        );
    }
    if !wants_jwt(request) {
        let mut response = response::json(StatusCode::OK, Bytes::from(body.to_string()));
        response.headers_mut().insert(CACHE_CONTROL, response::NO_STORE);
        return Ok(response);
    }
    let jwt = introspection::signed_response(op, introspector, body, now).await?;
    let mut response = Response::new(Bytes::from(jwt));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(introspection::JWT_MEDIA_TYPE),
    );
    response.headers_mut().insert(CACHE_CONTROL, response::NO_STORE);
    Ok(response)
}

/// RFC 9701 §4: `Accept: application/token-introspection+jwt` asks for the JWT.
fn wants_jwt(request: &Request<Bytes>) -> bool {
    request.headers().get_all(ACCEPT).iter().any(|value| {
        value.to_str().is_ok_and(|v| {
            v.split(',').any(|item| {
                item.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(introspection::JWT_MEDIA_TYPE))
            })
        })
    })
}
