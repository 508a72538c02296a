//! Payment submission against the consent the token carries. Sans-IO.
//!
//! - A UK OBIE intent token (the OP's introspection names its consent,
//!   `openbanking_consent`): the submission's `Data.ConsentId` must be that
//!   consent, the consent must be `Authorised`, and `Data.Initiation` must
//!   repeat the consented one (OBIE Payment Initiation API v3.1, "Domestic
//!   Payments": the Initiation of the payment matches the consent's). A
//!   `DebtorAccount` may be left out when the consent has one (chosen by
//!   the customer at the bank).
//! - Otherwise the body (Open Banking `OBWriteDomestic2` shape) must be
//!   what a `payment_initiation` authorization detail of the token
//!   allows, field by field as the consent page showed it (RFC 9396 §2,
//!   §9: the resource server enforces the details):
//!
//!   | detail | body (`Data.Initiation.`) | rule |
//!   |---|---|---|
//!   | `actions` | — | names `initiate`, or names nothing |
//!   | `instructedAmount` | `InstructedAmount.{Amount,Currency}` | equal (amounts by value) |
//!   | `creditorAccount` | `CreditorAccount.{SchemeName,Identification}` | equal |
//!   | `creditorName` | `CreditorAccount.Name` | equal when sent |
//!   | `debtorAccount` | `DebtorAccount.{SchemeName,Identification}` | equal when sent; none sent without one consented |
//!   | `remittanceInformationUnstructured` | `RemittanceInformation.{Unstructured,Reference}` | each absent, or equal; none sent without one consented |
//!
//! Both answer what the consent fixes beyond the body ([`Consented`]): the
//! debtor account, which the bank must debit when the body leaves it out,
//! and the consented remittance text, which the bank books when the body
//! leaves it out.
//!
//! The token is active only while its grant is, so a consent that was
//! revoked or consumed is refused before this check.

use super::amount::same_amount;
use super::errors::Refusal;
use crate::protocol::rar::payment_initiation::{PaymentAction, PaymentInitiation};
use crate::protocol::rar::text::AccountRef;
use serde_json::Value;

/// The account the customer approved paying from (Open Banking
/// `SchemeName` and `Identification`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentedDebtor {
    /// e.g. `UK.OBIE.IBAN`.
    pub scheme_name: String,
    /// The account number in that scheme.
    pub identification: String,
}

impl ConsentedDebtor {
    /// An OBIE `OBCashAccount` object's scheme and identification.
    pub fn from_obie(node: &Value) -> Option<Self> {
        Some(Self {
            scheme_name: node["SchemeName"].as_str()?.to_string(),
            identification: node["Identification"].as_str()?.to_string(),
        })
    }

    fn from_rar(account: &AccountRef) -> Self {
        match account {
            // Open Banking names an IBAN with the `UK.OBIE.IBAN` scheme.
            AccountRef::Iban(iban) => Self {
                scheme_name: "UK.OBIE.IBAN".into(),
                identification: iban.clone(),
            },
            AccountRef::Scheme {
                scheme_name,
                identification,
            } => Self {
                scheme_name: scheme_name.clone(),
                identification: identification.clone(),
            },
        }
    }
}

/// What the consent fixes that the body may leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consented {
    /// The account the customer approved paying from.
    pub debtor: Option<ConsentedDebtor>,
    /// The remittance text the customer approved (RFC 9396
    /// `remittanceInformationUnstructured`).
    pub remittance: Option<String>,
}

/// What a payment request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Requested<'a> {
    amount: &'a str,
    currency: &'a str,
    scheme: &'a str,
    identification: &'a str,
    creditor_name: Option<&'a str>,
    debtor: Option<(&'a str, &'a str)>,
    unstructured: Option<&'a str>,
    reference: Option<&'a str>,
}

/// Refuses the payment unless it is the one the token's consent allows:
/// the UK OBIE consent when the token has one, else one of its
/// `payment_initiation` details. What that consent fixes.
pub fn check_payment(
    body: &[u8],
    authorization_details: Option<&Value>,
    openbanking_consent: Option<&Value>,
) -> Result<Consented, Refusal> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| Refusal::InvalidBody("the payment request is not JSON".into()))?;
    if let Some(consent) = openbanking_consent {
        // The body repeats the consented remittance itself (OBIE).
        super::payment_intent::check(&body, consent)?;
        return Ok(Consented {
            debtor: ConsentedDebtor::from_obie(super::payment_intent::consented_debtor(consent)),
            remittance: None,
        });
    }
    let initiation = &body["Data"]["Initiation"];
    let field = |path: &[&str]| {
        let mut node = initiation;
        for name in path {
            node = &node[*name];
        }
        node.as_str()
            .ok_or_else(|| Refusal::MissingField(format!("Data.Initiation.{} is missing", path.join("."))))
    };
    let optional = |path: &[&str]| -> Result<Option<&str>, Refusal> {
        match path.iter().try_fold(initiation, |node, name| node.get(*name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str())),
            Some(_) => Err(Refusal::InvalidBody(format!(
                "Data.Initiation.{} is not a string",
                path.join(".")
            ))),
        }
    };
    let debtor = match initiation.get("DebtorAccount") {
        None | Some(Value::Null) => None,
        Some(_) => Some((
            field(&["DebtorAccount", "SchemeName"])?,
            field(&["DebtorAccount", "Identification"])?,
        )),
    };
    let requested = Requested {
        amount: field(&["InstructedAmount", "Amount"])?,
        currency: field(&["InstructedAmount", "Currency"])?,
        scheme: field(&["CreditorAccount", "SchemeName"])?,
        identification: field(&["CreditorAccount", "Identification"])?,
        creditor_name: optional(&["CreditorAccount", "Name"])?,
        debtor,
        unstructured: optional(&["RemittanceInformation", "Unstructured"])?,
        reference: optional(&["RemittanceInformation", "Reference"])?,
    };
    let consents: Vec<PaymentInitiation> = authorization_details
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| d["type"] == "payment_initiation")
        .filter_map(|d| PaymentInitiation::parse(d).ok())
        .collect();
    if consents.is_empty() {
        return Err(Refusal::ConsentMismatch(
            "the token carries no payment consent (RFC 9396 payment_initiation)".into(),
        ));
    }
    match consents.iter().find(|consent| matches(consent, &requested)) {
        Some(consent) => Ok(Consented {
            debtor: consent.debtor_account.as_ref().map(ConsentedDebtor::from_rar),
            remittance: consent.remittance.clone(),
        }),
        None => Err(Refusal::ConsentMismatch(
            "the payment's amount, currency, creditor, debtor account or remittance information \
             differs from the consent, or the consent does not allow `initiate`"
                .into(),
        )),
    }
}

fn matches(consent: &PaymentInitiation, requested: &Requested<'_>) -> bool {
    let amount = &consent.instructed_amount;
    // RFC 9396 §2.2: actions named without `initiate` allow no submission.
    let initiate = consent.actions.is_empty() || consent.actions.contains(&PaymentAction::Initiate);
    let creditor = same_account(
        &consent.creditor_account,
        requested.scheme,
        requested.identification,
    );
    let creditor_name = requested
        .creditor_name
        .is_none_or(|name| name == consent.creditor_name);
    // The debtor the customer saw ("From account"), or none: a body cannot
    // name an account the customer never approved paying from.
    let debtor = match (&consent.debtor_account, requested.debtor) {
        (_, None) => true,
        (Some(consented), Some((scheme, identification))) => same_account(consented, scheme, identification),
        (None, Some(_)) => false,
    };
    let consented_text = consent.remittance.as_deref();
    let remittance = [requested.unstructured, requested.reference]
        .into_iter()
        .flatten()
        .all(|text| Some(text) == consented_text);
    initiate
        && creditor
        && creditor_name
        && debtor
        && remittance
        && amount.currency == requested.currency
        && same_amount(&amount.amount, requested.amount)
}

/// Whether Open Banking's `scheme` + `identification` name `account`.
fn same_account(account: &AccountRef, scheme: &str, identification: &str) -> bool {
    match account {
        // Open Banking names an IBAN with the `UK.OBIE.IBAN` scheme.
        AccountRef::Iban(iban) => matches!(scheme, "UK.OBIE.IBAN" | "IBAN") && identification == iban,
        AccountRef::Scheme {
            scheme_name,
            identification: consented,
        } => scheme == scheme_name && identification == consented,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const IBAN: &str = "DE02100100109307118603";
    const DEBTOR: &str = "GB33BUKB20201555555555";

    fn details() -> Value {
        json!([{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "123.50"},
            "creditorName": "Merchant A", "creditorAccount": {"iban": IBAN}}])
    }

    /// The consent of RFC 9396 §2's example, with a debtor account and a
    /// remittance text (what the consent page shows as "From account" and
    /// "Reference").
    fn full_details() -> Value {
        json!([{"type": "payment_initiation", "actions": ["initiate", "status"],
            "instructedAmount": {"currency": "EUR", "amount": "123.50"},
            "creditorName": "Merchant A", "creditorAccount": {"iban": IBAN},
            "debtorAccount": {"iban": DEBTOR},
            "remittanceInformationUnstructured": "Ref Number Merchant"}])
    }

    fn body(amount: &str, iban: &str) -> Vec<u8> {
        initiation_body(json!({
            "InstructedAmount": {"Amount": amount, "Currency": "EUR"},
            "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": iban, "Name": "Merchant A"}}))
    }

    fn initiation_body(initiation: Value) -> Vec<u8> {
        json!({"Data": {"ConsentId": "c", "Initiation": initiation}, "Risk": {}})
            .to_string()
            .into_bytes()
    }

    fn mismatch(r: Result<Consented, Refusal>) -> bool {
        matches!(r, Err(Refusal::ConsentMismatch(_)))
    }

    #[test]
    fn the_consented_payment_passes_rfc9396_s2() {
        assert_eq!(
            check_payment(&body("123.50", IBAN), Some(&details()), None),
            Ok(Consented::default())
        );
        assert_eq!(
            check_payment(&body("123.5", IBAN), Some(&details()), None),
            Ok(Consented::default())
        );
    }

    #[test]
    fn another_amount_or_creditor_is_refused() {
        assert!(mismatch(check_payment(
            &body("999.00", IBAN),
            Some(&details()),
            None
        )));
        assert!(mismatch(check_payment(
            &body("123.50", "GB33BUKB20201555555555"),
            Some(&details()),
            None
        )));
        assert!(mismatch(check_payment(&body("123.50", IBAN), None, None)));
        assert!(matches!(
            check_payment(b"{}", Some(&details()), None),
            Err(Refusal::MissingField(_))
        ));
        assert!(matches!(
            check_payment(b"no", Some(&details()), None),
            Err(Refusal::InvalidBody(_))
        ));
    }

    /// RFC 9396 §9: what the customer saw is enforced — the debtor account
    /// ("From account") and the remittance text ("Reference") come from the
    /// consent when the body leaves them out, and must be the consented ones
    /// when it names them; a debtor account is never the body's choice alone.
    #[test]
    fn the_consented_debtor_and_remittance_bind_the_payment_rfc9396_s9() {
        let consented = check_payment(&body("123.50", IBAN), Some(&full_details()), None).unwrap();
        assert_eq!(
            consented,
            Consented {
                debtor: Some(ConsentedDebtor {
                    scheme_name: "UK.OBIE.IBAN".into(),
                    identification: DEBTOR.into(),
                }),
                remittance: Some("Ref Number Merchant".into()),
            }
        );
        let base = || -> Value {
            json!({"InstructedAmount": {"Amount": "123.50", "Currency": "EUR"},
                "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": IBAN, "Name": "Merchant A"},
                "DebtorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": DEBTOR},
                "RemittanceInformation": {"Unstructured": "Ref Number Merchant", "Reference": "Ref Number Merchant"}})
        };
        assert!(check_payment(&initiation_body(base()), Some(&full_details()), None).is_ok());
        for (path, value) in [
            ("/DebtorAccount/Identification", json!("DE89370400440532013000")),
            ("/RemittanceInformation/Unstructured", json!("Another text")),
            ("/RemittanceInformation/Reference", json!("Another ref")),
            ("/CreditorAccount/Name", json!("Merchant B")),
        ] {
            let mut changed = base();
            *changed.pointer_mut(path).unwrap() = value;
            assert!(
                mismatch(check_payment(
                    &initiation_body(changed),
                    Some(&full_details()),
                    None
                )),
                "{path}"
            );
        }
        // No debtor and no reference were consented: the body may name neither.
        let mut named = base();
        named["RemittanceInformation"] = json!({});
        assert!(mismatch(check_payment(
            &initiation_body(named.clone()),
            Some(&details()),
            None
        )));
        named.as_object_mut().unwrap().remove("DebtorAccount");
        named["RemittanceInformation"] = json!({"Reference": "Ref Number Merchant"});
        assert!(mismatch(check_payment(
            &initiation_body(named),
            Some(&details()),
            None
        )));
        // RFC 9396 §2.2: a consent whose actions leave out `initiate` pays nothing.
        let mut status_only = full_details();
        status_only[0]["actions"] = json!(["status"]);
        assert!(mismatch(check_payment(
            &body("123.50", IBAN),
            Some(&status_only),
            None
        )));
        let mut debtor_wrong_shape = base();
        debtor_wrong_shape["DebtorAccount"] = json!({"SchemeName": "UK.OBIE.IBAN"});
        assert!(matches!(
            check_payment(&initiation_body(debtor_wrong_shape), Some(&full_details()), None),
            Err(Refusal::MissingField(_))
        ));
    }

    /// OBIE "Domestic Payments": the consent's DebtorAccount (named by the
    /// fintech or chosen by the customer) is the one debited.
    #[test]
    fn an_obie_consent_names_its_debtor() {
        let consent = json!({"ConsentId": "pdc-1", "Status": "Authorised", "Initiation": {
            "InstructionIdentification": "i-1", "EndToEndIdentification": "e-1",
            "InstructedAmount": {"Amount": "123.50", "Currency": "EUR"},
            "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": IBAN, "Name": "Merchant A"},
            "DebtorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": DEBTOR}}});
        let mut submitted = consent["Initiation"].clone();
        submitted.as_object_mut().unwrap().remove("DebtorAccount");
        let body = json!({"Data": {"ConsentId": "pdc-1", "Initiation": submitted}, "Risk": {}});
        let consented = check_payment(body.to_string().as_bytes(), None, Some(&consent)).unwrap();
        assert_eq!(consented.debtor.unwrap().identification, DEBTOR);
    }
}
