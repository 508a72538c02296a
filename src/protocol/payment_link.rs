//! Dynamic linking (PSD2 RTS, Commission Delegated Regulation (EU)
//! 2018/389, Art. 5): the payer is shown the amount and the payee of the
//! payment they authenticate for (Art. 5(1)(a)), the authentication code is
//! specific to that amount and payee (Art. 5(1)(b)), and a change of either
//! makes it invalid (Art. 5(1)(d)).
//!
//! [`PaymentTerms`] is what is shown and linked: amount, currency, payee
//! name and account. [`link`] digests the terms of a request (one UK OBIE
//! payment consent or every `payment_initiation` detail, in order) into
//! the value the second factor's report carries; the consent step computes
//! it again from the consent as it then is, and a different value needs a
//! new second factor. Sans-IO.

use crate::protocol::rar::payment_initiation::PaymentInitiation;
use crate::protocol::rar::text::AccountRef;
use crate::protocol::rar::{AuthorizationDetail, AuthorizationDetails};
use base64::Engine;

/// The terms of one payment the customer authenticates for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTerms {
    /// The amount exactly as asked, e.g. `10.00`.
    pub amount: String,
    /// ISO 4217 currency, e.g. `EUR`.
    pub currency: String,
    /// The payee's name as asked (may be empty when the request has none).
    pub payee_name: String,
    /// The payee's account: scheme and identification.
    pub payee_account: (String, String),
}

impl PaymentTerms {
    /// What the second-factor page shows (Art. 5(1)(a)), as (label, value).
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let payee = if self.payee_name.is_empty() {
            "the payee".to_string()
        } else {
            self.payee_name.clone()
        };
        vec![
            ("Amount", format!("{} {}", self.amount, self.currency)),
            ("Payee", payee),
            ("Payee account", self.payee_account.1.clone()),
        ]
    }
}

/// The terms of a request's `payment_initiation` details (RFC 9396), in
/// their order; empty without one.
pub fn from_details(details: &AuthorizationDetails) -> Vec<PaymentTerms> {
    details
        .details()
        .iter()
        .filter_map(|d| match d {
            AuthorizationDetail::PaymentInitiation(p) => Some(from_initiation(p)),
            AuthorizationDetail::AccountInformation(_) => None,
        })
        .collect()
}

fn from_initiation(p: &PaymentInitiation) -> PaymentTerms {
    let account = match &p.creditor_account {
        AccountRef::Iban(iban) => ("IBAN".to_string(), iban.clone()),
        AccountRef::Scheme {
            scheme_name,
            identification,
        } => (scheme_name.clone(), identification.clone()),
    };
    PaymentTerms {
        amount: p.instructed_amount.amount.clone(),
        currency: p.instructed_amount.currency.clone(),
        payee_name: p.creditor_name.clone(),
        payee_account: account,
    }
}

/// The link value of `terms` (Art. 5(1)(b)): base64url SHA-256 over every
/// field of every payment, each length-prefixed so that no two different
/// sets of terms encode alike; `None` for no payment.
pub fn link(terms: &[PaymentTerms]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(b"fiducia-payment-link-v1");
    for t in terms {
        for field in [
            &t.amount,
            &t.currency,
            &t.payee_name,
            &t.payee_account.0,
            &t.payee_account.1,
        ] {
            ctx.update(&(field.len() as u64).to_be_bytes());
            ctx.update(field.as_bytes());
        }
    }
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ctx.finish().as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(amount: &str, payee: &str) -> PaymentTerms {
        PaymentTerms {
            amount: amount.into(),
            currency: "EUR".into(),
            payee_name: payee.into(),
            payee_account: ("IBAN".into(), "DE89370400440532013000".into()),
        }
    }

    /// PSD2 RTS Art. 5(1)(b), (d): the link is specific to the amount and
    /// the payee; any change gives another value.
    #[test]
    fn the_link_changes_with_amount_and_payee_rts_art_5() {
        let base = link(&[terms("10.00", "Merchant")]).unwrap();
        assert_eq!(link(&[terms("10.00", "Merchant")]).unwrap(), base);
        assert_ne!(link(&[terms("10.01", "Merchant")]).unwrap(), base);
        assert_ne!(link(&[terms("10.00", "Merchant B")]).unwrap(), base);
        let mut other_account = terms("10.00", "Merchant");
        other_account.payee_account.1 = "GB33BUKB20201555555555".into();
        assert_ne!(link(&[other_account]).unwrap(), base);
        let mut other_currency = terms("10.00", "Merchant");
        other_currency.currency = "GBP".into();
        assert_ne!(link(&[other_currency]).unwrap(), base);
        // Length prefixes: moving a character between fields changes it.
        assert_ne!(
            link(&[terms("10.0", "0Merchant")]).unwrap(),
            link(&[terms("10.00", "Merchant")]).unwrap()
        );
        assert_eq!(link(&[]), None);
    }
}
