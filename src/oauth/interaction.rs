//! The authorization interaction: `/authorize` -> login -> consent -> code.
//!
//! Its state is a store record (`Interaction`), so any node can continue it;
//! every step is one serializable transaction that checks the stage and moves
//! it on, so a double-submitted form cannot issue two codes.

use super::grant_management::{apply as gm_apply, carry as gm_carry};
use super::secrets::new_secret;
use crate::consent::CashAccount;
use crate::model::authentication::{Authenticated, ConsentAnswer};
use crate::model::grant_merge::Approved;
use crate::model::records::{AuthorizationCode, Grant, Interaction, PushedRequest, Stage};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::store::kv::KvError;
use crate::store::repo::{Consumed, Repo, ops};

/// Why a step was refused.
#[derive(Debug, thiserror::Error)]
pub enum InteractionError {
    /// Unknown or expired interaction, or one another runner runs (a
    /// foreign id: the built-in pages and each interaction app see only
    /// their own).
    #[error("this authorization request has expired or does not exist")]
    Gone,
    /// The step does not fit the stage (e.g. consent before login, a second submit).
    #[error("this step of the authorization request is not expected now")]
    WrongStage,
    /// The interaction was finished already: its id is single use.
    #[error("this authorization request has already been completed")]
    Used,
    /// Dynamic linking (PSD2 RTS Art. 5(1)(d)): the payment's amount or
    /// payee is no longer the one the second factor was given for; the
    /// interaction went back to the second factor.
    #[error("the payment changed since it was confirmed: confirm it again")]
    PaymentChanged,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] KvError),
    /// The RNG failed.
    #[error("{0}")]
    Random(OAuthError),
}

impl InteractionError {
    /// The OAuth error to answer: a store failure is `temporarily_unavailable`
    /// (503, the step may be tried again: nothing was decided), a step that
    /// does not fit is `invalid_request`.
    pub fn to_oauth(&self) -> OAuthError {
        match self {
            InteractionError::Store(_) => OAuthError::new(ErrorCode::TemporarilyUnavailable, "try again"),
            InteractionError::Random(e) => e.clone(),
            other => OAuthError::invalid_request(other.to_string()),
        }
    }
}

impl From<InteractionError> for OAuthError {
    fn from(e: InteractionError) -> Self {
        e.to_oauth()
    }
}

/// Who runs an interaction's login and consent: the built-in pages, or
/// the bank's interaction app (a `[[resource_servers]]` id). Every step
/// names its runner, and an interaction answers only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner<'a> {
    /// `/login` and `/consent`.
    BuiltIn,
    /// The bank's app, through the interaction API.
    App(&'a str),
}

impl Runner<'_> {
    fn runs(self, interaction: &Interaction) -> bool {
        match self {
            Runner::BuiltIn => interaction.app.is_none(),
            Runner::App(app) => interaction.app.as_deref() == Some(app),
        }
    }
}

/// The outcome of finishing an interaction.
#[derive(Debug)]
pub enum Decision {
    /// A code was issued.
    Approved {
        /// The authorization code.
        code: String,
        /// The customer's authentication (`sub`, `acr`, `amr`, `auth_time`).
        login: Authenticated,
        /// The request it answers.
        request: PushedRequest,
    },
    /// The customer said no.
    Denied {
        /// The request it answers.
        request: PushedRequest,
    },
    /// The request asked for an `acr` as an essential claim that the
    /// login did not reach (OIDC Core §5.5.1.1): no grant, no code.
    Unmet {
        /// The request it answers.
        request: PushedRequest,
    },
    /// Grant Management §5.2, §5.4: the grant the request merges or
    /// replaces is gone, revoked, or not the logged-in customer's: nothing
    /// decided, no code, `invalid_grant_id`.
    GrantRefused {
        /// The request it answers.
        request: PushedRequest,
    },
    /// The interaction app gave up: no grant, no code, the reason's error.
    Abandoned {
        /// The request it answers.
        request: PushedRequest,
        /// Why.
        reason: crate::model::records::AbandonReason,
    },
}

/// Why `/authorize` refuses a `request_uri` (RFC 9126 §4), or starts no
/// interaction for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushedRefusal {
    /// Used before: request_uris are one-time use.
    Used,
    /// Never issued, or expired.
    Unknown,
    /// Pushed by another client than the one named in the request.
    OtherClient,
    /// The request has `prompt=none` and the OP keeps no login session, so
    /// no customer can be authenticated without a page: consumed, no
    /// interaction stored; the client gets `login_required` (OIDC Core
    /// §3.1.2.6), whoever would have run the interaction.
    LoginRequired(Box<PushedRequest>),
}

/// A started interaction: its id and the browser's secret (the built-in
/// pages' CSRF token, or the binding cookie of an app's interaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The interaction id (256 random bits; stored only as its SHA-256).
    pub id: String,
    /// The secret the browser keeps in a cookie.
    pub browser_secret: String,
}

/// SHA-256 of a browser-binding cookie, base64url: what an app's
/// interaction keeps instead of the cookie.
pub fn browser_hash(secret: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// RFC 9126 §4: consumes the pushed request `reference` of `client_id` (one
/// time use) and stores the interaction that continues it, run by
/// `runner`, in one transaction. A request_uri pushed by another client is
/// used up all the same.
pub async fn start(
    repo: &Repo,
    reference: &str,
    (client_id, client_name): (&str, &str),
    (runner, ttl): (Runner<'_>, u64),
    now: u64,
) -> Result<Result<Started, PushedRefusal>, InteractionError> {
    let id = new_secret().map_err(InteractionError::Random)?;
    let secret = match runner {
        Runner::BuiltIn => crate::login::csrf::new_token()
            .map_err(|e| InteractionError::Random(OAuthError::new(ErrorCode::ServerError, e.to_string())))?,
        Runner::App(_) => new_secret().map_err(InteractionError::Random)?,
    };
    let (csrf, app, browser) = match runner {
        Runner::BuiltIn => (secret.clone(), None, None),
        Runner::App(app) => (String::new(), Some(app.to_string()), Some(browser_hash(&secret))),
    };
    // Kept across retries, so that a retry recognises its own consumption.
    let call_id = uuid::Uuid::new_v4().as_u128();
    let id_ref = &id;
    let (csrf, app, browser) = (&csrf, &app, &browser);
    let started = repo
        .store()
        .run(|tx, _| async move {
            let request = match ops::consume::<PushedRequest>(&tx, reference, now, call_id).await? {
                Consumed::Now(found) => found.payload,
                Consumed::Already(_) => return Ok(Err(PushedRefusal::Used)),
                Consumed::Missing => return Ok(Err(PushedRefusal::Unknown)),
            };
            if request.client_id != client_id {
                return Ok(Err(PushedRefusal::OtherClient));
            }
            // OIDC Core §3.1.2.1: with prompt=none the OP must not display
            // any page; without a session nobody is logged in.
            if request.authentication.prompts("none") {
                return Ok(Err(PushedRefusal::LoginRequired(Box::new(request))));
            }
            let interaction = Interaction {
                request,
                client_name: client_name.to_string(),
                csrf: csrf.clone(),
                stage: Stage::Login,
                app: app.clone(),
                browser: browser.clone(),
                started: now,
            };
            ops::upsert(&tx, id_ref, &interaction, Some(ttl), now).await?;
            // Grant Management §5.2: a merge or replace goes with it.
            crate::oauth::grant_management::carry::move_to_interaction(&tx, reference, id_ref, ttl, now)
                .await?;
            Ok(Ok(()))
        })
        .await?;
    Ok(started.map(|()| Started {
        id,
        browser_secret: secret,
    }))
}

/// The interaction `id`, if it exists.
pub async fn load(repo: &Repo, id: &str, now: u64) -> Result<Interaction, InteractionError> {
    repo.find::<Interaction>(id, now)
        .await?
        .map(|found| found.payload)
        .ok_or(InteractionError::Gone)
}

/// The interaction `id` if `runner` runs it; a foreign one is
/// [`InteractionError::Gone`], as an unknown one.
pub async fn load_for(
    repo: &Repo,
    id: &str,
    runner: Runner<'_>,
    now: u64,
) -> Result<Interaction, InteractionError> {
    let interaction = load(repo, id, now).await?;
    if !runner.runs(&interaction) {
        return Err(InteractionError::Gone);
    }
    Ok(interaction)
}

/// Moves interaction `id` of `runner` on by `step` (given its current
/// stage: the next one, or a refusal) in one transaction, keeping its
/// expiry.
async fn step(
    repo: &Repo,
    id: &str,
    runner: Runner<'_>,
    now: u64,
    step: impl Fn(&Stage) -> Result<Option<Stage>, InteractionError> + Send + Sync,
) -> Result<(), InteractionError> {
    let step = &step;
    repo.store()
        .run(|tx, _| async move {
            let Some(found) = ops::find::<Interaction>(&tx, id, now).await? else {
                return Ok(Err(InteractionError::Gone));
            };
            let mut interaction = found.payload;
            if !runner.runs(&interaction) {
                return Ok(Err(InteractionError::Gone));
            }
            let next = match step(&interaction.stage) {
                Ok(Some(next)) => next,
                // A retry of our own committed write.
                Ok(None) => return Ok(Ok(())),
                Err(e) => return Ok(Err(e)),
            };
            interaction.stage = next;
            let remaining = found.meta.expires_at.map(|at| at.saturating_sub(now).max(1));
            ops::upsert(&tx, id, &interaction, remaining, now).await?;
            Ok(Ok(()))
        })
        .await?
}

/// The login succeeded (reported by the built-in login or the app):
/// `Login -> Consent`. The checks of what was reported (an existing
/// customer, `max_age`) are the caller's: `oauth::interaction_api`.
pub async fn report_login(
    repo: &Repo,
    id: &str,
    runner: Runner<'_>,
    login: Authenticated,
    now: u64,
) -> Result<(), InteractionError> {
    let login = &login;
    step(repo, id, runner, now, |stage| match stage {
        Stage::Login => Ok(Some(Stage::Consent(login.clone()))),
        Stage::Consent(done) if done == login => Ok(None),
        Stage::Done => Err(InteractionError::Used),
        _ => Err(InteractionError::WrongStage),
    })
    .await
}

/// The password was right and the request needs strong customer
/// authentication (`oauth::sca`): `Login -> SecondFactor`, keeping the
/// password login. Built-in pages only.
pub async fn await_second_factor(
    repo: &Repo,
    id: &str,
    password: Authenticated,
    now: u64,
) -> Result<(), InteractionError> {
    let password = &password;
    step(repo, id, Runner::BuiltIn, now, |stage| match stage {
        Stage::Login => Ok(Some(Stage::SecondFactor(password.clone()))),
        Stage::SecondFactor(done) if done == password => Ok(None),
        Stage::Done => Err(InteractionError::Used),
        _ => Err(InteractionError::WrongStage),
    })
    .await
}

/// The second factor was right: `SecondFactor -> Consent` with the strong
/// authentication (`acr` SCA, `amr` with `otp`, the payment link), for
/// the customer whose password started it.
pub async fn report_second_factor(
    repo: &Repo,
    id: &str,
    login: Authenticated,
    now: u64,
) -> Result<(), InteractionError> {
    let login = &login;
    step(repo, id, Runner::BuiltIn, now, |stage| match stage {
        Stage::SecondFactor(password) if password.account_id == login.account_id => {
            Ok(Some(Stage::Consent(login.clone())))
        }
        Stage::Consent(done) if done == login => Ok(None),
        Stage::Done => Err(InteractionError::Used),
        _ => Err(InteractionError::WrongStage),
    })
    .await
}

/// The login cannot reach what the request needs (SCA for a customer
/// without a factor): `Login | SecondFactor -> Done`, nothing granted;
/// the request, for the error response
/// (`unmet_authentication_requirements`).
pub async fn abandon(repo: &Repo, id: &str, now: u64) -> Result<PushedRequest, InteractionError> {
    let interaction = load_for(repo, id, Runner::BuiltIn, now).await?;
    step(repo, id, Runner::BuiltIn, now, |stage| match stage {
        Stage::Login | Stage::SecondFactor(_) => Ok(Some(Stage::Done)),
        Stage::Done => Err(InteractionError::Used),
        _ => Err(InteractionError::WrongStage),
    })
    .await?;
    Ok(interaction.request)
}

/// The consent was answered: `Consent -> Decided`. The scopes, claims and
/// account are checked against the request by the caller.
pub async fn report_consent(
    repo: &Repo,
    id: &str,
    runner: Runner<'_>,
    answer: ConsentAnswer,
    now: u64,
) -> Result<(), InteractionError> {
    let answer = &answer;
    step(repo, id, runner, now, |stage| match stage {
        Stage::Consent(login) => Ok(Some(Stage::Decided(login.clone(), answer.clone()))),
        Stage::Decided(_, done) if done == answer => Ok(None),
        Stage::Done => Err(InteractionError::Used),
        _ => Err(InteractionError::WrongStage),
    })
    .await
}

/// The interaction app gives up (issue 25): any stage before the consent
/// is reported `-> Abandoned`; the browser's return then finishes it with
/// the reason's error. The same reason again is a retry.
pub async fn app_abandon(
    repo: &Repo,
    id: &str,
    runner: Runner<'_>,
    reason: crate::model::records::AbandonReason,
    now: u64,
) -> Result<(), InteractionError> {
    step(repo, id, runner, now, |stage| match stage {
        Stage::Login | Stage::SecondFactor(_) | Stage::Consent(_) => Ok(Some(Stage::Abandoned(reason))),
        Stage::Abandoned(done) if *done == reason => Ok(None),
        Stage::Done => Err(InteractionError::Used),
        _ => Err(InteractionError::WrongStage),
    })
    .await
}

/// How long what the consent step writes is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Seconds the authorization code lives (`tokens.code_ttl_secs`).
    pub code_secs: u64,
    /// Seconds an access token lives (`tokens.access_token_ttl_secs`).
    pub access_secs: u64,
    /// Seconds the grant's refresh tokens live at most, from the code's
    /// redemption; rotation does not extend it (`tokens.refresh_token_ttl_secs`).
    pub refresh_secs: u64,
    /// The UK OBIE consent's store lifetimes.
    pub consent: crate::consent::Lifetimes,
}

impl Lifetimes {
    /// The lifetimes `config` sets, with `[tokens]` as this node runs it
    /// (`tokens`: the live policy, `OpState::tokens`).
    pub fn from_config(config: &crate::config::Config, tokens: &crate::config::TokensConfig) -> Self {
        Self {
            code_secs: tokens.code_ttl_secs,
            access_secs: tokens.access_token_ttl_secs,
            refresh_secs: tokens.refresh_token_ttl_secs,
            consent: crate::consent::Lifetimes::from(&config.consents),
        }
    }

    /// Seconds a grant of `scopes` is kept: as long as the last token
    /// issued under it can live — its code is redeemed within `code_secs`,
    /// and then an access token, or with `offline_access` (OIDC Core §11)
    /// refresh tokens for `refresh_secs` and the access token of the last
    /// refresh. Revoking the grant deletes it sooner
    /// (`Repo::revoke_by_grant_id`).
    pub fn grant_secs(&self, scopes: &[String]) -> u64 {
        let offline = scopes.iter().any(|s| s == crate::protocol::scope::OFFLINE_ACCESS);
        let refresh = if offline { self.refresh_secs } else { 0 };
        self.code_secs
            .saturating_add(refresh)
            .saturating_add(self.access_secs)
    }
}

/// Finishes interaction `id` of `runner` once its consent was answered:
/// `Decided -> Done`; on approval the grant and the code are written in
/// the same transaction (and a UK OBIE consent moves with them, taking the
/// chosen `debtor` account), each with its lifetime. The audit record of
/// the decision names the interaction app when one ran it. An essential
/// `acr` the login did not reach ends it without a grant (OIDC Core
/// §5.5.1.1). A finished interaction is [`InteractionError::Used`].
pub async fn finish(
    repo: &Repo,
    id: &str,
    runner: Runner<'_>,
    debtor: Option<CashAccount>,
    lifetimes: Lifetimes,
    now: u64,
) -> Result<Decision, InteractionError> {
    let debtor = &debtor;
    let code = new_secret().map_err(InteractionError::Random)?;
    let grant_id = new_secret().map_err(InteractionError::Random)?;
    repo.store()
        .run(|tx, _| {
            let (code, grant_id) = (code.clone(), grant_id.clone());
            async move {
                let Some(found) = ops::find::<Interaction>(&tx, id, now).await? else {
                    return Ok(Err(InteractionError::Gone));
                };
                let mut interaction = found.payload;
                if !runner.runs(&interaction) {
                    return Ok(Err(InteractionError::Gone));
                }
                let (login, answer) = match interaction.stage.clone() {
                    Stage::Decided(login, answer) => (login, answer),
                    Stage::Abandoned(reason) => {
                        interaction.stage = Stage::Done;
                        let remaining = found.meta.expires_at.map(|at| at.saturating_sub(now).max(1));
                        ops::upsert(&tx, id, &interaction, remaining, now).await?;
                        let request = interaction.request;
                        return Ok(Ok(Decision::Abandoned { request, reason }));
                    }
                    Stage::Done => return Ok(Err(InteractionError::Used)),
                    _ => return Ok(Err(InteractionError::WrongStage)),
                };
                let remaining = found.meta.expires_at.map(|at| at.saturating_sub(now).max(1));
                // PSD2 RTS Art. 5(1)(b), (d): the second factor was given
                // for one payment; the consent as it is now must be that
                // payment, else it is confirmed again (back to the second
                // factor with the password login kept), nothing granted.
                if let Some(linked) = &login.payment_link {
                    let terms = super::sca::payment_terms_in(&tx, &interaction.request, now).await?;
                    if crate::protocol::payment_link::link(&terms).as_deref() != Some(linked.as_str()) {
                        interaction.stage = Stage::SecondFactor(Authenticated {
                            acr: Some(crate::protocol::acr::CA.to_string()),
                            amr: crate::protocol::acr::AMR_PASSWORD
                                .iter()
                                .map(|m| m.to_string())
                                .collect(),
                            payment_link: None,
                            ..login
                        });
                        ops::upsert(&tx, id, &interaction, remaining, now).await?;
                        return Ok(Err(InteractionError::PaymentChanged));
                    }
                }
                interaction.stage = Stage::Done;
                ops::upsert(&tx, id, &interaction, remaining, now).await?;
                let app = interaction.app.as_deref();
                let request = interaction.request;
                // OIDC Core §5.5.1.1: an essential `acr` that was not met is
                // a failed authentication; nothing is granted or decided.
                if !super::acr_requirement::met(request.claims.as_deref(), login.acr.as_deref()) {
                    return Ok(Ok(Decision::Unmet { request }));
                }
                let account_id = login.account_id.clone();
                // Grant Management §5.2: a merge or replace names a grant
                // that must still be live and this customer's
                // (`oauth::grant_management::apply`), before anything is
                // decided; the grant keeps its id.
                let update = match gm_carry::of_interaction(&tx, id, now).await? {
                    None => None,
                    Some(pending) => {
                        let asker = gm_apply::Asker {
                            client_id: &request.client_id,
                            account_id: &account_id,
                        };
                        match gm_apply::live(&tx, &pending, asker, now).await? {
                            Some(found) => Some((pending, found)),
                            None => return Ok(Ok(Decision::GrantRefused { request })),
                        }
                    }
                };
                let grant_id = match &update {
                    Some((pending, _)) => pending.grant_id.clone(),
                    None => grant_id,
                };
                // UK OBIE: the decision moves the consent the request named
                // (AwaitingAuthorisation -> Authorised | Rejected) in the same
                // transaction; one that no longer awaits authorisation (e.g.
                // revoked meanwhile) gives no grant.
                let approve = match &request.openbanking_intent_id {
                    Some(consent_id) => {
                        let decided = crate::consent::decision::ConsentDecided {
                            approve: answer.approve,
                            account_id: &account_id,
                            grant_id: &grant_id,
                            debtor: debtor.as_ref(),
                            app,
                        };
                        let at = (now, lifetimes.consent);
                        crate::consent::decision::decide_consent(
                            &tx,
                            consent_id,
                            &request.client_id,
                            decided,
                            at,
                        )
                        .await?
                    }
                    None => {
                        // No OBIE consent: the grant is the consent (OIDC
                        // Core §3.1.2.4); its decision is recorded here.
                        let client = (request.client_id.as_str(), answer.scopes.as_slice());
                        let mut event = grant_decided(answer.approve, &account_id, client, &grant_id);
                        if let Some(app) = app {
                            event = event.and_target(crate::store::audit::Target::new(APP_TARGET, app));
                        }
                        crate::store::audit::append(&tx, &event, now).await?;
                        answer.approve
                    }
                };
                if !approve {
                    return Ok(Ok(Decision::Denied { request }));
                }
                let approved = Approved {
                    scopes: answer.scopes,
                    authorization_details: request.authorization_details.clone(),
                    claims: answer.claims,
                };
                let grant = match &update {
                    None => {
                        let grant = Grant {
                            client_id: request.client_id.clone(),
                            account_id: account_id.clone(),
                            scopes: approved.scopes,
                            created: now,
                            authorization_details: approved.authorization_details,
                            claims: approved.claims,
                        };
                        let grant_ttl = lifetimes.grant_secs(&grant.scopes);
                        ops::upsert(&tx, &grant_id, &grant, Some(grant_ttl), now).await?;
                        grant
                    }
                    Some((pending, found)) => {
                        let fresh_ttl = |scopes: &[String]| lifetimes.grant_secs(scopes);
                        gm_apply::write(&tx, pending, found, approved, fresh_ttl, now).await?
                    }
                };
                // The code carries the whole grant: after a merge, the old
                // permissions with the new (Grant Management §5.2).
                let record = AuthorizationCode {
                    client_id: request.client_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    code_challenge: request.code_challenge.clone(),
                    account_id,
                    scopes: grant.scopes,
                    nonce: request.nonce.clone(),
                    auth_time: login.auth_time,
                    dpop_jkt: request.dpop_jkt.clone(),
                    grant_id,
                    // RFC 9396 §7: what the customer approved.
                    authorization_details: grant.authorization_details,
                    // OIDC Core §5.5: the claims the customer approved.
                    claims: grant.claims,
                    acr: login.acr.clone(),
                    amr: login.amr.clone(),
                };
                ops::upsert(&tx, &code, &record, Some(lifetimes.code_secs), now).await?;
                Ok(Ok(Decision::Approved { code, login, request }))
            }
        })
        .await?
}

/// The audit target kind naming the interaction app that reported a
/// customer's login and consent (its `[[resource_servers]]` id).
pub const APP_TARGET: &str = "interaction_app";

/// The audit record of a customer's decision on a request that names no
/// OBIE consent: the grant (with the scopes it allows) or the refusal.
/// Used by the redirect flow here and by CIBA decisions.
pub fn grant_decided(
    approve: bool,
    account_id: &str,
    (client_id, scopes): (&str, &[String]),
    grant_id: &str,
) -> crate::store::audit::AuditEvent {
    use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
    let actor = Actor::Customer(account_id.to_string());
    let client = Target::new("client", client_id);
    if !approve {
        return AuditEvent::new(EventType::ConsentRejected, actor, client);
    }
    AuditEvent::new(
        EventType::ConsentAuthorised,
        actor,
        Target::new("grant", grant_id),
    )
    .and_target(client)
    .with_change(Change::state("scope", None, &scopes.join(" ")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::embedded::open_store;

    /// A password login of `account_id` at `at`.
    pub(crate) fn login(account_id: &str, at: u64) -> Authenticated {
        Authenticated {
            account_id: account_id.into(),
            auth_time: at,
            acr: Some("urn:fiducia:acr:password".into()),
            amr: vec!["pwd".into()],
            payment_link: None,
        }
    }

    /// An approval of `scopes`.
    pub(crate) fn approval(scopes: &[&str]) -> ConsentAnswer {
        ConsentAnswer {
            approve: true,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            claims: None,
            debtor_account: None,
        }
    }

    const NOW: u64 = 1_000;

    const LIFETIMES: Lifetimes = Lifetimes {
        code_secs: 60,
        access_secs: 300,
        refresh_secs: 3_600,
        consent: crate::consent::Lifetimes {
            awaiting_secs: 3_600,
            retention_secs: 86_400,
        },
    };

    /// An approved grant of `scopes`, decided at `NOW`: the repo and its id.
    async fn approved_grant(scopes: &[&str]) -> (tempfile::TempDir, Repo, String) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_store(dir.path()).unwrap();
        let repo = Repo::open(store).await.unwrap();
        let request = PushedRequest {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..PushedRequest::sample("c")
        };
        repo.upsert("r1", &request, Some(60), NOW).await.unwrap();
        let id = start(&repo, "r1", ("c", "C"), (Runner::BuiltIn, 600), NOW)
            .await
            .unwrap()
            .unwrap()
            .id;
        report_login(&repo, &id, Runner::BuiltIn, login("acc-1", NOW), NOW)
            .await
            .unwrap();
        report_consent(&repo, &id, Runner::BuiltIn, approval(scopes), NOW)
            .await
            .unwrap();
        let Decision::Approved { code, .. } = finish(&repo, &id, Runner::BuiltIn, None, LIFETIMES, NOW)
            .await
            .unwrap()
        else {
            panic!("not approved");
        };
        let code = repo.find::<AuthorizationCode>(&code, NOW).await.unwrap().unwrap();
        (dir, repo, code.payload.grant_id)
    }

    /// A second interaction of client `c` that `update`s `grant_id`
    /// (Grant Management §5.2), logged in by `account_id`, approving
    /// `scopes`, finished at `at`.
    async fn updating(
        repo: &Repo,
        (update, grant_id): (crate::protocol::grant_management::GrantUpdate, &str),
        account_id: &str,
        scopes: &[&str],
        at: u64,
    ) -> Decision {
        let request = PushedRequest {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..PushedRequest::sample("c")
        };
        let pending = crate::model::grant_update::PendingGrantUpdate {
            update,
            grant_id: grant_id.into(),
        };
        let reference = format!("r-{}-{account_id}-{at}", update.as_str());
        let reference = reference.as_str();
        repo.store()
            .run(|tx, _| {
                let (request, pending) = (request.clone(), pending.clone());
                async move {
                    ops::upsert(&tx, reference, &request, Some(60), at).await?;
                    gm_carry::store(&tx, reference, &pending, 60, at).await
                }
            })
            .await
            .unwrap();
        let id = start(repo, reference, ("c", "C"), (Runner::BuiltIn, 600), at)
            .await
            .unwrap()
            .unwrap()
            .id;
        report_login(repo, &id, Runner::BuiltIn, login(account_id, at), at)
            .await
            .unwrap();
        report_consent(repo, &id, Runner::BuiltIn, approval(scopes), at)
            .await
            .unwrap();
        finish(repo, &id, Runner::BuiltIn, None, LIFETIMES, at)
            .await
            .unwrap()
    }

    /// Grant Management §5.2: a merge keeps the grant's id, gives the code
    /// the whole merged grant, deletes the grant's refresh tokens and keeps
    /// the grant at least as long as before.
    #[tokio::test]
    async fn a_merge_keeps_the_grant_and_drops_its_refresh_tokens_grant_management_s5_2() {
        use crate::protocol::grant_management::GrantUpdate;
        let (_dir, repo, grant_id) = approved_grant(&["openid", "accounts"]).await;
        let before = repo.find::<Grant>(&grant_id, NOW).await.unwrap().unwrap();
        let refresh = crate::model::records::RefreshToken {
            client_id: "c".into(),
            account_id: "acc-1".into(),
            scopes: vec!["openid".into()],
            grant_id: grant_id.clone(),
            binding: crate::model::Binding::Dpop("jkt".into()),
            issued_at: NOW,
            expires_at: NOW + 3_600,
            authorization_details: None,
            claims: None,
            authentication: None,
        };
        repo.upsert("rt-1", &refresh, Some(3_600), NOW).await.unwrap();
        let later = NOW + 10;
        let decision = updating(
            &repo,
            (GrantUpdate::Merge, &grant_id),
            "acc-1",
            &["openid", "payments"],
            later,
        )
        .await;
        let Decision::Approved { code, .. } = decision else {
            panic!("not approved");
        };
        let code = repo
            .find::<AuthorizationCode>(&code, later)
            .await
            .unwrap()
            .unwrap()
            .payload;
        assert_eq!(code.grant_id, grant_id);
        assert_eq!(code.scopes, ["openid", "accounts", "payments"]);
        let after = repo.find::<Grant>(&grant_id, later).await.unwrap().unwrap();
        assert_eq!(after.payload.scopes, ["openid", "accounts", "payments"]);
        assert_eq!(after.payload.created, before.payload.created);
        assert!(after.meta.expires_at >= before.meta.expires_at);
        assert!(
            repo.find::<crate::model::records::RefreshToken>("rt-1", later)
                .await
                .unwrap()
                .is_none()
        );
    }

    /// A merge or replace by another customer than the grant's, or into a
    /// grant revoked after PAR, decides nothing and changes nothing:
    /// `GrantRefused` (`invalid_grant_id` at the redirect URI).
    #[tokio::test]
    async fn a_change_of_someone_elses_or_a_revoked_grant_is_refused() {
        use crate::protocol::grant_management::GrantUpdate;
        let (_dir, repo, grant_id) = approved_grant(&["openid", "accounts"]).await;
        let decision = updating(
            &repo,
            (GrantUpdate::Replace, &grant_id),
            "acc-2",
            &["openid"],
            NOW,
        )
        .await;
        assert!(matches!(decision, Decision::GrantRefused { .. }), "{decision:?}");
        let kept = repo.find::<Grant>(&grant_id, NOW).await.unwrap().unwrap();
        assert_eq!(kept.payload.scopes, ["openid", "accounts"]);
        let revocation = crate::store::repo::GrantRevocation {
            now: NOW,
            keep_secs: 3_600,
            cause: crate::store::repo::RevocationCause::GrantManagementRevoke,
        };
        repo.revoke_by_grant_id(&grant_id, revocation).await.unwrap();
        let decision = updating(&repo, (GrantUpdate::Merge, &grant_id), "acc-1", &["openid"], NOW).await;
        assert!(matches!(decision, Decision::GrantRefused { .. }), "{decision:?}");
        assert!(repo.find::<Grant>(&grant_id, NOW).await.unwrap().is_none());
    }

    /// A grant record lives as long as the tokens issued under it can
    /// (code, then access token; with `offline_access`, OIDC Core §11, the
    /// refresh tokens' lifetime too) and the sweeper then deletes it.
    #[tokio::test]
    async fn a_grant_is_swept_once_its_tokens_cannot_live_any_more() {
        for (scopes, lives) in [
            (&["openid"][..], 60 + 300),
            (&["openid", "offline_access"][..], 60 + 3_600 + 300),
        ] {
            let (_dir, repo, grant_id) = approved_grant(scopes).await;
            let grant = repo.find::<Grant>(&grant_id, NOW).await.unwrap().unwrap();
            assert_eq!(grant.meta.expires_at, Some(NOW + lives), "{scopes:?}");
            repo.sweep_all_expired(NOW + lives - 1).await.unwrap();
            assert!(repo.find::<Grant>(&grant_id, NOW).await.unwrap().is_some());
            // The sweeper works in whole expiry buckets (keys.rs, 60 s).
            repo.sweep_all_expired(NOW + lives + 60).await.unwrap();
            assert!(
                repo.find::<Grant>(&grant_id, NOW).await.unwrap().is_none(),
                "{scopes:?}: the grant outlived its tokens"
            );
        }
    }

    /// Revoking a grant deletes the grant record with its tokens.
    #[tokio::test]
    async fn revoking_a_grant_deletes_its_record() {
        let (_dir, repo, grant_id) = approved_grant(&["openid"]).await;
        let revocation = crate::store::repo::revoked::GrantRevocation {
            cause: crate::store::repo::RevocationCause::ClientRevocation,
            now: NOW,
            keep_secs: 3_600,
        };
        assert!(repo.revoke_by_grant_id(&grant_id, revocation).await.unwrap() >= 1);
        assert!(repo.find::<Grant>(&grant_id, NOW).await.unwrap().is_none());
    }

    /// An interaction answers only its runner: an app's is unknown to the
    /// built-in pages and to another app (a foreign id), and its steps are
    /// single use: finished, it is `Used`.
    #[tokio::test]
    async fn an_interaction_answers_only_its_runner_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_store(dir.path()).unwrap();
        let repo = Repo::open(store).await.unwrap();
        repo.upsert("r1", &PushedRequest::sample("c"), Some(60), NOW)
            .await
            .unwrap();
        let app = Runner::App("bank-login");
        let started = start(&repo, "r1", ("c", "C"), (app, 300), NOW)
            .await
            .unwrap()
            .unwrap();
        let id = started.id.as_str();
        let stored = load(&repo, id, NOW).await.unwrap();
        // Only the cookie's hash is kept; no CSRF token for the pages.
        assert_eq!(stored.browser, Some(browser_hash(&started.browser_secret)));
        assert_ne!(stored.browser.as_deref(), Some(started.browser_secret.as_str()));
        assert!(stored.csrf.is_empty());
        for foreign in [Runner::BuiltIn, Runner::App("other-app")] {
            assert!(matches!(
                load_for(&repo, id, foreign, NOW).await,
                Err(InteractionError::Gone)
            ));
            let reported = report_login(&repo, id, foreign, login("acc-1", NOW), NOW).await;
            assert!(matches!(reported, Err(InteractionError::Gone)), "{reported:?}");
        }
        report_login(&repo, id, app, login("acc-1", NOW), NOW)
            .await
            .unwrap();
        report_consent(&repo, id, app, approval(&["openid"]), NOW)
            .await
            .unwrap();
        assert!(matches!(
            finish(&repo, id, Runner::BuiltIn, None, LIFETIMES, NOW).await,
            Err(InteractionError::Gone)
        ));
        let decision = finish(&repo, id, app, None, LIFETIMES, NOW).await.unwrap();
        assert!(matches!(decision, Decision::Approved { .. }), "{decision:?}");
        // The audit record: the customer is the actor; the app is named.
        use crate::store::audit::{Actor, EventType};
        let records = crate::store::audit::read::since(repo.store(), 0, 0)
            .await
            .unwrap();
        let authorised = records
            .iter()
            .map(|r| &r.record)
            .find(|r| r.event == EventType::ConsentAuthorised)
            .expect("a consent_authorised record");
        assert_eq!(authorised.actor, Actor::Customer("acc-1".into()));
        assert!(
            authorised
                .targets
                .iter()
                .any(|t| t.kind == APP_TARGET && t.id == "bank-login"),
            "{authorised:?}"
        );
        assert!(matches!(
            finish(&repo, id, app, None, LIFETIMES, NOW).await,
            Err(InteractionError::Used)
        ));
        assert!(matches!(
            report_login(&repo, id, app, login("acc-1", NOW), NOW).await,
            Err(InteractionError::Used)
        ));
        // Past its lifetime it is gone.
        assert!(matches!(
            load(&repo, id, NOW + 301).await,
            Err(InteractionError::Gone)
        ));
    }

    /// RFC 9126 §4: a request_uri starts one interaction, once; another
    /// client's request_uri is refused and used up; an unknown one is refused.
    #[tokio::test]
    async fn a_request_uri_starts_one_interaction_once_rfc9126_s4() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_store(dir.path()).unwrap();
        let repo = Repo::open(store).await.unwrap();
        repo.upsert("r1", &PushedRequest::sample("c"), Some(60), NOW)
            .await
            .unwrap();
        repo.upsert("r2", &PushedRequest::sample("c"), Some(60), NOW)
            .await
            .unwrap();

        let Started {
            id,
            browser_secret: csrf,
        } = start(&repo, "r1", ("c", "C"), (Runner::BuiltIn, 600), NOW)
            .await
            .unwrap()
            .unwrap();
        let interaction = load(&repo, &id, NOW).await.unwrap();
        assert_eq!((interaction.csrf, interaction.stage), (csrf, Stage::Login));
        assert_eq!(interaction.client_name, "C");
        assert_eq!(
            start(&repo, "r1", ("c", "C"), (Runner::BuiltIn, 600), NOW)
                .await
                .unwrap(),
            Err(PushedRefusal::Used)
        );
        assert_eq!(
            start(&repo, "r2", ("other", "O"), (Runner::BuiltIn, 600), NOW)
                .await
                .unwrap(),
            Err(PushedRefusal::OtherClient)
        );
        assert_eq!(
            start(&repo, "r2", ("c", "C"), (Runner::BuiltIn, 600), NOW)
                .await
                .unwrap(),
            Err(PushedRefusal::Used)
        );
        assert_eq!(
            start(&repo, "nope", ("c", "C"), (Runner::BuiltIn, 600), NOW)
                .await
                .unwrap(),
            Err(PushedRefusal::Unknown)
        );
    }

    /// OBIE Account Access Consents: a consent past its
    /// `ExpirationDateTime` cannot be approved (it keeps awaiting
    /// authorisation and the authorization ends as declined); it can still
    /// be declined.
    #[tokio::test]
    async fn an_expired_consent_cannot_be_approved() {
        use crate::consent::state::ConsentStatus;
        use crate::consent::{AccountAccess, Consent, ConsentKind};
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_store(dir.path()).unwrap();
        let repo = Repo::open(store).await.unwrap();
        let mut consent = crate::consent::tests::consent("c", &crate::consent::tests::payment_request());
        consent.kind = ConsentKind::AccountAccess(AccountAccess {
            permissions: vec!["ReadBalances".into()],
            // Unix 1000, NOW.
            expiration: Some("1970-01-01T00:16:40Z".into()),
            transaction_from: None,
            transaction_to: None,
        });
        let id = consent.consent_id.clone();
        repo.upsert(&id, &consent, None, NOW - 1).await.unwrap();
        let decide = |approve: bool| {
            let (repo, id) = (repo.clone(), id.clone());
            async move {
                repo.store()
                    .run(|tx, _| {
                        let id = id.clone();
                        async move {
                            let decided = crate::consent::decision::ConsentDecided {
                                approve,
                                account_id: "alice",
                                grant_id: "g",
                                debtor: None,
                                app: None,
                            };
                            crate::consent::decision::decide_consent(
                                &tx,
                                &id,
                                "c",
                                decided,
                                (NOW, LIFETIMES.consent),
                            )
                            .await
                        }
                    })
                    .await
                    .unwrap()
            }
        };
        let status = || async {
            repo.find::<Consent>(&id, NOW)
                .await
                .unwrap()
                .unwrap()
                .payload
                .status
        };
        assert!(!decide(true).await, "an expired consent is not approved");
        assert_eq!(status().await, ConsentStatus::AwaitingAuthorisation);
        assert!(!decide(false).await);
        assert_eq!(status().await, ConsentStatus::Rejected);
    }
}
