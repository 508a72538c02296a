//! The browser back from the upstream provider
//! (`GET /login/upstream/callback`), below HTTP. In order:
//!
//! 1. `state` names a pending login (`model::upstream_login`), and the
//!    browser's `__Host-` cookie hashes to the one it keeps (RFC 6749
//!    §10.12: the callback of another browser is refused, nothing used);
//!    then the pending login is consumed: `state` is single use;
//! 2. `iss` (RFC 9207 §2.4) is the upstream's when sent, and must be sent
//!    when its metadata says it sends it;
//! 3. the interaction is the built-in runner's and still at its login;
//! 4. an `error` from the upstream (RFC 6749 §4.1.2.1) ends the
//!    interaction and goes on to the client: `login_required` for the
//!    OIDC Core §3.1.2.6 codes that say the customer must interact,
//!    `unmet_authentication_requirements` as is, `access_denied` else;
//! 5. the code is redeemed (RFC 6749 §4.1.3, PKCE `code_verifier`,
//!    `private_key_jwt`, a DPoP proof, with the provider's nonce when it
//!    asks for one, RFC 9449 §8); the ID token validated
//!    (`protocol::upstream_id_token`, OIDC Core §3.1.3.7; one JWKS refresh
//!    for an unknown key); a refusal is logged with its reason and
//!    counted, never with the token;
//! 6. the customer linked by (issuer, `sub`) or provisioned
//!    (`login::upstream_link`); an unknown one is refused;
//! 7. the `acr` mapped (`acr_map`; unmapped: none); a request that needs
//!    SCA (`oauth::sca::requirement`) without it ends with
//!    `unmet_authentication_requirements`;
//! 8. the login reported as an interaction app's is: the same
//!    `interaction_api::check_login` (`max_age`, `prompt=login`) and
//!    `interaction::report_login`; an essential `acr` is enforced once, at
//!    `interaction::finish`. The consent page follows.
//!
//! Every failure after the pending login is consumed ends the interaction
//! (`interaction::abandon`, which only a built-in runner's interaction at
//! its login takes): no code can come of it.

use super::provider::Upstream;
use crate::login::upstream_link::{self, Linked};
use crate::model::authentication::Authenticated;
use crate::model::records::{Interaction, Stage};
use crate::model::upstream_login::UpstreamLogin;
use crate::oauth::interaction::{self, Runner, browser_hash};
use crate::oauth::interaction_api::{ApiError, LoginReport, check_login};
use crate::oauth::op::OpState;
use crate::protocol::form::Form;
use crate::protocol::upstream_id_token::{self, Expected, Refusal};
use crate::store::repo::{Consumed, ops};

/// What the browser gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The login was reported: on to the built-in consent page.
    Consent {
        /// The interaction.
        interaction_id: String,
    },
    /// The interaction ended: this error goes to the client's redirect URI.
    Client {
        /// The `Location`.
        location: String,
    },
    /// An error page, nothing sent to the client (the browser or the
    /// interaction cannot be trusted with a redirect).
    Page {
        /// The HTTP status.
        status: u16,
        /// What the customer reads.
        message: &'static str,
    },
}

const GONE: Outcome = Outcome::Page {
    status: 400,
    message: "This sign-in has expired or does not exist. Please start again from the application.",
};
const USED: Outcome = Outcome::Page {
    status: 400,
    message: "This sign-in has already been used. Please start again from the application.",
};
const OTHER_BROWSER: Outcome = Outcome::Page {
    status: 403,
    message: "This browser did not start this sign-in. Please start again from the application.",
};
const MIX_UP: Outcome = Outcome::Page {
    status: 400,
    message: "The sign-in answer did not come from the bank's sign-in service.",
};
const UNVERIFIED: Outcome = Outcome::Page {
    status: 502,
    message: "The bank's sign-in service answered with a sign-in that could not be verified.",
};
const UNREACHABLE: Outcome = Outcome::Page {
    status: 502,
    message: "The bank's sign-in service could not complete the sign-in. Please try again.",
};
const UNKNOWN_CUSTOMER: Outcome = Outcome::Page {
    status: 403,
    message: "No customer account is linked to this sign-in. Please contact the bank.",
};
const STALE: Outcome = Outcome::Page {
    status: 403,
    message: "The sign-in at the bank is older than this request allows. Please start again.",
};
const UNAVAILABLE: Outcome = Outcome::Page {
    status: 503,
    message: "Please try again in a moment.",
};

/// Handles the callback's `query`, `cookie` the browser-binding cookie.
pub async fn complete(
    op: &OpState,
    upstream: &Upstream,
    query: &Form,
    cookie: Option<&str>,
    now: u64,
) -> Outcome {
    let Some(state) = query.get("state") else {
        return GONE;
    };
    // Step 1.
    let repo = &op.services.repo;
    let pending = match repo.find::<UpstreamLogin>(state, now).await {
        Ok(Some(found)) => found,
        Ok(None) => return GONE,
        Err(_) => return UNAVAILABLE,
    };
    if cookie.map(browser_hash).as_deref() != Some(pending.payload.browser.as_str()) {
        tracing::warn!(target: "fiducia::audit", upstream = %upstream.config.issuer, "upstream login callback from a browser without its cookie");
        return OTHER_BROWSER;
    }
    let call_id = uuid::Uuid::new_v4().as_u128();
    let consumed = repo
        .store()
        .run(|tx, _| async move { ops::consume::<UpstreamLogin>(&tx, state, now, call_id).await })
        .await;
    let pending = match consumed {
        Ok(Consumed::Now(found)) => found.payload,
        Ok(Consumed::Already(_)) => return USED,
        Ok(Consumed::Missing) => return GONE,
        Err(_) => return UNAVAILABLE,
    };
    let id = pending.interaction_id.as_str();
    // Step 2.
    let (metadata, keys) = match upstream.provider(now).await {
        Ok(provider) => provider,
        Err(error) => {
            tracing::warn!(%error, "upstream OpenID Provider metadata unavailable");
            return end(op, id, now, UNREACHABLE).await;
        }
    };
    match query.get("iss") {
        Some(iss) if iss != metadata.issuer => return end(op, id, now, MIX_UP).await,
        None if metadata.sends_iss => return end(op, id, now, MIX_UP).await,
        _ => {}
    }
    // Step 3.
    let ix = match interaction::load_for(repo, id, Runner::BuiltIn, now).await {
        Ok(ix) if ix.stage == Stage::Login => ix,
        Ok(_) => return USED,
        Err(interaction::InteractionError::Store(_)) => return UNAVAILABLE,
        Err(_) => return GONE,
    };
    // Step 4.
    if let Some(error) = query.get("error") {
        let code = match error {
            "login_required" | "interaction_required" | "consent_required" | "account_selection_required" => {
                "login_required"
            }
            "unmet_authentication_requirements" => "unmet_authentication_requirements",
            _ => "access_denied",
        };
        tracing::info!(target: "fiducia::audit", client_id = %ix.request.client_id, upstream = %metadata.issuer, upstream_error = %short(error), "customer authentication at the upstream OpenID Provider failed");
        metrics::counter!(super::LOGINS_METRIC, "outcome" => "upstream_error").increment(1);
        return to_client(op, id, code, "the customer was not signed in by the bank", now).await;
    }
    let Some(code) = query.get("code") else {
        return end(op, id, now, UNREACHABLE).await;
    };
    // Step 5.
    let id_token = match super::token_call::redeem(op, upstream, &metadata, code, &pending, now).await {
        Ok(id_token) => id_token,
        Err(error) => {
            tracing::warn!(%error, upstream = %metadata.issuer, "upstream token call failed");
            metrics::counter!(super::LOGINS_METRIC, "outcome" => "token_error").increment(1);
            return end(op, id, now, UNREACHABLE).await;
        }
    };
    let expected = Expected {
        issuer: &metadata.issuer,
        client_id: &upstream.config.client_id,
        nonce_hash: &pending.nonce,
        started: pending.started,
        max_age_sent: pending.max_age_sent,
        now,
    };
    let mut validated = upstream_id_token::validate(&id_token, &keys, &expected);
    if validated == Err(Refusal::UnknownKey)
        && let Some(keys) = upstream.refresh_keys(now).await
    {
        validated = upstream_id_token::validate(&id_token, &keys, &expected);
    }
    let identity = match validated {
        Ok(identity) => identity,
        Err(reason) => {
            tracing::warn!(target: "fiducia::audit", reason = reason.as_str(), client_id = %ix.request.client_id, upstream = %metadata.issuer, "upstream ID token refused");
            metrics::counter!(super::REFUSED_METRIC, "reason" => reason.as_str()).increment(1);
            return end(op, id, now, UNVERIFIED).await;
        }
    };
    // Step 6.
    let config = &upstream.config;
    let linked = upstream_link::link(
        &op.services.users,
        (&metadata.issuer, &identity.sub),
        &identity.claims,
        (&config.claims_map, config.provision),
        now,
    )
    .await;
    let (account_id, provisioned) = match linked {
        Ok(Linked::Customer {
            account_id,
            provisioned,
        }) => (account_id, provisioned),
        Ok(Linked::Unknown) => {
            tracing::info!(target: "fiducia::audit", client_id = %ix.request.client_id, upstream = %metadata.issuer, "upstream login of a customer not linked here refused");
            metrics::counter!(super::LOGINS_METRIC, "outcome" => "unknown_customer").increment(1);
            return end(op, id, now, UNKNOWN_CUSTOMER).await;
        }
        Err(error) => {
            tracing::warn!(%error, "linking the upstream customer failed");
            return end(op, id, now, UNAVAILABLE).await;
        }
    };
    if provisioned {
        tracing::info!(target: "fiducia::audit", account_id = %account_id, upstream = %metadata.issuer, "customer provisioned from the upstream OpenID Provider");
    }
    // Step 7.
    let acr = identity.acr.as_ref().and_then(|a| config.acr_map.get(a)).cloned();
    if needs_sca(op, &ix, now).await && acr.as_deref() != Some(crate::protocol::acr::SCA) {
        metrics::counter!(super::LOGINS_METRIC, "outcome" => "unmet_sca").increment(1);
        return to_client(
            op,
            id,
            "unmet_authentication_requirements",
            "the bank's sign-in did not reach strong customer authentication",
            now,
        )
        .await;
    }
    // Step 8.
    let report = LoginReport {
        interaction_id: id.to_string(),
        sub: account_id.clone(),
        acr: acr.clone(),
        amr: identity.amr.clone(),
        auth_time: identity.auth_time,
    };
    match check_login(&ix, &report, now) {
        Ok(()) => {}
        Err(ApiError::Invalid(problem)) => {
            tracing::info!(%problem, client_id = %ix.request.client_id, "upstream login refused by the request's rules");
            return end(op, id, now, STALE).await;
        }
        Err(_) => return end(op, id, now, UNAVAILABLE).await,
    }
    let login = Authenticated {
        account_id: account_id.clone(),
        auth_time: identity.auth_time,
        acr,
        amr: identity.amr,
        payment_link: None,
    };
    match interaction::report_login(repo, id, Runner::BuiltIn, login, now).await {
        Ok(()) => {}
        Err(interaction::InteractionError::Store(_)) => return UNAVAILABLE,
        Err(_) => return USED,
    }
    tracing::info!(target: "fiducia::audit", account_id = %account_id, client_id = %ix.request.client_id, upstream = %metadata.issuer, "customer authenticated by the upstream OpenID Provider");
    metrics::counter!(super::LOGINS_METRIC, "outcome" => "authenticated").increment(1);
    Outcome::Consent {
        interaction_id: id.to_string(),
    }
}

/// Whether the interaction's request needs SCA (`oauth::sca::requirement`:
/// a payment, or SCA demanded).
async fn needs_sca(op: &OpState, ix: &Interaction, now: u64) -> bool {
    let terms = crate::oauth::sca::payment_terms(&op.services.repo, &ix.request, now)
        .await
        .map(|t| !t.is_empty())
        // Unreadable terms: treat the request as a payment.
        .unwrap_or(true);
    let payments_need_sca = !op.config.get().login.totp.danger_payments_without_sca;
    crate::oauth::sca::requirement(&ix.request, terms, payments_need_sca)
        == crate::oauth::sca::Requirement::Required
}

/// Ends interaction `id`; the page `outcome`.
async fn end(op: &OpState, id: &str, now: u64, outcome: Outcome) -> Outcome {
    if let Err(error) = interaction::abandon(&op.services.repo, id, now).await {
        tracing::warn!(%error, "the interaction of a failed upstream login could not be ended");
    }
    outcome
}

/// Ends interaction `id` with `error` at the client's redirect URI (RFC
/// 6749 §4.1.2.1, OIDC Core §3.1.2.6).
async fn to_client(op: &OpState, id: &str, error: &str, description: &str, now: u64) -> Outcome {
    let request = match interaction::abandon(&op.services.repo, id, now).await {
        Ok(request) => request,
        Err(interaction::InteractionError::Store(_)) => return UNAVAILABLE,
        Err(_) => return USED,
    };
    let params = [("error", error), ("error_description", description)];
    match crate::oauth::authorization_response::redirect_location(op, &request, &params).await {
        Ok(location) => Outcome::Client { location },
        Err(_) => UNAVAILABLE,
    }
}

/// An upstream `error` value fit for a log line.
fn short(error: &str) -> &str {
    match error.len() <= 64 && error.bytes().all(|b| b.is_ascii_graphic()) {
        true => error,
        false => "(unprintable)",
    }
}
