//! Account and Transaction API v3.1 reads over the ledger: accounts
//! (`OBReadAccount6`), balances (`OBReadBalance1`) and transactions
//! (`OBReadTransaction6`) of the customer the gateway names. Sans-IO.

use super::amount;
use super::http::{Denied, error, json_response, rfc3339};
use super::ledger::{Account, CreditDebit, LedgerState};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// Answers `rest` (the path after `/open-banking/v3.1/aisp`) for `customer`;
/// `None` when no such resource exists, `Err` for another customer's account.
pub fn read(
    ledger: &LedgerState,
    customer: &str,
    rest: &str,
    self_url: &str,
) -> Option<Result<Response<Bytes>, Denied>> {
    let mut segments = rest.trim_start_matches('/').split('/');
    if segments.next() != Some("accounts") {
        return None;
    }
    let links = json!({"Self": self_url});
    let meta = json!({"TotalPages": 1});
    let Some(account_id) = segments.next() else {
        let accounts: Vec<Value> = owned(ledger, customer).map(account_view).collect();
        let body = json!({"Data": {"Account": accounts}, "Links": links, "Meta": meta});
        return Some(Ok(json_response(StatusCode::OK, &body)));
    };
    let account = ledger.accounts.get(account_id)?;
    if account.owner.as_deref() != Some(customer) {
        // Another customer's account is outside this consent.
        return Some(Err(error(
            StatusCode::FORBIDDEN,
            "UK.OBIE.Resource.ConsentMismatch",
            "the account is not one of the customer's",
        )));
    }
    let data = match (segments.next(), segments.next()) {
        (None, _) => json!({"Account": [account_view(account)]}),
        (Some("balances"), None) => json!({"Balance": [balance_view(account, ledger)]}),
        (Some("transactions"), None) => json!({"Transaction": transactions_view(account, ledger)}),
        _ => return None,
    };
    Some(Ok(json_response(
        StatusCode::OK,
        &json!({"Data": data, "Links": links, "Meta": meta}),
    )))
}

/// OBIE Account and Transaction API v3.1, "Permissions": what an account
/// access consent must grant to read `rest` (the path after
/// `/open-banking/v3.1/aisp`): one of the returned codes.
pub fn permissions_for(rest: &str) -> &'static [&'static str] {
    let mut segments = rest.trim_start_matches('/').split('/').skip(1);
    match (segments.next(), segments.next()) {
        (Some(_), Some("balances")) => &["ReadBalances"],
        (Some(_), Some("transactions")) => &[
            "ReadTransactionsBasic",
            "ReadTransactionsDetail",
            "ReadTransactionsCredits",
            "ReadTransactionsDebits",
        ],
        _ => &["ReadAccountsBasic", "ReadAccountsDetail"],
    }
}

fn owned<'a>(ledger: &'a LedgerState, customer: &'a str) -> impl Iterator<Item = &'a Account> + 'a {
    ledger
        .accounts
        .values()
        .filter(move |a| a.owner.as_deref() == Some(customer))
}

fn account_view(account: &Account) -> Value {
    json!({
        "AccountId": account.account_id,
        "Status": "Enabled",
        "Currency": account.currency,
        "AccountType": "Personal",
        "AccountSubType": "CurrentAccount",
        "Account": [{
            "SchemeName": account.scheme_name,
            "Identification": account.identification,
            "Name": account.name,
        }],
    })
}

/// `Amount` + `CreditDebitIndicator` of a signed balance.
fn signed(units: i64, currency: &str) -> (Value, &'static str) {
    let indicator = if units < 0 { "Debit" } else { "Credit" };
    (
        json!({"Amount": amount::format(units.abs()), "Currency": currency}),
        indicator,
    )
}

fn balance_view(account: &Account, ledger: &LedgerState) -> Value {
    let (amount, indicator) = signed(account.balance, &account.currency);
    let at = ledger
        .transactions
        .iter()
        .rev()
        .find(|t| t.account_id == account.account_id)
        .map_or(0, |t| t.booked_at);
    json!({
        "AccountId": account.account_id,
        "Amount": amount,
        "CreditDebitIndicator": indicator,
        // The sample bank settles at once: booked and available are the same.
        "Type": "InterimAvailable",
        "DateTime": rfc3339(at),
    })
}

fn transactions_view(account: &Account, ledger: &LedgerState) -> Vec<Value> {
    ledger
        .transactions
        .iter()
        .rev()
        .filter(|t| t.account_id == account.account_id)
        .map(|t| {
            let (balance, indicator) = signed(t.balance_after, &t.currency);
            json!({
                "AccountId": t.account_id,
                "TransactionId": t.transaction_id,
                "TransactionReference": t.payment_id,
                "Amount": {"Amount": amount::format(t.amount), "Currency": t.currency},
                "CreditDebitIndicator": match t.credit_debit {
                    CreditDebit::Credit => "Credit",
                    CreditDebit::Debit => "Debit",
                },
                "Status": "Booked",
                "BookingDateTime": rfc3339(t.booked_at),
                "ValueDateTime": rfc3339(t.booked_at),
                "TransactionInformation": t.information,
                "Balance": {"Amount": balance, "CreditDebitIndicator": indicator, "Type": "InterimBooked"},
            })
        })
        .collect()
}
