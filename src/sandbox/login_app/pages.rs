//! The app's pages: password, second-factor code, consent, and the error
//! page. The login service's document and style (`login::pages::document`:
//! HTML5, no JavaScript, nothing external); every value from the OP or the
//! customer goes through [`Text`], attributes are double-quoted; each form
//! carries the sign-in's CSRF token (RFC 6749 §10.12).

use super::op_api::{Account, Payment};
use super::settings::{CONSENT_PATH, LOGIN_PATH, OTP_PATH};
use crate::login::html::Text;
use crate::login::pages::document;
use std::fmt::Write as _;

const FOOTER: &str = "Fiducia sandbox bank: login and consent app";

fn error_line(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", Text(e)))
        .unwrap_or_default()
}

fn client(name: &str) -> String {
    if name.is_empty() {
        "An application".into()
    } else {
        name.to_string()
    }
}

/// The password form.
pub fn login(client_name: &str, csrf: &str, login_hint: Option<&str>, error: Option<&str>) -> String {
    let body = format!(
        "<h1>Sandbox Bank</h1>\n<p class=\"sub\">{client} asks you to sign in to your bank.</p>\n\
         {error}<form method=\"post\" action=\"{LOGIN_PATH}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"username\">Username</label>\n\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{hint}\" autocomplete=\"username\" required>\n\
         <label for=\"password\">Password</label>\n\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\">Sign in</button></div>\n</form>",
        client = Text(&client(client_name)),
        error = error_line(error),
        csrf = Text(csrf),
        hint = Text(login_hint.unwrap_or("")),
    );
    document("Sandbox Bank: sign in", &body, FOOTER)
}

fn payment_lines(body: &mut String, payments: &[Payment]) {
    for p in payments {
        let payee = if p.payee_name.is_empty() {
            "the payee"
        } else {
            &p.payee_name
        };
        let _ = writeln!(
            body,
            "<dl>\n<dt>Amount</dt><dd>{} {}</dd>\n<dt>Payee</dt><dd>{}</dd>\n<dt>Payee account</dt><dd>{}</dd>\n</dl>",
            Text(&p.amount),
            Text(&p.currency),
            Text(payee),
            Text(&p.payee_account.identification)
        );
    }
}

/// The second-factor form, with the payment it authorises (PSD2 RTS Art. 5(1)(a)).
pub fn otp(name: &str, payments: &[Payment], csrf: &str, error: Option<&str>) -> String {
    let mut body = format!(
        "<h1>Confirm it is you</h1>\n<p class=\"sub\">{name}, enter the 6-digit code from your authenticator app.</p>\n",
        name = Text(name)
    );
    payment_lines(&mut body, payments);
    let _ = write!(
        body,
        "{error}<form method=\"post\" action=\"{OTP_PATH}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"otp\">Code</label>\n\
         <input type=\"text\" id=\"otp\" name=\"otp\" inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" autocomplete=\"one-time-code\" required>\n\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\">Confirm</button></div>\n</form>",
        error = error_line(error),
        csrf = Text(csrf),
    );
    document("Sandbox Bank: confirm", &body, FOOTER)
}

/// What the consent page shows.
pub struct ConsentView<'a> {
    /// The customer's name.
    pub name: &'a str,
    /// The client's name.
    pub client_name: &'a str,
    /// The scopes asked.
    pub scopes: &'a [String],
    /// The payments.
    pub payments: &'a [Payment],
    /// The accounts to pay from, when the customer chooses.
    pub accounts: &'a [Account],
    /// The sign-in's CSRF token.
    pub csrf: &'a str,
}

/// The consent form: approve or deny.
pub fn consent(view: &ConsentView<'_>) -> String {
    let mut body = format!(
        "<h1>{client} asks</h1>\n<p class=\"sub\">Signed in as {name}.</p>\n<dl>\n<dt>Access</dt><dd>{scopes}</dd>\n</dl>\n",
        client = Text(&client(view.client_name)),
        name = Text(view.name),
        scopes = Text(&view.scopes.join(" ")),
    );
    payment_lines(&mut body, view.payments);
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{CONSENT_PATH}\">\n<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n",
        Text(view.csrf)
    );
    if !view.accounts.is_empty() {
        body.push_str("<fieldset>\n<legend>Pay from</legend>\n");
        for (i, a) in view.accounts.iter().enumerate() {
            let _ = writeln!(
                body,
                "<label><input type=\"radio\" name=\"debtor_account\" value=\"{id}\"{checked}> {name} ({currency}) {id}</label>",
                id = Text(&a.identification),
                checked = if i == 0 { " checked" } else { "" },
                name = Text(&a.name),
                currency = Text(&a.currency),
            );
        }
        body.push_str("</fieldset>\n");
    }
    body.push_str(
        "<div class=\"actions\">\
         <button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         <button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         </div>\n</form>",
    );
    document("Sandbox Bank: consent", &body, FOOTER)
}

/// An error page.
pub fn error(title: &str, message: &str) -> String {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n\
         <p>You can close this window and return to the application.</p>",
        Text(title),
        Text(message)
    );
    document(title, &body, FOOTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_op_and_the_customer_send_is_inert() {
        let payments = [Payment {
            amount: "1.00".into(),
            currency: "EUR".into(),
            payee_name: "<script>alert(1)</script>".into(),
            payee_account: Account {
                identification: "\"><img src=x>".into(),
                ..Account::default()
            },
        }];
        let accounts = [Account {
            identification: "GB1\"onclick=\"x".into(),
            currency: "EUR".into(),
            name: "<b>".into(),
        }];
        let html = consent(&ConsentView {
            name: "Alice & Bob",
            client_name: "<img src=x onerror=alert(1)>",
            scopes: &["openid".into()],
            payments: &payments,
            accounts: &accounts,
            csrf: "t\"",
        });
        for raw in ["<script>", "<img", "<b>", "\"onclick"] {
            assert!(!html.contains(raw), "{raw} in {html}");
        }
        assert!(html.contains("Alice &amp; Bob") && html.contains("value=\"t&quot;\""));
        let html = login("", "tok", Some("\"><script>"), Some("<i>"));
        assert!(!html.contains("<script>") && !html.contains("<i>"));
        assert!(html.contains("An application asks"));
    }
}
