//! The second-factor page of the built-in login: after the password, a
//! form posting a 6-digit code from the customer's authenticator app
//! (TOTP, RFC 6238) and `csrf`. For a payment it shows what the code will
//! authorise first (PSD2 RTS Art. 5(1)(a): the payer is made aware of the
//! amount and the payee), every value escaped.

use super::detail::{DetailLine, definition_list};
use super::html::Text;
use super::pages::document;

/// The form field carrying the code.
pub const CODE_FIELD: &str = "otp";

/// What the second-factor page shows.
#[derive(Debug, Clone, Copy)]
pub struct SecondFactorView<'a> {
    /// Where the form posts (same origin).
    pub action_url: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf_token: &'a str,
    /// The client's name, as registered.
    pub client_name: &'a str,
    /// The payment(s) the code authorises: amount and currency, payee and
    /// payee account; empty when no payment is asked.
    pub payment: &'a [DetailLine<'a>],
    /// A message after a refused code; the same for a wrong and a reused
    /// one.
    pub error: Option<&'a str>,
}

/// The page: the payment (if any), then a one-field form.
pub fn second_factor_page(view: SecondFactorView<'_>) -> String {
    let error = view.error.map_or(String::new(), |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>\n", Text(e))
    });
    let payment = if view.payment.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>You are authorising this payment</h2>\n{}",
            definition_list(view.payment)
        )
    };
    let body = format!(
        r#"<h1>Confirm it is you</h1>
<p class="sub">Enter the 6-digit code from your authenticator app to continue to <strong>{client}</strong>.</p>
{payment}{error}<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="{field}">Code</label>
<input id="{field}" name="{field}" type="text" inputmode="numeric" pattern="[0-9]{{6}}" maxlength="6" autocomplete="one-time-code" required autofocus>
<div class="actions"><button class="primary" type="submit">Confirm</button></div>
</form>"#,
        client = Text(view.client_name),
        action = Text(view.action_url),
        csrf = Text(view.csrf_token),
        field = CODE_FIELD,
    );
    let footer = "The code changes every 30 seconds; each code works once.";
    document("Confirm it is you", &body, footer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PSD2 RTS Art. 5(1)(a): the amount and the payee are on the page,
    /// escaped.
    #[test]
    fn the_page_shows_the_payment_escaped() {
        let lines = [
            DetailLine {
                label: "Amount",
                value: "10.00 EUR",
            },
            DetailLine {
                label: "Payee",
                value: "<Merchant & Co>",
            },
        ];
        let html = second_factor_page(SecondFactorView {
            action_url: "/login/otp?ix=a",
            csrf_token: "t",
            client_name: "Pay",
            payment: &lines,
            error: Some("The code is not right."),
        });
        assert!(html.contains("10.00 EUR"));
        assert!(html.contains("&lt;Merchant &amp; Co&gt;"));
        assert!(html.contains("name=\"otp\""));
        assert!(html.contains("The code is not right."));
    }
}
