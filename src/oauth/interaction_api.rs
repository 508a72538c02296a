//! The interaction API's operations (issue 25): what the bank's login and
//! consent app (an interaction app, `oauth::interaction_app`) may do with
//! an interaction handed to it. Read what is asked; report the login;
//! report the consent; get the URL to send the browser back to. The same
//! steps of `oauth::interaction` that the built-in pages take
//! (`report_login`, `report_consent`, `finish`), so both produce the same
//! grant, code and audit records.
//!
//! An interaction is answered only to the app it was handed to: another
//! app's id, an unknown or expired one are the same `NotFound`, so an app
//! learns nothing about interactions that are not its own. What the app
//! reports is checked against the request: an existing, enabled customer
//! (`sub`); `auth_time` not in the future and within `max_age` (OIDC Core
//! §3.1.2.1), after the request's start with `prompt=login`; granted
//! scopes and claims a subset of those asked; the debtor account one of
//! the customer's (`consent::debtor`). `now` is passed in.

use crate::config::ResourceServerConfig;
use crate::model::authentication::{Authenticated, ConsentAnswer};
use crate::model::records::{Interaction, Stage};
use crate::oauth::interaction::{self, InteractionError, Runner};
use crate::oauth::op::OpState;
use serde::Deserialize;
use serde_json::{Value, json};

/// The clock difference allowed between the app and the OP, in seconds.
pub const CLOCK_SKEW_SECS: u64 = 60;
/// The longest `acr`, `amr` value or account identification accepted.
const MAX_VALUE_LEN: usize = 256;
/// The most `amr` values, granted scopes or granted claims accepted.
const MAX_VALUES: usize = 64;

/// Why an operation is refused (RFC 9457 problem types at the HTTP layer,
/// `http/endpoints/interaction_api.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// Unknown, expired, or another app's interaction.
    NotFound,
    /// The step does not fit the interaction's stage.
    WrongStage(&'static str),
    /// The interaction was finished: its id is single use.
    Used,
    /// The CIBA request was decided before (one decision per request).
    AlreadyDecided,
    /// The body or a reported value is not acceptable.
    Invalid(String),
    /// The store failed; try again.
    Unavailable,
}

impl From<InteractionError> for ApiError {
    fn from(e: InteractionError) -> Self {
        match e {
            InteractionError::Gone => ApiError::NotFound,
            InteractionError::WrongStage => ApiError::WrongStage("this step is not expected now"),
            // Only the built-in login links a payment to its second factor.
            InteractionError::PaymentChanged => {
                ApiError::WrongStage("the payment changed: authenticate again")
            }
            InteractionError::Used => ApiError::Used,
            InteractionError::Store(_) | InteractionError::Random(_) => ApiError::Unavailable,
        }
    }
}

/// A body naming only the interaction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionRef {
    /// The id the browser brought to the app.
    pub interaction_id: String,
}

/// The login report (OIDC Core §2).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginReport {
    /// The interaction.
    pub interaction_id: String,
    /// The customer's account id.
    pub sub: String,
    /// The Authentication Context Class Reference reached.
    #[serde(default)]
    pub acr: Option<String>,
    /// The methods used (RFC 8176).
    #[serde(default)]
    pub amr: Vec<String>,
    /// When the customer authenticated, Unix seconds.
    pub auth_time: u64,
}

/// The consent report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentReport {
    /// The interaction.
    pub interaction_id: String,
    /// Approve or deny.
    pub approve: bool,
    /// The scopes granted; default: all asked.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// The claims granted, by name, among those the `claims` request asks
    /// for; default: all asked.
    #[serde(default)]
    pub claims: Option<Vec<String>>,
    /// The identification of the account to pay from, for a UK OBIE
    /// payment consent that left it open.
    #[serde(default)]
    pub debtor_account: Option<String>,
}

/// What the interaction asks: client, scopes, claims, RAR details, UK OBIE
/// intent, `acr_values` and essential `acr`, `max_age`, `login_hint`,
/// `prompt`; its stage, and, once the customer is known, the accounts a
/// payment consent lets them pay from and the grant management action
/// (`merge` / `replace`) when the request changes their own grant.
pub async fn read(op: &OpState, app: &ResourceServerConfig, id: &str, now: u64) -> Result<Value, ApiError> {
    let ix = interaction::load_for(&op.services.repo, id, Runner::App(&app.id), now).await?;
    let request = &ix.request;
    let parsed = |text: Option<&str>| text.and_then(|t| serde_json::from_str::<Value>(t).ok());
    let split = |text: Option<&str>| text.map(|t| t.split(' ').map(str::to_string).collect::<Vec<_>>());
    let (stage, sub) = match &ix.stage {
        // Only the built-in login asks for a second factor itself.
        Stage::Login | Stage::SecondFactor(_) => ("login", None),
        Stage::Consent(login) => ("consent", Some(login.account_id.as_str())),
        Stage::Decided(login, _) => ("decided", Some(login.account_id.as_str())),
        Stage::Abandoned(_) => ("abandoned", None),
        Stage::Done => return Err(ApiError::Used),
    };
    let debtor_accounts = match sub {
        Some(sub) => debtor_choices(op, &ix, sub, now).await?,
        None => Vec::new(),
    };
    let (payments, sca) = payments_and_sca(op, &ix, now).await?;
    // Grant Management §5.2: a merge or replace of the customer's own
    // grant, for the app to say so (as the built-in consent page does).
    let grant_management_action = match sub {
        Some(account_id) => {
            let asker = super::grant_management::apply::Asker {
                client_id: &request.client_id,
                account_id,
            };
            super::grant_management::carry::shown_update(&op.services.repo, id, asker, now)
                .await
                .map_err(|_| ApiError::Unavailable)?
                .map(|update| update.as_str())
        }
        None => None,
    };
    Ok(json!({
        "client": {"client_id": request.client_id, "client_name": ix.client_name},
        "redirect_uri": request.redirect_uri,
        "stage": stage,
        "sub": sub,
        "scopes": request.scopes,
        "claims": parsed(request.claims.as_deref()),
        "authorization_details": parsed(request.authorization_details.as_deref()),
        "openbanking_intent_id": request.openbanking_intent_id,
        "acr_values": split(request.authentication.acr_values.as_deref()),
        "essential_acr": super::acr_requirement::essential(request.claims.as_deref()),
        "max_age": request.authentication.max_age,
        "login_hint": request.authentication.login_hint,
        "prompt": split(request.authentication.prompt.as_deref()),
        "debtor_accounts": debtor_accounts,
        "payments": payments,
        "sca": sca,
        "grant_management_action": grant_management_action,
    }))
}

/// The payments the interaction authorises, as the app must show them
/// (PSD2 RTS Art. 5(1)(a): amount and payee), and what the request needs
/// of the login (`oauth::sca::requirement`: `required` for a payment or a
/// demanded `urn:openbanking:psd2:sca`, `preferred`, else `password`), so
/// that an app applies the bank's rule without knowing it.
async fn payments_and_sca(
    op: &OpState,
    ix: &Interaction,
    now: u64,
) -> Result<(Vec<Value>, &'static str), ApiError> {
    let terms = super::sca::payment_terms(&op.services.repo, &ix.request, now)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let payments_need_sca = !op.config.get().login.totp.danger_payments_without_sca;
    let sca = match super::sca::requirement(&ix.request, !terms.is_empty(), payments_need_sca) {
        super::sca::Requirement::Required => "required",
        super::sca::Requirement::Preferred => "preferred",
        super::sca::Requirement::Password => "password",
    };
    let payments = terms
        .iter()
        .map(|t| {
            json!({
                "amount": t.amount, "currency": t.currency, "payee_name": t.payee_name,
                "payee_account": {"scheme_name": t.payee_account.0, "identification": t.payee_account.1},
            })
        })
        .collect();
    Ok((payments, sca))
}

/// The accounts the customer may pay from, when the interaction's UK OBIE
/// payment consent left `DebtorAccount` open (`consent::debtor::choices`).
async fn debtor_choices(op: &OpState, ix: &Interaction, sub: &str, now: u64) -> Result<Vec<Value>, ApiError> {
    let Some(consent_id) = &ix.request.openbanking_intent_id else {
        return Ok(Vec::new());
    };
    let consent = op
        .services
        .repo
        .find::<crate::consent::Consent>(consent_id, now)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .ok_or(ApiError::NotFound)?;
    let user = op
        .services
        .users
        .find_by_account_id(sub, now)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .ok_or(ApiError::NotFound)?;
    Ok(crate::consent::debtor::choices(&consent.payload, &user.accounts)
        .into_iter()
        .map(|a| json!({"identification": a.identification, "currency": a.currency, "name": a.name}))
        .collect())
}

/// Records the login the app reports: `Login -> Consent`.
pub async fn report_login(
    op: &OpState,
    app: &ResourceServerConfig,
    report: LoginReport,
    now: u64,
) -> Result<Value, ApiError> {
    let runner = Runner::App(&app.id);
    let ix = interaction::load_for(&op.services.repo, &report.interaction_id, runner, now).await?;
    check_login(&ix, &report, now)?;
    // The customer must exist and be enabled (`Users::find_by_account_id`
    // skips a disabled account).
    let user = op
        .services
        .users
        .find_by_account_id(&report.sub, now)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    if user.is_none() {
        return Err(ApiError::Invalid("`sub` names no customer account".into()));
    }
    let login = Authenticated {
        account_id: report.sub,
        auth_time: report.auth_time,
        acr: report.acr,
        amr: report.amr,
        payment_link: None,
    };
    let audit = (login.account_id.clone(), ix.request.client_id.clone());
    interaction::report_login(&op.services.repo, &report.interaction_id, runner, login, now).await?;
    tracing::info!(target: "fiducia::audit", account_id = %audit.0, client_id = %audit.1, interaction_app = %app.id, "customer authenticated by the interaction app");
    Ok(json!({"stage": "consent"}))
}

/// The reported login's own checks, `now` passed in: bounded values,
/// `auth_time` not in the future, within `max_age` (OIDC Core §3.1.2.1:
/// the OP must actively re-authenticate past it, so a stale one is
/// refused and the app must authenticate the customer again), and after
/// the request started with `prompt=login`.
pub fn check_login(ix: &Interaction, report: &LoginReport, now: u64) -> Result<(), ApiError> {
    let invalid = |m: &str| Err(ApiError::Invalid(m.to_string()));
    if report.sub.is_empty() || report.sub.len() > MAX_VALUE_LEN {
        return invalid("`sub` must be 1 to 256 characters");
    }
    if report
        .acr
        .as_ref()
        .is_some_and(|a| a.is_empty() || a.len() > MAX_VALUE_LEN)
        || report.amr.len() > MAX_VALUES
        || report.amr.iter().any(|m| m.is_empty() || m.len() > MAX_VALUE_LEN)
    {
        return invalid("`acr` and `amr` values must be 1 to 256 characters, at most 64 `amr` values");
    }
    if report.auth_time > now.saturating_add(CLOCK_SKEW_SECS) {
        return invalid("`auth_time` is in the future");
    }
    let asked = &ix.request.authentication;
    if let Some(max_age) = asked.max_age
        && now.saturating_sub(report.auth_time) > max_age.saturating_add(CLOCK_SKEW_SECS)
    {
        return invalid(
            "`auth_time` is older than the request's max_age: authenticate the customer again (OIDC Core §3.1.2.1)",
        );
    }
    if asked.prompts("login") && report.auth_time.saturating_add(CLOCK_SKEW_SECS) < ix.started {
        return invalid(
            "the request has prompt=login: authenticate the customer again, after the request started (OIDC Core §3.1.2.1)",
        );
    }
    Ok(())
}

/// Records the consent the app reports: `Consent -> Decided`; answers the
/// URL to send the browser back to.
pub async fn report_consent(
    op: &OpState,
    app: &ResourceServerConfig,
    report: ConsentReport,
    now: u64,
) -> Result<Value, ApiError> {
    let runner = Runner::App(&app.id);
    let id = report.interaction_id.clone();
    let ix = interaction::load_for(&op.services.repo, &id, runner, now).await?;
    let login = match &ix.stage {
        Stage::Consent(login) => login.clone(),
        Stage::Login | Stage::SecondFactor(_) => return Err(ApiError::WrongStage("report the login first")),
        Stage::Decided(..) => return Err(ApiError::WrongStage("the consent was reported already")),
        Stage::Abandoned(_) => return Err(ApiError::WrongStage("the interaction was abandoned")),
        Stage::Done => return Err(ApiError::Used),
    };
    let answer = consent_answer(&ix, report)?;
    if answer.approve {
        // The account must be one the customer may pay from.
        let choice = answer.debtor_account.as_deref();
        match crate::oauth::interaction_debtor::resolve(op, &ix.request, &login.account_id, choice).await? {
            Ok(_) => {}
            Err(problem) => return Err(ApiError::Invalid(problem.to_string())),
        }
    }
    interaction::report_consent(&op.services.repo, &id, runner, answer, now).await?;
    Ok(json!({"stage": "decided", "return_to": return_url(op, &id)}))
}

/// The consent answer a report makes, checked against the request:
/// granted scopes within those asked (`openid` kept when asked: the ID
/// token is how the client learns who approved), granted claims among
/// those asked.
pub fn consent_answer(ix: &Interaction, report: ConsentReport) -> Result<ConsentAnswer, ApiError> {
    let request = &ix.request;
    if !report.approve {
        return Ok(ConsentAnswer {
            approve: false,
            scopes: Vec::new(),
            claims: None,
            debtor_account: None,
        });
    }
    let scopes = match report.scopes {
        None => request.scopes.clone(),
        Some(scopes) => {
            if scopes.len() > MAX_VALUES || scopes.iter().any(|s| !request.scopes.contains(s)) {
                return Err(ApiError::Invalid(
                    "granted scopes must be among those asked".into(),
                ));
            }
            let openid = "openid";
            if request.scopes.iter().any(|s| s == openid) && !scopes.iter().any(|s| s == openid) {
                return Err(ApiError::Invalid("`openid` was asked and must be granted".into()));
            }
            // In the request's order, once each.
            request
                .scopes
                .iter()
                .filter(|s| scopes.contains(s))
                .cloned()
                .collect()
        }
    };
    let claims = match report.claims {
        None => request.claims.clone(),
        Some(names) => granted_claims(request.claims.as_deref(), &names)?,
    };
    if report
        .debtor_account
        .as_ref()
        .is_some_and(|d| d.len() > MAX_VALUE_LEN)
    {
        return Err(ApiError::Invalid("`debtor_account` is too long".into()));
    }
    Ok(ConsentAnswer {
        approve: true,
        scopes,
        claims,
        debtor_account: report.debtor_account,
    })
}

/// Claims the OP adds whatever the customer grants: they are not end-user
/// data (`acr`, OIDC Core §5.5.1.1; the UK OBIE intent the request names).
const OP_CLAIMS: &[&str] = &["acr", crate::protocol::intent_claim::CLAIM];

/// The `claims` request (OIDC Core §5.5) reduced to `names` in each of its
/// `id_token` and `userinfo` members; a name it does not ask is refused.
fn granted_claims(asked: Option<&str>, names: &[String]) -> Result<Option<String>, ApiError> {
    let Some(asked) = asked else {
        return match names.is_empty() {
            true => Ok(None),
            false => Err(ApiError::Invalid("the request asks for no claims".into())),
        };
    };
    let mut request: Value = serde_json::from_str(asked)
        .map_err(|_| ApiError::Invalid("the stored claims request does not parse".into()))?;
    let asked_names: Vec<String> = ["id_token", "userinfo"]
        .iter()
        .filter_map(|m| request.get(m).and_then(Value::as_object))
        .flat_map(|o| o.keys().cloned())
        .collect();
    if names.len() > MAX_VALUES || names.iter().any(|n| !asked_names.contains(n)) {
        return Err(ApiError::Invalid(
            "granted claims must be among those asked".into(),
        ));
    }
    for member in ["id_token", "userinfo"] {
        if let Some(object) = request.get_mut(member).and_then(Value::as_object_mut) {
            object.retain(|name, _| names.contains(name) || OP_CLAIMS.contains(&name.as_str()));
        }
    }
    Ok(Some(request.to_string()))
}

/// `POST /interaction-api/abandon`: the app gives up.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbandonReport {
    /// The interaction.
    pub interaction_id: String,
    /// `sca_unavailable`, `customer_cancelled` or `login_required`.
    pub reason: String,
}

/// Records that the app gave up (any stage before the consent is
/// reported) and answers the URL to send the browser back to, where the
/// client gets the reason's error at its redirect URI (OIDC Core
/// §3.1.2.6: `unmet_authentication_requirements` for `sca_unavailable`,
/// `access_denied` for `customer_cancelled`, `login_required`).
pub async fn abandon(
    op: &OpState,
    app: &ResourceServerConfig,
    report: AbandonReport,
    now: u64,
) -> Result<Value, ApiError> {
    let reason = crate::model::records::AbandonReason::parse(&report.reason).ok_or_else(|| {
        ApiError::Invalid("`reason` must be sca_unavailable, customer_cancelled or login_required".into())
    })?;
    let runner = Runner::App(&app.id);
    let id = &report.interaction_id;
    let ix = interaction::load_for(&op.services.repo, id, runner, now).await?;
    interaction::app_abandon(&op.services.repo, id, runner, reason, now).await?;
    tracing::info!(target: "fiducia::audit", client_id = %ix.request.client_id, interaction_app = %app.id, reason = %report.reason, "the interaction app abandoned an interaction");
    Ok(json!({"stage": "abandoned", "return_to": return_url(op, id)}))
}

/// The URL the app sends the browser to once the consent is reported.
pub async fn return_to(
    op: &OpState,
    app: &ResourceServerConfig,
    id: &str,
    now: u64,
) -> Result<Value, ApiError> {
    let ix = interaction::load_for(&op.services.repo, id, Runner::App(&app.id), now).await?;
    match ix.stage {
        Stage::Decided(..) | Stage::Abandoned(_) => Ok(json!({"return_to": return_url(op, id)})),
        Stage::Done => Err(ApiError::Used),
        _ => Err(ApiError::WrongStage("report the login and the consent first")),
    }
}

/// `{issuer}/interaction/return?interaction_id=...`.
fn return_url(op: &OpState, id: &str) -> String {
    let base = format!(
        "{}{}",
        op.config.issuer(),
        crate::protocol::paths::INTERACTION_RETURN
    );
    crate::protocol::form::with_query(&base, &[(super::interaction_app::ID_PARAM, id)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::authentication::AuthenticationRequest;
    use crate::model::records::PushedRequest;

    const NOW: u64 = 1_000_000;

    fn interaction(authentication: AuthenticationRequest, claims: Option<&str>) -> Interaction {
        Interaction {
            request: PushedRequest {
                scopes: vec!["openid".into(), "profile".into(), "email".into()],
                claims: claims.map(str::to_string),
                authentication,
                ..PushedRequest::sample("c")
            },
            client_name: "C".into(),
            csrf: String::new(),
            stage: Stage::Login,
            app: Some("bank-login".into()),
            browser: Some("hash".into()),
            started: NOW - 10,
        }
    }

    fn report(auth_time: u64) -> LoginReport {
        LoginReport {
            interaction_id: "ix".into(),
            sub: "acc-1".into(),
            acr: Some("urn:openbanking:psd2:sca".into()),
            amr: vec!["pwd".into(), "otp".into()],
            auth_time,
        }
    }

    /// OIDC Core §3.1.2.1: past `max_age` the customer must authenticate
    /// again; with `prompt=login`, after the request; never in the future.
    #[test]
    fn a_login_must_be_fresh_enough_oidc_core_3_1_2_1() {
        let plain = interaction(AuthenticationRequest::default(), None);
        assert_eq!(check_login(&plain, &report(NOW - 86_400), NOW), Ok(()));
        assert!(check_login(&plain, &report(NOW + 3_600), NOW).is_err());
        let max_age = AuthenticationRequest {
            max_age: Some(300),
            ..AuthenticationRequest::default()
        };
        let asked = interaction(max_age, None);
        assert_eq!(check_login(&asked, &report(NOW - 300), NOW), Ok(()));
        assert!(check_login(&asked, &report(NOW - 3_600), NOW).is_err());
        let prompt = AuthenticationRequest {
            prompt: Some("login consent".into()),
            ..AuthenticationRequest::default()
        };
        let asked = interaction(prompt, None);
        assert_eq!(check_login(&asked, &report(NOW - 5), NOW), Ok(()));
        assert!(check_login(&asked, &report(NOW - 3_600), NOW).is_err());
        let mut long = report(NOW);
        long.amr = vec!["x".repeat(300)];
        assert!(check_login(&plain, &long, NOW).is_err());
    }

    fn consent(scopes: Option<&[&str]>, claims: Option<&[&str]>) -> ConsentReport {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        ConsentReport {
            interaction_id: "ix".into(),
            approve: true,
            scopes: scopes.map(list),
            claims: claims.map(list),
            debtor_account: None,
        }
    }

    /// Granted scopes and claims are subsets of those asked; `openid` stays.
    #[test]
    fn a_consent_grants_at_most_what_was_asked() {
        let claims =
            r#"{"id_token":{"email":null,"acr":{"essential":true}},"userinfo":{"name":null,"email":null}}"#;
        let ix = interaction(AuthenticationRequest::default(), Some(claims));
        let all = consent_answer(&ix, consent(None, None)).unwrap();
        assert_eq!(all.scopes, ix.request.scopes);
        assert_eq!(all.claims.as_deref(), Some(claims));
        let fewer = consent_answer(&ix, consent(Some(&["email", "openid"]), Some(&["email"]))).unwrap();
        assert_eq!(fewer.scopes, vec!["openid".to_string(), "email".to_string()]);
        let granted: Value = serde_json::from_str(fewer.claims.as_deref().unwrap()).unwrap();
        assert_eq!(
            granted,
            json!({"id_token": {"email": null, "acr": {"essential": true}}, "userinfo": {"email": null}})
        );
        assert!(consent_answer(&ix, consent(Some(&["openid", "accounts"]), None)).is_err());
        assert!(
            consent_answer(&ix, consent(Some(&["email"]), None)).is_err(),
            "openid dropped"
        );
        assert!(consent_answer(&ix, consent(None, Some(&["phone_number"]))).is_err());
        let denied = ConsentReport {
            approve: false,
            ..consent(Some(&["nonsense"]), None)
        };
        assert!(!consent_answer(&ix, denied).unwrap().approve);
    }
}
