//! The customer's decision on a UK OBIE consent, inside the transaction
//! that records the authorization decision (the redirect flow's consent
//! page, `oauth::interaction`, and the CIBA device's answer,
//! `oauth::ciba::decision`): AwaitingAuthorisation -> Authorised (with the
//! customer, the grant and, for a payment, the debtor chosen) or Rejected.

use super::state::ConsentEvent;
use super::{CashAccount, Consent};
use crate::store::repo::ops;

/// What the customer decided on a UK OBIE consent.
pub struct ConsentDecided<'a> {
    /// Approved (else rejected).
    pub approve: bool,
    /// The customer.
    pub account_id: &'a str,
    /// The grant the approval made.
    pub grant_id: &'a str,
    /// The account chosen to pay from, when the fintech left it open.
    pub debtor: Option<&'a CashAccount>,
    /// The interaction app that reported the decision (a
    /// `[[resource_servers]]` id), named in the audit record; `None`: the
    /// built-in consent page.
    pub app: Option<&'a str>,
}

/// Moves consent `consent_id` of `client_id` on by the customer's decision;
/// whether the authorization may go on (approved, and the consent was
/// awaiting authorisation).
pub async fn decide_consent(
    tx: &crate::store::kv::Transaction,
    consent_id: &str,
    client_id: &str,
    decided: ConsentDecided<'_>,
    (now, lifetimes): (u64, crate::consent::Lifetimes),
) -> Result<bool, crate::store::kv::KvError> {
    let Some(found) = ops::find::<Consent>(tx, consent_id, now).await? else {
        return Ok(false);
    };
    let mut consent = found.payload;
    let ConsentDecided {
        approve,
        account_id,
        grant_id,
        debtor,
        app,
    } = decided;
    let event = if approve {
        ConsentEvent::Approve
    } else {
        ConsentEvent::Reject
    };
    let Ok(next) = consent.status.after(event) else {
        return Ok(false);
    };
    // OBIE Account Access Consents: an expired consent cannot be
    // authorised (it may still be declined).
    if approve && consent.is_expired(now) {
        return Ok(false);
    }
    if consent.client_id != client_id {
        return Ok(false);
    }
    let before = consent.status;
    consent.status = next;
    consent.status_updated_at = now;
    if approve {
        consent.account_id = Some(account_id.to_string());
        consent.grant_id = Some(grant_id.to_string());
        // The account the customer chose to pay from, when the fintech
        // left it open.
        if let (crate::consent::ConsentKind::DomesticPayment(payment), Some(debtor)) =
            (&mut consent.kind, debtor)
            && payment.debtor.is_none()
        {
            payment.debtor = Some(debtor.clone());
        }
    }
    let ttl = lifetimes.store_ttl(&consent, now);
    ops::upsert(tx, consent_id, &consent, Some(ttl), now).await?;
    let actor = crate::store::audit::Actor::Customer(account_id.to_string());
    let mut record = super::audit_trail::moved(actor, (consent_id, client_id), event, (before, next));
    if approve {
        record = record.and_target(crate::store::audit::Target::new("grant", grant_id));
    }
    if let Some(app) = app {
        record = record.and_target(crate::store::audit::Target::new("interaction_app", app));
    }
    crate::store::audit::append(tx, &record, now).await?;
    tracing::info!(target: "fiducia::audit", operation = "consent.decide", consent_id, client_id, status = next.as_str(), "customer decided on a consent");
    Ok(approve)
}
