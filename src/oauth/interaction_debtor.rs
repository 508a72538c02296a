//! The account a customer chose to pay from, for a UK OBIE payment consent
//! that left its `DebtorAccount` open (`consent::debtor`): the same rule
//! for the built-in consent page's choice and an interaction app's report.

use crate::consent::{CashAccount, Consent, debtor};
use crate::model::records::PushedRequest;
use crate::oauth::interaction::InteractionError;
use crate::oauth::op::OpState;

/// The account `choice` (its identification) names among `account_id`'s
/// accounts, when `request` names a UK OBIE consent; `Ok(None)` when it
/// names none, `Ok(Err(_))` for a missing or foreign choice; the consent or
/// the customer gone is [`InteractionError::Gone`].
pub async fn resolve(
    op: &OpState,
    request: &PushedRequest,
    account_id: &str,
    choice: Option<&str>,
) -> Result<Result<Option<CashAccount>, debtor::ChoiceError>, InteractionError> {
    let Some(consent_id) = &request.openbanking_intent_id else {
        return Ok(Ok(None));
    };
    let Ok(Some(found)) = op.services.repo.find::<Consent>(consent_id, op.now()).await else {
        return Err(InteractionError::Gone);
    };
    let Ok(Some(user)) = op.services.users.find_by_account_id(account_id, op.now()).await else {
        return Err(InteractionError::Gone);
    };
    Ok(debtor::chosen(&found.payload, &user.accounts, &user.name, choice))
}
