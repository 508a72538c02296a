//! Strong customer authentication (PSD2 RTS, (EU) 2018/389, Art. 4) in the
//! built-in login: when the password is not enough, and the second factor.
//!
//! - [`requirement`]: SCA is required for a payment (a UK OBIE payment
//!   consent or a `payment_initiation` detail: RTS Art. 4(1) and 5, unless
//!   `[login.totp] danger_payments_without_sca`), and for a request that
//!   demands `urn:openbanking:psd2:sca` without accepting
//!   `urn:openbanking:psd2:ca`, as an essential `acr` (OIDC Core
//!   §5.5.1.1) or in `acr_values` (§3.1.2.1). `acr_values` naming SCA
//!   before CA prefers it: done when the customer has a factor.
//! - A customer without an enrolled factor asked for SCA: the request ends
//!   with `unmet_authentication_requirements` (OpenID Connect Core Error
//!   Code 1.0; OIDC Core §5.5.1.1's failed authentication), never a
//!   password-only login in its place.
//! - [`check_code`]: a TOTP code (`protocol::totp`, RFC 6238 §5.2 ±1 step)
//!   and its time step marked used for the customer in the store
//!   (`oauth::replay`, cluster-wide), so each code works once.
//! - [`payment_terms_in`]: what the code is linked to (RTS Art. 5,
//!   `protocol::payment_link`), read again inside the consent step's
//!   transaction (`interaction::finish`).

use crate::login::user::TotpFactor;
use crate::model::records::PushedRequest;
use crate::protocol::acr::{CA as ACR_PASSWORD, SCA as ACR_SCA};
use crate::protocol::payment_link::{self, PaymentTerms};
use crate::protocol::rar::AuthorizationDetails;
use crate::protocol::totp;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::{Repo, ops};

pub use crate::protocol::acr::{AMR_PASSWORD, AMR_SCA};

/// What a request needs of the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// The password is enough.
    Password,
    /// `acr_values` prefers SCA: done when the customer has a factor.
    Preferred,
    /// SCA or nothing.
    Required,
}

/// What `request` (a payment or not) needs; `payments_need_sca` is
/// `!danger_payments_without_sca`.
pub fn requirement(request: &PushedRequest, is_payment: bool, payments_need_sca: bool) -> Requirement {
    if is_payment && payments_need_sca {
        return Requirement::Required;
    }
    if let Some(values) = super::acr_requirement::essential(request.claims.as_deref())
        && demands_sca(values.iter().map(String::as_str))
    {
        return Requirement::Required;
    }
    let Some(acr_values) = request.authentication.acr_values.as_deref() else {
        return Requirement::Password;
    };
    if demands_sca(acr_values.split(' ')) {
        return Requirement::Required;
    }
    // §3.1.2.1: in order of preference.
    let sca = acr_values.split(' ').position(|v| v == ACR_SCA);
    let ca = acr_values.split(' ').position(|v| v == ACR_PASSWORD);
    match (sca, ca) {
        (Some(s), Some(c)) if s < c => Requirement::Preferred,
        _ => Requirement::Password,
    }
}

/// [`requirement`] for a request that carries only `acr_values` (in
/// order of preference) and no `claims` request: a CIBA request (CIBA
/// Core §7.1).
pub fn requirement_for_acr_values(
    acr_values: &[String],
    is_payment: bool,
    payments_need_sca: bool,
) -> Requirement {
    if is_payment && payments_need_sca {
        return Requirement::Required;
    }
    let values = || acr_values.iter().map(String::as_str);
    if demands_sca(values()) {
        return Requirement::Required;
    }
    let sca = values().position(|v| v == ACR_SCA);
    let ca = values().position(|v| v == ACR_PASSWORD);
    match (sca, ca) {
        (Some(s), Some(c)) if s < c => Requirement::Preferred,
        _ => Requirement::Password,
    }
}

/// Names SCA and not the password login's value.
fn demands_sca<'a>(mut values: impl Iterator<Item = &'a str> + Clone) -> bool {
    values.clone().any(|v| v == ACR_SCA) && !values.any(|v| v == ACR_PASSWORD)
}

/// The payment terms of `request` as the store holds them now, inside
/// `tx`: its UK OBIE payment consent's, or its `payment_initiation`
/// details'; empty when it asks no payment. Stored details that no longer
/// parse are a store error (they were checked at PAR).
pub async fn payment_terms_in(
    tx: &Transaction,
    request: &PushedRequest,
    now: u64,
) -> Result<Vec<PaymentTerms>, KvError> {
    let mut terms = Vec::new();
    if let Some(consent_id) = &request.openbanking_intent_id
        && let Some(found) = ops::find::<crate::consent::Consent>(tx, consent_id, now).await?
        && let Some(t) = crate::consent::intent::payment_terms(&found.payload)
    {
        terms.push(t);
    }
    if let Some(stored) = request.authorization_details.as_deref() {
        let details = AuthorizationDetails::from_stored(stored)
            .map_err(|e| KvError::Corrupt(format!("stored authorization_details: {e}")))?;
        terms.extend(payment_link::from_details(&details));
    }
    Ok(terms)
}

/// [`payment_terms_in`] in a transaction of its own.
pub async fn payment_terms(
    repo: &Repo,
    request: &PushedRequest,
    now: u64,
) -> Result<Vec<PaymentTerms>, KvError> {
    repo.store()
        .run(|tx, _| async move { payment_terms_in(&tx, request, now).await })
        .await
}

/// How a presented code fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, and its time step was not used before: now it is.
    Accepted,
    /// Not the code of any step in the window (or not six digits).
    Wrong,
    /// The code of a step already used by this customer (RFC 6238 §5.2).
    Replayed,
}

/// RFC 6238 §5.2: checks `code` against `factor` at `now` and marks its
/// time step used for `account_id` (once per customer, in the store: any
/// node sees it) until no window can accept it again.
pub async fn check_code(
    repo: &Repo,
    account_id: &str,
    factor: &TotpFactor,
    code: &str,
    now: u64,
) -> Result<CodeCheck, KvError> {
    let Some(step) = totp::verify(&factor.secret, code.trim(), now) else {
        return Ok(CodeCheck::Wrong);
    };
    // Accepted while the current step is within `WINDOW` of it.
    let usable_until = step
        .saturating_add(totp::WINDOW + 1)
        .saturating_mul(totp::STEP_SECS);
    let namespace = format!("totp-step {account_id}");
    let first = super::replay::first_use(repo, &namespace, &step.to_string(), usable_until, now).await?;
    Ok(if first {
        CodeCheck::Accepted
    } else {
        CodeCheck::Replayed
    })
}

/// The audit record of a factor locked after consecutive wrong codes: the
/// customer and how long; never a code.
pub fn lockout_event(account_id: &str, lockout_secs: u64) -> crate::store::audit::AuditEvent {
    use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
    AuditEvent::new(
        EventType::SecondFactorLocked,
        Actor::Customer(account_id.to_string()),
        Target::new("customer", account_id),
    )
    .with_change(Change::state("lockout_secs", None, &lockout_secs.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::authentication::AuthenticationRequest;

    fn request(claims: Option<&str>, acr_values: Option<&str>) -> PushedRequest {
        PushedRequest {
            claims: claims.map(str::to_string),
            authentication: AuthenticationRequest {
                acr_values: acr_values.map(str::to_string),
                ..AuthenticationRequest::default()
            },
            ..PushedRequest::sample("c")
        }
    }

    /// PSD2 RTS Art. 4 and 5: every payment; OIDC Core §5.5.1.1 and
    /// §3.1.2.1: an essential acr or acr_values naming SCA only; CA
    /// accepted too: the password is enough; SCA preferred: done if it can.
    #[test]
    fn when_sca_is_required_rts_art_4_oidc_core_5_5_1_1() {
        let sca = r#"{"id_token":{"acr":{"essential":true,"value":"urn:openbanking:psd2:sca"}}}"#;
        let either = r#"{"id_token":{"acr":{"essential":true,"values":["urn:openbanking:psd2:sca","urn:openbanking:psd2:ca"]}}}"#;
        let plain = request(None, None);
        assert_eq!(requirement(&plain, true, true), Requirement::Required);
        assert_eq!(requirement(&plain, true, false), Requirement::Password);
        assert_eq!(requirement(&plain, false, true), Requirement::Password);
        assert_eq!(
            requirement(&request(Some(sca), None), false, true),
            Requirement::Required
        );
        assert_eq!(
            requirement(&request(Some(sca), None), true, false),
            Requirement::Required
        );
        assert_eq!(
            requirement(&request(Some(either), None), false, true),
            Requirement::Password
        );
        assert_eq!(
            requirement(&request(None, Some("urn:openbanking:psd2:sca")), false, true),
            Requirement::Required
        );
        assert_eq!(
            requirement(
                &request(None, Some("urn:openbanking:psd2:sca urn:openbanking:psd2:ca")),
                false,
                true
            ),
            Requirement::Preferred
        );
        assert_eq!(
            requirement(
                &request(None, Some("urn:openbanking:psd2:ca urn:openbanking:psd2:sca")),
                false,
                true
            ),
            Requirement::Password
        );
    }

    /// RFC 6238 §5.2: a right code is accepted once per customer; the same
    /// code again is a replay, also on another node (the mark is in the
    /// store); a wrong code is wrong; another customer's steps are theirs.
    #[tokio::test]
    async fn a_code_is_accepted_once_rfc6238_s5_2() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::store::embedded::open_store(dir.path()).unwrap();
        let repo = Repo::open(store).await.unwrap();
        let factor = TotpFactor {
            secret: b"12345678901234567890".to_vec(),
            enrolled_at: 0,
        };
        let now = 1_111_111_111;
        let code = totp::code_at(&factor.secret, now);
        assert_eq!(
            check_code(&repo, "a", &factor, &code, now).await.unwrap(),
            CodeCheck::Accepted
        );
        assert_eq!(
            check_code(&repo, "a", &factor, &code, now + 1).await.unwrap(),
            CodeCheck::Replayed
        );
        assert_eq!(
            check_code(&repo, "b", &factor, &code, now).await.unwrap(),
            CodeCheck::Accepted
        );
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(
            check_code(&repo, "a", &factor, wrong, now).await.unwrap(),
            CodeCheck::Wrong
        );
        // The next step's code is a new code.
        let next = totp::code_at(&factor.secret, now + 30);
        assert_eq!(
            check_code(&repo, "a", &factor, &next, now + 30).await.unwrap(),
            CodeCheck::Accepted
        );
    }
}
