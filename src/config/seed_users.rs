//! `[[login.seed_users]]`: sandbox customers and their payment accounts,
//! and the start-up checks of them.

use super::signing::Secret;
use crate::protocol::credentials::{MAX_PASSWORD_BYTES, check_account_id, normalize_username};
use serde::{Deserialize, Serialize};

/// One `[[login.seed_users]]` entry: a sandbox customer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// Login name; compared trimmed and in lower case.
    pub username: String,
    /// The password, hashed with argon2id before it is stored. Never printed.
    pub password: Secret,
    /// The stable subject identifier (`sub`, OIDC Core §2) of the account.
    pub account_id: String,
    /// Full name (OIDC Core §5.1 `name`), shown on the consent page.
    pub name: String,
    /// E-mail address (OIDC Core §5.1 `email`).
    pub email: String,
    /// Whether the e-mail address is verified (OIDC Core §5.1). Default `false`.
    #[serde(default)]
    pub email_verified: bool,
    /// OIDC Core §5.1 `given_name`. Default none.
    #[serde(default)]
    pub given_name: Option<String>,
    /// OIDC Core §5.1 `family_name`. Default none.
    #[serde(default)]
    pub family_name: Option<String>,
    /// OIDC Core §5.1 `phone_number` (E.164 recommended). Default none.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// OIDC Core §5.1 `birthdate`: `YYYY-MM-DD` or `YYYY`. Default none.
    #[serde(default)]
    pub birthdate: Option<String>,
    /// The customer's payment accounts (`[[login.seed_users.accounts]]`),
    /// offered on the consent page when a payment leaves the debtor account
    /// to the customer (UK OBIE: no `DebtorAccount` in the consent). Default
    /// none: the bank then picks the account.
    #[serde(default)]
    pub accounts: Vec<CustomerAccount>,
    /// Other standard claims of the customer (`[login.seed_users.claims]`):
    /// OIDC Core §5.1 `address`, `gender`, `locale`, ... and Identity
    /// Assurance Claims §3.1 `place_of_birth`, `nationalities`, ...
    /// Checked like an imported customer's. Default none.
    #[serde(default)]
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// The customer's verified claim sets (`[[login.seed_users.verified_claims]]`,
    /// OpenID Connect for Identity Assurance 1.0: `verification` and
    /// `claims` tables), checked against the Identity Assurance schema at
    /// start-up (`protocol::ekyc::validate`). Write dates and times as
    /// quoted strings. Default none.
    #[serde(default)]
    pub verified_claims: Option<serde_json::Value>,
    /// The customer's TOTP secret (RFC 6238; RFC 4648 base32, as an
    /// authenticator app takes it), enrolled as their second factor: a
    /// sandbox customer whose codes any authenticator app or `oathtool
    /// --totp -b SECRET` computes. Never printed. Default none.
    #[serde(default)]
    pub totp_secret: Option<Secret>,
}

/// A payment account of a customer, as UK OBIE names accounts
/// (`OBCashAccount`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerAccount {
    /// `SchemeName`. Default `UK.OBIE.IBAN`.
    #[serde(default = "iban_scheme")]
    pub scheme_name: String,
    /// `Identification`, the account number in that scheme (an IBAN).
    pub identification: String,
    /// ISO 4217 currency of the account, e.g. `EUR`.
    pub currency: String,
    /// What the customer calls it on the consent page (e.g. `Current
    /// account`). Default none.
    #[serde(default)]
    pub name: Option<String>,
}

fn iban_scheme() -> String {
    "UK.OBIE.IBAN".into()
}

/// What `check_login` refuses in seed user `i`, as (field, message).
pub(crate) fn problem(users: &[SeedUser], i: usize) -> Option<(String, String)> {
    let seed = &users[i];
    let field =
        |name: &str, message: &str| Some((format!("login.seed_users[{i}].{name}"), message.to_owned()));
    let Ok(username) = normalize_username(&seed.username) else {
        return field(
            "username",
            "must be 1 to 256 characters without control characters",
        );
    };
    let earlier = &users[..i];
    if earlier
        .iter()
        .any(|e| normalize_username(&e.username).is_ok_and(|u| u == username))
    {
        return field(
            "username",
            "is given twice (usernames compare trimmed and lower-cased)",
        );
    }
    if check_account_id(&seed.account_id).is_err() {
        return field(
            "account_id",
            "must be 1 to 255 printable ASCII characters without spaces (OIDC Core §2)",
        );
    }
    if earlier.iter().any(|e| e.account_id == seed.account_id) {
        return field("account_id", "is given twice");
    }
    let password = seed.password.expose();
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return field("password", "must be 1 to 1024 bytes");
    }
    if seed.name.trim().is_empty() {
        return field("name", "must not be empty");
    }
    if !is_plausible_email(&seed.email) {
        return field("email", "must look like local@domain");
    }
    if seed.birthdate.as_deref().is_some_and(|b| !is_birthdate(b)) {
        return field("birthdate", "must be YYYY-MM-DD or YYYY (OIDC Core §5.1)");
    }
    if seed
        .totp_secret
        .as_ref()
        .is_some_and(|s| crate::protocol::totp::base32_decode(s.expose()).is_none())
    {
        return field(
            "totp_secret",
            "must be base32 (RFC 4648 §6) of 16 to 64 bytes (RFC 4226 §4: at least 128 bits)",
        );
    }
    if let Some((member, message)) = accounts_problem(&seed.accounts) {
        return field(&member, &message);
    }
    claims_problem(seed).map(|(path, message)| (format!("login.seed_users[{i}].{path}"), message))
}

/// The seed user's own fields, which `claims` may not hold as well.
const OWN_FIELDS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "phone_number",
    "birthdate",
];

/// The first problem of a seed user's `claims` and `verified_claims`, as
/// (path from the seed user, message), with the validator of imported
/// customers (OIDC Core §5.1, Identity Assurance Schema §5).
fn claims_problem(seed: &SeedUser) -> Option<(String, String)> {
    let first = |e: crate::protocol::ekyc::RecordError| e.0.into_iter().next().map(|f| (f.path, f.problem));
    if let Some(claims) = &seed.claims {
        if let Some(own) = claims.keys().find(|k| OWN_FIELDS.contains(&k.as_str())) {
            return Some((
                format!("claims.{own}"),
                "is a field of the seed user itself: set it there".into(),
            ));
        }
        if let Err(e) = crate::protocol::ekyc::validate::standard_claims(claims) {
            return first(e);
        }
    }
    if let Some(sets) = &seed.verified_claims
        && let Err(e) = crate::protocol::ekyc::validate::verified_claims(sets)
    {
        return first(e);
    }
    None
}

/// Most payment accounts one customer may hold (bounds a record's size).
pub const MAX_CUSTOMER_ACCOUNTS: usize = 32;

/// What is wrong with a customer's payment accounts, as (path from the
/// customer, e.g. `accounts[1].currency`, message); `None` when they are
/// fine. Shared by the seed users' check and `fiducia users import`.
pub fn accounts_problem(accounts: &[CustomerAccount]) -> Option<(String, String)> {
    let problem = |member: String, message: &str| Some((member, message.to_owned()));
    if accounts.len() > MAX_CUSTOMER_ACCOUNTS {
        return problem(
            "accounts".into(),
            &format!("has more than {MAX_CUSTOMER_ACCOUNTS} accounts"),
        );
    }
    for (j, account) in accounts.iter().enumerate() {
        let name = |member: &str| format!("accounts[{j}].{member}");
        let text_ok =
            |t: &str, max: usize| !t.trim().is_empty() && t.len() <= max && !t.chars().any(char::is_control);
        if !text_ok(&account.scheme_name, 40) {
            return problem(
                name("scheme_name"),
                "must be 1 to 40 characters (OBIE SchemeName)",
            );
        }
        if !text_ok(&account.identification, 256) {
            return problem(name("identification"), "must be 1 to 256 characters");
        }
        if account.currency.len() != 3 || !account.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return problem(name("currency"), "must be an ISO 4217 code such as EUR");
        }
        if account.name.as_deref().is_some_and(|n| !text_ok(n, 70)) {
            return problem(name("name"), "must be 1 to 70 characters");
        }
        if accounts[..j]
            .iter()
            .any(|a| a.identification == account.identification)
        {
            return problem(name("identification"), "is given twice");
        }
    }
    None
}

/// An e-mail address of the shape `local@domain.tld`, without spaces.
pub fn is_plausible_email(email: &str) -> bool {
    email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// OIDC Core §5.1 `birthdate`: ISO 8601 `YYYY-MM-DD`, or `YYYY` alone.
fn is_birthdate(value: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match value.split('-').collect::<Vec<_>>()[..] {
        [y] => digits(y, 4),
        [y, m, d] => {
            digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && (1..=12).contains(&m.parse::<u8>().unwrap_or(0))
                && (1..=31).contains(&d.parse::<u8>().unwrap_or(0))
        }
        _ => false,
    }
}
