//! What the sample bank's ledger holds: accounts and booked transactions
//! (the ledger file and its transactions are in `ledger.rs`).

use serde::{Deserialize, Serialize};

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The bank's id of the account (`AccountId`).
    pub account_id: String,
    /// The customer owning it (the OP's account id, `x-fiducia-customer`);
    /// `None` for another bank's account the ledger only credits.
    pub owner: Option<String>,
    /// ISO 4217 currency.
    pub currency: String,
    /// `SchemeName` of its identification, e.g. `UK.OBIE.IBAN`.
    pub scheme_name: String,
    /// The IBAN or sort code and account number.
    pub identification: String,
    /// The account holder's name.
    pub name: String,
    /// The balance in 1/100000 units ([`amount`]).
    pub balance: i64,
}

/// Whether a transaction added to or took from its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreditDebit {
    /// Money in.
    Credit,
    /// Money out.
    Debit,
}

/// One booked transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Its id.
    pub transaction_id: String,
    /// The account it was booked on.
    pub account_id: String,
    /// In or out.
    pub credit_debit: CreditDebit,
    /// Amount in 1/100000 units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// The account's balance after it.
    pub balance_after: i64,
    /// Booking time (unix seconds).
    pub booked_at: u64,
    /// The payment that caused it, if any.
    pub payment_id: Option<String>,
    /// Free text shown to the customer.
    pub information: String,
}
