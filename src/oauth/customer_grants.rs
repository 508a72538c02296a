//! A customer's own grants, listed and withdrawn: the application side of
//! the consent dashboard (`http/endpoints/account_consents.rs`) and of its
//! JSON form for the bank's own apps (`http/endpoints/customer_grants_api.rs`).
//!
//! - [`list`]: the customer's live grants, at most [`MAX_LISTED`] (read
//!   through the user index, one transaction), each with the fintech's
//!   name from the client registry, the scopes, the OBIE consent or RFC
//!   9396 details it was made on (the payment, the access), when it was
//!   granted, when it ends (the grant record's expiry: its refresh token's
//!   absolute lifetime), its last use, and the accounts it reaches: the
//!   debtor account of a payment consent (in its details), and for an
//!   account-reading grant that names none (an OBIE account access
//!   consent, or the `accounts` scope without RFC 9396 details) every
//!   account of the customer, which is what the bank API serves it
//!   (`sandbox/bank/bounds.rs`).
//! - "Last use" is the newest issue time among the grant's access and
//!   refresh tokens still stored (what the grant index holds: an expired
//!   token is gone with its time), at most [`TOKENS_READ`] of each kind
//!   read: the last code exchange or refresh, not the last API call the
//!   fintech made with a token (the gateway's calls are not recorded).
//! - [`revoke`]: only a grant of this customer (another customer's and an
//!   unknown id are the same [`RevokeError::NotFound`]); a grant made on
//!   an OBIE consent that may still be withdrawn withdraws it
//!   (`consent::withdraw`, the rule the consent API's DELETE uses: status
//!   `Revoked`, its tokens gone); any other grant is revoked with
//!   `Repo::revoke_by_grant_id`. Either way no token of the grant is active
//!   once this returns, and the audit trail names the customer as actor
//!   (`grant_revoked`, and `consent_revoked` for a consent).

use crate::consent::{self, Consent, withdraw};
use crate::model::records::{AccessToken, Grant, RefreshToken};
use crate::oauth::op::OpState;
use crate::protocol::rar::AuthorizationDetails;
use crate::store::audit::Actor;
use crate::store::keys::Index;
use crate::store::kv::KvError;
use crate::store::repo::{RevocationCause, ops};

/// The most grants one listing shows; a customer with more sees these and
/// is told there are more.
pub const MAX_LISTED: usize = 100;
/// Tokens of each kind read per grant for its last use.
pub const TOKENS_READ: usize = 64;
/// The longest grant id looked up.
const MAX_GRANT_ID_BYTES: usize = 128;

/// One grant as the customer sees it.
#[derive(Debug, Clone)]
pub struct GrantSummary {
    /// The grant's id.
    pub grant_id: String,
    /// The fintech.
    pub client_id: String,
    /// Its registered name (its id when it is no longer served).
    pub client_name: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// When it was granted, Unix seconds.
    pub granted_at: u64,
    /// When it ends, Unix seconds (`None`: it does not expire).
    pub expires_at: Option<u64>,
    /// The newest token issued under it, Unix seconds (see the module).
    pub last_used_at: Option<u64>,
    /// The OBIE consent it was made on.
    pub consent: Option<Consent>,
    /// What was consented to, as (label, value) lines: the OBIE
    /// consent's payment or access, or the RFC 9396 details.
    pub details: Vec<(&'static str, String)>,
    /// The customer's accounts an account-reading grant that names none
    /// reaches (see the module); empty otherwise.
    pub accounts: Vec<String>,
}

/// A listing: the grants, newest first, and whether some were left out.
#[derive(Debug, Clone)]
pub struct Listing {
    /// At most [`MAX_LISTED`].
    pub grants: Vec<GrantSummary>,
    /// Whether the customer has more than were listed.
    pub more: bool,
}

/// The live grants of `account_id` (see the module).
pub async fn list(op: &OpState, account_id: &str, now: u64) -> Result<Listing, KvError> {
    let repo = &op.services.repo;
    let customer_accounts: Vec<String> = match op.services.users.find_by_account_id(account_id, now).await {
        Ok(Some(user)) => user.accounts.into_iter().map(|a| a.identification).collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(KvError::Aborted(e.to_string())),
    };
    let mut found = repo.of_account::<Grant>(account_id, MAX_LISTED + 1, now).await?;
    let more = found.len() > MAX_LISTED;
    found.truncate(MAX_LISTED);
    let mut grants = Vec::with_capacity(found.len());
    for (grant_id, grant) in found {
        // Belt and braces: the index names the customer; so must the grant.
        if grant.payload.account_id != account_id {
            continue;
        }
        let consent = consent::of_grant(repo, &grant_id, now).await?;
        let last_used_at = last_use(op, &grant_id, now).await?;
        let client_name = match op.services.clients.get(&grant.payload.client_id).await {
            Some(client) => client.client_name.clone(),
            None => grant.payload.client_id.clone(),
        };
        let details = match (&consent, grant.payload.authorization_details.as_deref()) {
            (Some(consent), _) => consent::intent::consent_lines(consent),
            (None, Some(json)) => AuthorizationDetails::from_stored(json)
                .map(|d| d.consent_lines())
                .unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        let reads_all_accounts = match &consent {
            Some(consent) => matches!(consent.kind, consent::ConsentKind::AccountAccess(_)),
            None => {
                grant.payload.authorization_details.is_none()
                    && grant.payload.scopes.iter().any(|s| s == "accounts")
            }
        };
        let accounts = match reads_all_accounts {
            true => customer_accounts.clone(),
            false => Vec::new(),
        };
        grants.push(GrantSummary {
            grant_id,
            client_id: grant.payload.client_id,
            client_name,
            scopes: grant.payload.scopes,
            granted_at: grant.payload.created,
            expires_at: grant.meta.expires_at,
            last_used_at,
            consent,
            details,
            accounts,
        });
    }
    grants.sort_by(|a, b| b.granted_at.cmp(&a.granted_at).then(a.grant_id.cmp(&b.grant_id)));
    Ok(Listing { grants, more })
}

/// The newest issue time among the grant's stored access and refresh
/// tokens, one transaction.
async fn last_use(op: &OpState, grant_id: &str, now: u64) -> Result<Option<u64>, KvError> {
    op.services
        .repo
        .store()
        .run(|tx, _| async move {
            let access =
                ops::find_by_index::<AccessToken>(&tx, Index::Grant, grant_id, now, TOKENS_READ).await?;
            let refresh =
                ops::find_by_index::<RefreshToken>(&tx, Index::Grant, grant_id, now, TOKENS_READ).await?;
            Ok(access
                .iter()
                .map(|t| t.payload.issued_at)
                .chain(refresh.iter().map(|t| t.payload.issued_at))
                .max())
        })
        .await
}

/// Who withdrew a grant, for the audit line (the audit records name the
/// customer in both cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel<'a> {
    /// The customer, signed in at the dashboard.
    Dashboard,
    /// The bank's app (an interaction app, by id) for the customer.
    App(&'a str),
}

/// What [`revoke`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The grant.
    pub grant_id: String,
    /// The fintech.
    pub client_id: String,
    /// The OBIE consent withdrawn with it, and its status now.
    pub consent: Option<(String, consent::state::ConsentStatus)>,
}

/// Why a revocation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RevokeError {
    /// No live grant of this customer has this id (unknown, expired,
    /// revoked, or another customer's: one answer for all).
    #[error("no grant of this customer has this id")]
    NotFound,
    /// The store failed; nothing is known to have changed.
    #[error("the store is unavailable")]
    Unavailable,
}

impl From<KvError> for RevokeError {
    fn from(_: KvError) -> Self {
        RevokeError::Unavailable
    }
}

/// Withdraws grant `grant_id` of `account_id` (see the module).
pub async fn revoke(
    op: &OpState,
    account_id: &str,
    grant_id: &str,
    channel: Channel<'_>,
    now: u64,
) -> Result<Revoked, RevokeError> {
    if grant_id.is_empty() || grant_id.len() > MAX_GRANT_ID_BYTES {
        return Err(RevokeError::NotFound);
    }
    let repo = &op.services.repo;
    let grant = match repo.find::<Grant>(grant_id, now).await? {
        Some(found) if found.payload.account_id == account_id => found.payload,
        _ => return Err(RevokeError::NotFound),
    };
    let revocation = crate::oauth::tokens::grant_revocation(op, now, RevocationCause::CustomerRevoked);
    let mut withdrawn = None;
    if let Some(found) = consent::of_grant(repo, grant_id, now).await?
        && found.status.after(consent::state::ConsentEvent::Revoke).is_ok()
    {
        // UK OBIE: the customer withdraws the consent at the bank; the
        // consent API's DELETE rule, with the customer as actor.
        let lifetimes = consent::Lifetimes::from(&op.config.get().consents);
        match withdraw::withdraw(
            repo,
            (&found.consent_id, &found.client_id),
            Actor::Customer(account_id.to_string()),
            (now, lifetimes),
            revocation,
        )
        .await
        {
            Ok(consent) => withdrawn = Some((consent.consent_id, consent.status)),
            // Moved on meanwhile (consumed by its payment): the grant is
            // still revoked below, the consent keeps its status.
            Err(error) => tracing::info!(?error, consent_id = %found.consent_id, "consent not withdrawn"),
        }
    }
    if withdrawn.is_none() {
        repo.revoke_by_grant_id(grant_id, revocation).await?;
    }
    let by = match channel {
        Channel::Dashboard => "dashboard",
        Channel::App(app) => app,
    };
    tracing::info!(target: "fiducia::audit", operation = "grant.revoke_by_customer", account_id = %account_id, grant_id = %grant_id, client_id = %grant.client_id, by, "customer withdrew a grant");
    Ok(Revoked {
        grant_id: grant_id.to_string(),
        client_id: grant.client_id,
        consent: withdrawn,
    })
}
