//! The three server-rendered pages: login, consent and error. Plain HTML5
//! with inline CSS: no JavaScript, no images, no external resources (the
//! policy in `headers.rs` allows none), readable on a phone. Every
//! interpolated value goes through [`Text`]; attributes are double-quoted.
//!
//! A page carries nothing secret but the CSRF token (RFC 6749 §10.12): never
//! a password, a code, a token or an interaction handle.

pub use super::detail::DetailLine;
use super::detail::definition_list;
use super::forms::MAX_USERNAME_BYTES;
use super::html::Text;
use super::scopes::ScopeLine;
use crate::protocol::credentials::MAX_PASSWORD_BYTES;

/// What the login page shows.
#[derive(Debug, Clone, Copy)]
pub struct LoginView<'a> {
    /// Where the form posts (same origin: the CSP allows only `'self'`).
    pub action_url: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf_token: &'a str,
    /// The client's name, as registered.
    pub client_name: &'a str,
    /// A message after a failed attempt, e.g. "Wrong username or password."
    /// Say the same for a wrong password and an unknown user.
    pub error: Option<&'a str>,
    /// The username to fill in again after a failed attempt.
    pub username: Option<&'a str>,
}

/// What the consent page shows.
#[derive(Debug, Clone, Copy)]
pub struct ConsentView<'a> {
    /// Where the form posts.
    pub action_url: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf_token: &'a str,
    /// The client's name, as registered.
    pub client_name: &'a str,
    /// The scopes asked for, described ([`super::scope_lines`]).
    pub scopes: &'a [ScopeLine<'a>],
    /// The personal data the client will receive ([`super::claim_lines`]).
    pub claims: &'a [DetailLine<'a>],
    /// What exactly is approved, e.g. a payment's amount, currency and
    /// creditor, or the accounts and period of an account-access consent.
    pub details: &'a [DetailLine<'a>],
    /// The signed-in customer's name.
    pub user_display_name: &'a str,
    /// Accounts to pay from, when a payment leaves the debtor account to the
    /// customer (`label`: what is shown, `value`: the account's
    /// identification, posted as `debtor_account`); empty otherwise.
    pub debtor_choices: &'a [DetailLine<'a>],
    /// The identity data a `claims` request asks for (OIDC Core §5.5,
    /// Identity Assurance `verified_claims`); `None` without one.
    pub identity: Option<super::identity_section::IdentityView<'a>>,
}

/// The login page: a form posting `username`, `password` and `csrf`.
pub fn login_page(view: LoginView<'_>) -> String {
    let error = view.error.map_or(String::new(), |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>\n", Text(e))
    });
    // Focus the field to fill: the password after a failed attempt.
    let (user_focus, password_focus) = match view.username {
        Some(_) => ("", " autofocus"),
        None => (" autofocus", ""),
    };
    let body = format!(
        r#"<h1>Sign in</h1>
<p class="sub">to continue to <strong>{client}</strong></p>
{error}<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="username">Username</label>
<input id="username" name="username" type="text" value="{username}" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="{max_user}" required{user_focus}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="{max_password}" required{password_focus}>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>"#,
        client = Text(view.client_name),
        action = Text(view.action_url),
        csrf = Text(view.csrf_token),
        username = Text(view.username.unwrap_or("")),
        max_user = MAX_USERNAME_BYTES,
        max_password = MAX_PASSWORD_BYTES,
    );
    let footer = format!(
        "Your password goes only to your bank. {} never sees it.",
        Text(view.client_name)
    );
    document("Sign in", &body, &footer)
}

/// The consent page: what is asked, and a form with the buttons
/// `decision=deny` and `decision=approve`.
pub fn consent_page(view: ConsentView<'_>) -> String {
    let client = Text(view.client_name);
    let mut body = format!(
        "<h1>Review access</h1>\n<p class=\"sub\"><strong>{client}</strong> asks for your permission.</p>\n\
         <p class=\"who\">Signed in as <strong>{}</strong></p>\n",
        Text(view.user_display_name)
    );
    if !view.details.is_empty() {
        body.push_str("<h2>Request details</h2>\n");
        body.push_str(&definition_list(view.details));
    }
    if !view.scopes.is_empty() {
        body.push_str(&format!(
            "<h2>{client} will be able to</h2>\n<ul class=\"scopes\">\n"
        ));
        for scope in view.scopes {
            body.push_str(&format!(
                "<li><strong>{}</strong><span>{}</span></li>\n",
                Text(scope.title),
                Text(scope.description)
            ));
        }
        body.push_str("</ul>\n");
    }
    if !view.claims.is_empty() {
        body.push_str(&format!("<h2>Shared with {client}</h2>\n"));
        body.push_str(&definition_list(view.claims));
    }
    if let Some(identity) = &view.identity {
        body.push_str(&super::identity_section::identity_section(
            view.client_name,
            identity,
        ));
    }
    let mut choices = String::new();
    if !view.debtor_choices.is_empty() {
        choices.push_str("<fieldset class=\"accounts\">\n<legend>Pay from</legend>\n");
        for (i, choice) in view.debtor_choices.iter().enumerate() {
            // The first account is preselected, so approving always names one.
            let checked = if i == 0 { " checked" } else { "" };
            choices.push_str(&format!(
                "<label class=\"choice\"><input type=\"radio\" name=\"debtor_account\" value=\"{}\" required{checked}> {}</label>\n",
                Text(choice.value),
                Text(choice.label)
            ));
        }
        choices.push_str("</fieldset>\n");
    }
    body.push_str(&format!(
        r#"<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
{choices}<div class="actions"><button class="secondary" type="submit" name="decision" value="deny">Deny</button><button class="primary" type="submit" name="decision" value="approve">Approve</button></div>
</form>"#,
        action = Text(view.action_url),
        csrf = Text(view.csrf_token),
    ));
    let footer = "You can withdraw this access at any time in your online banking.";
    document("Review access", &body, footer)
}

/// An error page: `title`, `message`, and for support a correlation id (the
/// `x-fapi-interaction-id`, never the interaction's own handle, which is a
/// bearer secret).
pub fn error_page(title: &str, message: &str, interaction_id: Option<&str>) -> String {
    let reference = interaction_id.map_or(String::new(), |id| {
        format!("<p class=\"ref\">Reference: <code>{}</code></p>\n", Text(id))
    });
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n\
         <p>You can close this window and return to the application.</p>\n{reference}",
        Text(title),
        Text(message)
    );
    document(title, &body, "")
}

/// The document around `body` (trusted HTML built by the caller);
/// `title` is escaped here, `footer` must be escaped HTML.
pub fn document(title: &str, body: &str, footer: &str) -> String {
    let footer = if footer.is_empty() {
        String::new()
    } else {
        format!("<footer>{footer}</footer>\n")
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <div class=\"card\">\n{body}\n</div>\n{footer}</main>\n</body>\n</html>\n",
        Text(title)
    )
}

/// Neutral colours a bank can live with; follows the system's dark mode.
const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1c2128;--muted:#59636e;--bg:#f2f4f7;--card:#fff;--line:#d1d9e0;\
--accent:#1f4e79;--on-accent:#fff;--err-bg:#fdecea;--err-fg:#8c1d18}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9ba6b2;--bg:#0f1419;--card:#171d24;\
--line:#333d47;--accent:#6ea8e0;--on-accent:#0f1419;--err-bg:#3b1614;--err-fg:#ffb4ab}}\
*{box-sizing:border-box}\
body{margin:0;background:var(--bg);color:var(--fg);\
font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}\
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem}\
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .25rem}\
h2{font-size:1rem;margin:1.5rem 0 .5rem}\
.sub{color:var(--muted);margin:0 0 1.25rem}\
.who{margin:0;padding:.5rem .75rem;border-radius:8px;background:var(--bg)}\
label{display:block;font-weight:600;margin:1rem 0 .25rem}\
fieldset.accounts{border:1px solid var(--line);border-radius:8px;margin:1.5rem 0 0;padding:.5rem .75rem}\
legend{font-weight:600;padding:0 .25rem}\
label.choice{font-weight:400;margin:.5rem 0;display:flex;gap:.5rem;align-items:center}\
input[type=text],input[type=password]{display:block;width:100%;font:inherit;padding:.75rem;\
border:1px solid var(--line);border-radius:8px;background:var(--card);color:var(--fg)}\
input:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
.actions{display:flex;gap:.75rem;margin-top:1.5rem}\
button{flex:1;font:inherit;font-weight:600;padding:.8rem 1rem;border-radius:8px;\
border:2px solid var(--accent);cursor:pointer;min-height:3rem}\
.primary{background:var(--accent);color:var(--on-accent)}\
.secondary{background:transparent;color:var(--accent)}\
.error{background:var(--err-bg);color:var(--err-fg);border-radius:8px;padding:.75rem;margin:1rem 0}\
.scopes{list-style:none;margin:0;padding:0}\
.scopes li{padding:.6rem 0;border-top:1px solid var(--line)}\
.scopes li:first-child{border-top:0}\
.scopes span{display:block;color:var(--muted);font-size:.9375rem}\
dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}\
dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}\
.ref{color:var(--muted);font-size:.875rem;margin-bottom:0}code{overflow-wrap:anywhere}\
footer{color:var(--muted);font-size:.8125rem;text-align:center;margin-top:1rem}\
.notice{border-left:4px solid var(--accent);background:var(--bg);border-radius:8px;padding:.75rem;margin:1rem 0}\
section.grant{border-top:1px solid var(--line);margin-top:1.25rem;padding-top:.25rem}section.grant h2{font-size:1.125rem}\
a.button{flex:1;display:flex;align-items:center;justify-content:center;font-weight:600;padding:.8rem 1rem;\
border-radius:8px;border:2px solid var(--accent);min-height:3rem;text-decoration:none}\
@media (max-width:360px){main{padding:.75rem .5rem}.card{padding:1rem}}";

#[cfg(test)]
mod tests;
