//! The backchannel authentication request (CIBA Core §7), after the client
//! authenticated as at the token endpoint (§7.1): its parameters from a
//! signed request (§7.1.1; required for FAPI CIBA clients and for a client
//! that registered a signing algorithm, its `jti` single use) or the form;
//! checked (`protocol::ciba::parse_backchannel_request`); the hint resolved
//! to a customer (`hint.rs`); a `user_code` checked as the customer's
//! password (§7.1, `invalid_user_code`, through the login throttle's
//! argon2 check); the UK OBIE consent awaiting authorisation; the node's
//! pending bound (`pending.rs`). Then the request is stored under a fresh
//! `auth_req_id` (256 random bits; only its SHA-256 is stored) with the
//! request's `jti`s, sent to the device channel (`device_channel.rs`,
//! through the node's batcher `device_batch.rs`), and
//! answered (§7.3). A device that cannot be reached withdraws the request:
//! 503 `temporarily_unavailable`, nothing left pending.
//!
//! A client whose interactions go to the bank's interaction app
//! (`oauth::interaction_app::for_client`, issue 25) has its requests
//! handed to that app instead: stored with the app's id
//! (`BackchannelRequest::app`), never sent to the device channel, and
//! offered to the app when it asks (`app_api.rs`), which authenticates the
//! customer on its own channel (CIBA Core §1: how the OP reaches the
//! authentication device is out of the spec's scope). Poll-mode requests
//! only: a ping or push names the `auth_req_id`, which is not stored.

use super::device_channel;
use super::service::Ciba;
use crate::model::ciba::BackchannelRequest;
use crate::model::{Binding, Client, ClientCiba};
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::ciba::{
    BackchannelAuthenticationRequest, BackchannelAuthenticationResponse, CibaStatus, ClientCibaPolicy,
    DeliveryMode, ExpiryBounds, RequestSource, SignedRequestReason, check_signed_request,
    parse_backchannel_request, request_source,
};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use crate::protocol::jose::{ClientJwk, JoseError};
use crate::store::kv::KvError;
use crate::store::repo::{FreshId, ops};

/// Handles a backchannel authentication request of the authenticated
/// `client`; the §7.3 answer. The `jti`s of the client assertion, the
/// signed request and a DPoP proof join `uses` and are recorded with the
/// request.
pub async fn request(
    op: &OpState,
    ciba: &Ciba,
    caller: &Caller,
    form: &Form,
    client: &Client,
    uses: &mut OneTimeUses,
) -> Result<BackchannelAuthenticationResponse, OAuthError> {
    let registration = client.ciba.as_ref().ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client is not registered for CIBA (backchannel_token_delivery_mode, CIBA Core §4)",
        )
    })?;
    let now = op.now();
    let params = params(op, form, client, registration, uses).await?;
    let policy = ClientCibaPolicy {
        delivery_mode: registration.metadata.backchannel_token_delivery_mode,
        user_code_parameter: registration.metadata.backchannel_user_code_parameter,
        allowed_scopes: &client.scopes,
        allowed_details: &client.authorization_details_types,
        fapi: registration.fapi,
    };
    let checked = parse_backchannel_request(&params, &policy)?;
    let customer = super::hint::resolve(op, client, &checked.hint, now).await?;
    if let Some(code) = &checked.user_code {
        check_user_code(op, caller, &customer, code, now).await?;
    }
    let consent = match &checked.openbanking_intent_id {
        Some(id) => {
            Some(crate::consent::intent::check_awaiting(&op.services.repo, id, &client.client_id, now).await?)
        }
        None => None,
    };
    // RFC 9449: a DPoP proof here binds the eventual tokens to its key.
    let proof = crate::oauth::sender::dpop_proof_deferred(
        op,
        caller,
        crate::protocol::paths::BACKCHANNEL_AUTHENTICATION,
        None,
        uses,
    )?;
    let sender = match (proof, &caller.client_cert) {
        (Some(proof), _) => Some(Binding::Dpop(proof.jkt)),
        (None, Some(cert)) => Some(Binding::Mtls(cert.x5t_s256().to_string())),
        (None, None) => None,
    };
    let config = &op.config.get().ciba;
    let bounds = ExpiryBounds {
        default_secs: config.default_expiry_secs,
        max_secs: config.max_expiry_secs,
    };
    let expires_in = bounds.expires_in(checked.requested_expiry);
    // Issue 25: the interaction app that runs this client's interactions
    // (the resource servers this node runs now, `oauth/live_sections`).
    let servers = op
        .services
        .sections
        .get::<crate::oauth::live_sections::ResourceServers>();
    // Poll mode only: a ping or a push names the `auth_req_id` (CIBA Core
    // §10.2, §10.3), which the store never holds (only its SHA-256), so
    // the OP could not send one after an app's decision; those requests
    // stay the device channel's.
    let app = crate::oauth::interaction_app::for_client(op.config.get(), &servers, &client.client_id)
        .filter(|_| registration.metadata.backchannel_token_delivery_mode == DeliveryMode::Poll)
        .map(|app| app.id.clone());
    let mut record = record(
        client,
        registration,
        checked,
        customer.account_id,
        sender,
        now,
        expires_in,
        config.interval_secs,
    );
    record.app = app;
    if !ciba.pending.admit(record.expires_at).await {
        return Err(OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "too many backchannel authentication requests are pending; try again later",
        ));
    }
    let stored = store(op, uses, &record, now).await;
    let auth_req_id = match stored {
        Ok(id) => id,
        Err(error) => {
            ciba.pending.settle(record.expires_at);
            return Err(error);
        }
    };
    if let Some(app) = &record.app {
        // Handed to the app: it lists, reads and decides the request over
        // the interaction API (`app_api.rs`); the device hears nothing.
        tracing::info!(
            target: "fiducia::audit",
            client_id = %client.client_id,
            account_id = %record.account_id,
            interaction_app = %app,
            mode = record.delivery_mode.as_str(),
            expires_in,
            "backchannel authentication request handed to the interaction app"
        );
        return Ok(BackchannelAuthenticationResponse::new(
            auth_req_id,
            expires_in,
            record.delivery_mode,
            record.interval,
        ));
    }
    let claims = device_channel::claims(client, &record, &auth_req_id, consent.as_ref());
    let sent = super::device_queue::notify(&ciba.device, &auth_req_id, &claims, record.expires_at).await;
    if let Err(error) = sent {
        ciba.pending.settle(record.expires_at);
        // Withdrawn: the client never heard of it, the device never shows it.
        let _ = op
            .services
            .repo
            .destroy(
                crate::store::keys::Kind::BackchannelAuthenticationRequest,
                &auth_req_id,
            )
            .await;
        return Err(error);
    }
    tracing::info!(
        target: "fiducia::audit",
        client_id = %client.client_id,
        account_id = %record.account_id,
        mode = record.delivery_mode.as_str(),
        expires_in,
        "backchannel authentication request sent to the customer's device"
    );
    Ok(BackchannelAuthenticationResponse::new(
        auth_req_id,
        expires_in,
        record.delivery_mode,
        record.interval,
    ))
}

/// CIBA Core §7.1.1: the signed request's claims, or the form.
async fn params(
    op: &OpState,
    form: &Form,
    client: &Client,
    registration: &ClientCiba,
    uses: &mut OneTimeUses,
) -> Result<AuthorizationParams, OAuthError> {
    let jwt = match request_source(form, registration.signed_request_required())? {
        RequestSource::Unsigned(params) => return Ok(params),
        RequestSource::Signed(jwt) => jwt,
    };
    let now = op.now();
    let registered_alg = registration
        .metadata
        .backchannel_authentication_request_signing_alg;
    let issuer = op.config.issuer();
    let check =
        |keys: &[ClientJwk]| check_signed_request(jwt, &client.client_id, keys, registered_alg, issuer, now);
    let verified = match check(&client.jwks.keys) {
        Err(SignedRequestReason::Jws(JoseError::UnknownKid | JoseError::NoKeyForAlg)) if client.jwks_uri.is_some() => {
            match op.services.clients.refetch_jwks(&client.client_id).await {
                Some(refreshed) => check(&refreshed.jwks.keys),
                None => Err(SignedRequestReason::Jws(JoseError::UnknownKid)),
            }
        }
        other => other,
    }
    .inspect_err(|reason| tracing::info!(client_id = %client.client_id, %reason, "signed authentication request refused"))?;
    uses.defer(
        &replay_namespace(&client.client_id),
        &verified.jti,
        verified.exp,
        SignedRequestReason::Replayed.into(),
    );
    Ok(verified.params)
}

/// Where a client's signed requests' `jti`s are recorded (RFC 9101 §10.8,
/// CIBA Core §7.1.1): one namespace per client.
pub fn replay_namespace(client_id: &str) -> String {
    format!("ciba_request:{client_id}")
}

/// CIBA Core §7.1 `user_code`: the customer's secret, checked like the
/// login page checks a password — a few checks of one customer at once
/// per node, the per-customer and per-address failure counters and
/// lock-out (`login::throttle`), one argon2 verification; wrong:
/// `invalid_user_code` (§13); locked: `access_denied`.
async fn check_user_code(
    op: &OpState,
    caller: &Caller,
    customer: &crate::login::UserRecord,
    code: &str,
    now: u64,
) -> Result<(), OAuthError> {
    use crate::login::throttle::{self, Admission, Attempt, Policy, Throttle};
    let config = op.config.get();
    let users = &op.services.users;
    let unavailable = || OAuthError::bare(ErrorCode::TemporarilyUnavailable);
    let throttle = Throttle::new(&op.services.repo, Policy::from(&config.login));
    let attempt = Attempt {
        account: Some(customer.username.clone()),
        address: caller.client_addr,
        // No interaction here: a counter of its own that nothing else shares.
        interaction: (uuid::Uuid::new_v4().to_string(), 60),
    };
    let at_once = config.login.max_failures_per_account;
    let _turn = users
        .gate()
        .enter(&customer.username, at_once, throttle::GATE_WAIT)
        .await
        .ok_or_else(unavailable)?;
    match throttle.admit(&attempt, now).await.map_err(|_| unavailable())? {
        Admission::Admitted => {}
        Admission::Locked { .. } => {
            throttle::record_refusal();
            return Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "too many wrong user codes for this customer; try again later",
            ));
        }
    }
    match users.authenticate(&customer.username, code, now).await {
        Ok(Some(user)) if user.account_id == customer.account_id => {
            let _ = throttle.succeeded(&attempt, now).await;
            Ok(())
        }
        Ok(_) => {
            let _ = throttle.failed(&attempt, now).await;
            Err(OAuthError::new(
                ErrorCode::InvalidUserCode,
                "the user_code is not the customer's (CIBA Core §13)",
            ))
        }
        Err(_) => Err(unavailable()),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    client: &Client,
    registration: &ClientCiba,
    checked: BackchannelAuthenticationRequest,
    account_id: String,
    sender: Option<Binding>,
    now: u64,
    expires_in: u64,
    interval: u64,
) -> BackchannelRequest {
    BackchannelRequest {
        client_id: client.client_id.clone(),
        account_id,
        scopes: checked.scopes,
        authorization_details: checked
            .authorization_details
            .map(crate::protocol::rar::AuthorizationDetails::into_json),
        openbanking_intent_id: checked.openbanking_intent_id,
        binding_message: checked.binding_message.map(|m| m.into_string()),
        acr_values: checked.acr_values,
        delivery_mode: registration.metadata.backchannel_token_delivery_mode,
        client_notification_token: checked.client_notification_token.map(|t| t.into_string()),
        created_at: now,
        expires_at: now + expires_in,
        interval,
        last_polled_at: None,
        status: CibaStatus::Pending,
        sender,
        grant_id: None,
        app: None,
    }
}

/// Stores `record` under a fresh `auth_req_id` with the request's `jti`s
/// (one transaction), kept until a little after it expires.
async fn store(
    op: &OpState,
    uses: &mut OneTimeUses,
    record: &BackchannelRequest,
    now: u64,
) -> Result<String, OAuthError> {
    let auth_req_id = FreshId::generate()
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?;
    let ttl = record.store_expires_at().saturating_sub(now).max(1);
    let id = &auth_req_id;
    uses.commit_with(&op.services.repo, now, |tx| async move {
        ops::insert_new(&tx, id, record, Some(ttl), now).await?;
        Ok::<(), KvError>(())
    })
    .await?;
    Ok(auth_req_id.into_string())
}
