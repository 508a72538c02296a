//! The end of both demos, through the API gateway: the payment with the
//! customer's token, its status and the consent's with the client's own
//! token, and the debtor account's balance with the account access token.

use super::args::PaymentOrder;
use super::report::Report;
use super::{consent, payment, setup, token};
use anyhow::Context;

/// Steps `step` to `step + 2`: the payment, its status and the balance,
/// through the gateway.
#[allow(clippy::too_many_arguments)]
pub(super) async fn pay(
    args: &PaymentOrder,
    report: &mut Report,
    setup: &setup::Setup,
    consent: &consent::PaymentConsent,
    tokens: &token::Tokens,
    cc_token: &str,
    accounts: Option<&token::Tokens>,
    before: &[payment::Balance],
    step: usize,
) -> anyhow::Result<()> {
    let key = uuid::Uuid::new_v4().to_string();
    let paid = payment::Gateway::new(setup, &tokens.token_type, &tokens.access_token)
        .submit(consent, &key)
        .await
        .with_context(|| format!("step {step} (payment through the gateway)"))?;
    report.step(
        "payment",
        format!("{} {} via {}", paid.id, paid.status, setup.sandbox.gateway_url),
    );
    report.record("payment_id", paid.id.as_str());
    report.record("amount", args.amount.as_str());
    report.record("currency", args.currency.as_str());
    report.record("creditor_iban", args.creditor_iban.as_str());

    // The payment spent the customer's token; the client's own token reads the status.
    let status = payment::Gateway::new(setup, "Bearer", cc_token)
        .status(&paid.id)
        .await
        .with_context(|| format!("step {} (payment status)", step + 1))?;
    let consent_data = consent::read_payment(setup, cc_token, &consent.id)
        .await
        .with_context(|| format!("step {} (payment consent)", step + 1))?;
    let consent_status = consent_data["Status"].as_str().unwrap_or("?");
    report.step(
        "payment status",
        format!("{status}; consent {} {consent_status}", consent.id),
    );
    report.record("payment_status", status.as_str());
    report.record("consent_status", consent_status);

    let Some(accounts) = accounts else {
        report.step("balance", "not read: the client may not have the accounts scope");
        return Ok(());
    };
    let after = payment::Gateway::new(setup, &accounts.token_type, &accounts.access_token)
        .balances(&args.currency)
        .await
        .with_context(|| format!("step {} (balance)", step + 2))?;
    let debtor = payment::debtor(&after, &consent_data).ok_or_else(|| {
        anyhow::anyhow!(
            "step {} (balance): the debtor account is not among the customer's",
            step + 2
        )
    })?;
    let was = before
        .iter()
        .find(|b| b.account_id == debtor.account_id)
        .map_or("?", |b| b.amount.as_str());
    report.step(
        "balance",
        format!(
            "{}: {was} {} -> {} {}",
            debtor.account_id, debtor.currency, debtor.amount, debtor.currency
        ),
    );
    report.record("debtor_account_id", debtor.account_id.as_str());
    report.record("balance_before", was);
    report.record("balance_after", debtor.amount.as_str());
    Ok(())
}
