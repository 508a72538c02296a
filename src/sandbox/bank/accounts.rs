//! Account and Transaction API v3.1 reads over the ledger: accounts
//! (`OBReadAccount6`), balances (`OBReadBalance1`) and transactions
//! (`OBReadTransaction6`) of the customer the gateway names, within what
//! the token's consent allows (`bounds`). Sans-IO.

use super::amount;
use super::bounds::{ReadBounds, Resource, TransactionView};
use super::ledger::LedgerState;
use super::ledger_records::{Account, CreditDebit};
use super::response::{Denied, error, json_response, rfc3339};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// Answers `resource` for `customer` within `bounds`; `None` when no such
/// account exists, `Err` for an account outside the consent (another
/// customer's, or one the customer did not consent to).
pub fn read(
    ledger: &LedgerState,
    customer: &str,
    resource: Resource<'_>,
    bounds: &ReadBounds,
    self_url: &str,
) -> Option<Result<Response<Bytes>, Denied>> {
    let links = json!({"Self": self_url});
    let meta = json!({"TotalPages": 1});
    let detail = bounds.account_detail();
    let Some(account_id) = resource.account_id() else {
        let accounts: Vec<Value> = owned(ledger, customer)
            .filter(|a| bounds.covers(resource, a))
            .map(|a| account_view(a, detail))
            .collect();
        let body = json!({"Data": {"Account": accounts}, "Links": links, "Meta": meta});
        return Some(Ok(json_response(StatusCode::OK, &body)));
    };
    let account = ledger.accounts.get(account_id)?;
    let outside = |why: &str| {
        Some(Err(error(
            StatusCode::FORBIDDEN,
            "UK.OBIE.Resource.ConsentMismatch",
            why,
        )))
    };
    if account.owner.as_deref() != Some(customer) {
        // Another customer's account is outside this consent.
        return outside("the account is not one of the customer's");
    }
    if !bounds.covers(resource, account) {
        // RFC 9396 §2.2 `accounts`: not one the customer approved.
        return outside("the account is not one the consent names");
    }
    let data = match resource {
        Resource::Accounts | Resource::Account(_) => json!({"Account": [account_view(account, detail)]}),
        Resource::Balances(_) => json!({"Balance": [balance_view(account, ledger)]}),
        Resource::Transactions(_) => {
            json!({"Transaction": transactions_view(account, ledger, bounds.transactions())})
        }
    };
    Some(Ok(json_response(
        StatusCode::OK,
        &json!({"Data": data, "Links": links, "Meta": meta}),
    )))
}

fn owned<'a>(ledger: &'a LedgerState, customer: &'a str) -> impl Iterator<Item = &'a Account> + 'a {
    ledger
        .accounts
        .values()
        .filter(move |a| a.owner.as_deref() == Some(customer))
}

/// OBIE "Accounts" permission codes: the `Account` identification only
/// with `ReadAccountsDetail` (`detail`).
fn account_view(account: &Account, detail: bool) -> Value {
    let mut view = json!({
        "AccountId": account.account_id,
        "Status": "Enabled",
        "Currency": account.currency,
        "AccountType": "Personal",
        "AccountSubType": "CurrentAccount",
    });
    if detail {
        view["Account"] = json!([{
            "SchemeName": account.scheme_name,
            "Identification": account.identification,
            "Name": account.name,
        }]);
    }
    view
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

/// OBIE Transactions "Permission Codes": credits and/or debits in the
/// consented range; `TransactionInformation` and `Balance` only with
/// `ReadTransactionsDetail`.
fn transactions_view(account: &Account, ledger: &LedgerState, view: TransactionView) -> Vec<Value> {
    ledger
        .transactions
        .iter()
        .rev()
        .filter(|t| t.account_id == account.account_id && view.shows(t))
        .map(|t| {
            let (balance, indicator) = signed(t.balance_after, &t.currency);
            let mut shown = json!({
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
            });
            if view.detail {
                shown["TransactionInformation"] = json!(t.information);
                shown["Balance"] =
                    json!({"Amount": balance, "CreditDebitIndicator": indicator, "Type": "InterimBooked"});
            }
            shown
        })
        .collect()
}
