//! The consent dashboard's pages (`/account/consents`): sign-in, the
//! second factor's code, the list of the customer's grants with a Revoke
//! button each, the confirmation before a revocation, and the signed-out
//! page. Plain HTML like the other pages (`pages.rs`: no JavaScript, the
//! same style and headers); every value escaped ([`Text`]); every form a
//! POST carrying the session's CSRF token (RFC 6749 §10.12).

use super::detail::{DetailLine, definition_list};
use super::forms::MAX_USERNAME_BYTES;
use super::html::Text;
use super::pages::document;
use super::scopes::scope_lines;
use crate::protocol::credentials::MAX_PASSWORD_BYTES;

/// Where the dashboard's forms post, relative to the page's origin.
#[derive(Debug, Clone, Copy)]
pub struct AccountUrls<'a> {
    /// The password form.
    pub sign_in: &'a str,
    /// The code form.
    pub code: &'a str,
    /// The revoke form.
    pub revoke: &'a str,
    /// The sign-out form.
    pub sign_out: &'a str,
    /// The dashboard itself.
    pub dashboard: &'a str,
}

/// One grant on the dashboard, its values already in words.
#[derive(Debug, Clone)]
pub struct GrantCard<'a> {
    /// The grant id (posted by the Revoke button).
    pub grant_id: &'a str,
    /// The fintech's name.
    pub client_name: &'a str,
    /// The scopes granted (described here in plain words).
    pub scopes: &'a [String],
    /// The payment or access lines, the accounts, and the times.
    pub lines: Vec<DetailLine<'a>>,
}

/// The sign-in page: `username`, `password` and `csrf`.
pub fn sign_in_page(
    urls: AccountUrls<'_>,
    csrf: &str,
    error: Option<&str>,
    username: Option<&str>,
) -> String {
    let error = alert(error);
    let body = format!(
        r#"<h1>Your consents</h1>
<p class="sub">Sign in to see and withdraw the access you gave to apps.</p>
{error}<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="username">Username</label>
<input id="username" name="username" type="text" value="{username}" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="{max_user}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="{max_password}" required>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>"#,
        action = Text(urls.sign_in),
        csrf = Text(csrf),
        username = Text(username.unwrap_or("")),
        max_user = MAX_USERNAME_BYTES,
        max_password = MAX_PASSWORD_BYTES,
    );
    document(
        "Your consents: sign in",
        &body,
        "Only you and your bank see this page.",
    )
}

/// The second factor's page: `otp` and `csrf`.
pub fn code_page(urls: AccountUrls<'_>, csrf: &str, error: Option<&str>) -> String {
    let error = alert(error);
    let body = format!(
        r#"<h1>Confirm it is you</h1>
<p class="sub">Enter the 6-digit code from your authenticator app to see your consents.</p>
{error}<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="otp">Code</label>
<input id="otp" name="otp" type="text" inputmode="numeric" pattern="[0-9]{{6}}" maxlength="6" autocomplete="one-time-code" required autofocus>
<div class="actions"><button class="primary" type="submit">Confirm</button></div>
</form>"#,
        action = Text(urls.code),
        csrf = Text(csrf),
    );
    document(
        "Confirm it is you",
        &body,
        "The code changes every 30 seconds; each code works once.",
    )
}

/// What the dashboard shows.
#[derive(Debug, Clone)]
pub struct DashboardView<'a> {
    /// The form URLs.
    pub urls: AccountUrls<'a>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The customer's name.
    pub customer_name: &'a str,
    /// Their grants, newest first.
    pub grants: &'a [GrantCard<'a>],
    /// Whether more grants exist than are shown.
    pub more: bool,
    /// A notice after a revocation.
    pub notice: Option<&'a str>,
}

/// The dashboard: each grant in a card with a Revoke button.
pub fn dashboard_page(view: &DashboardView<'_>) -> String {
    let mut body = format!(
        "<h1>Your consents</h1>\n<p class=\"who\">Signed in as <strong>{}</strong></p>\n",
        Text(view.customer_name)
    );
    if let Some(notice) = view.notice {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            Text(notice)
        ));
    }
    if view.grants.is_empty() {
        body.push_str("<p class=\"sub\">No app has access to your accounts or data.</p>\n");
    }
    for grant in view.grants {
        body.push_str(&format!(
            "<section class=\"grant\">\n<h2>{}</h2>\n",
            Text(grant.client_name)
        ));
        body.push_str(&scope_list(grant.scopes));
        body.push_str(&definition_list(&grant.lines));
        body.push_str(&format!(
            r#"<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="grant_id" value="{grant}">
<div class="actions"><button class="secondary" type="submit">Revoke</button></div>
</form>
</section>
"#,
            action = Text(view.urls.revoke),
            csrf = Text(view.csrf),
            grant = Text(grant.grant_id),
        ));
    }
    if view.more {
        body.push_str(
            "<p class=\"sub\">More apps have access than are shown here; revoke some to see the rest.</p>\n",
        );
    }
    body.push_str(&sign_out_form(view.urls, view.csrf));
    document("Your consents", &body, "Revoking stops the app's access at once.")
}

/// The confirmation before revoking `grant`: `confirm=yes` posts it.
pub fn confirm_page(urls: AccountUrls<'_>, csrf: &str, grant: &GrantCard<'_>) -> String {
    let mut body = format!(
        "<h1>Revoke access?</h1>\n<p class=\"sub\"><strong>{}</strong> will lose this access at once and must ask you again to get it back.</p>\n",
        Text(grant.client_name)
    );
    body.push_str(&scope_list(grant.scopes));
    body.push_str(&definition_list(&grant.lines));
    body.push_str(&format!(
        r#"<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="grant_id" value="{grant}">
<div class="actions"><a class="secondary button" href="{back}">Keep</a><button class="primary" type="submit" name="confirm" value="yes">Revoke</button></div>
</form>"#,
        action = Text(urls.revoke),
        csrf = Text(csrf),
        grant = Text(grant.grant_id),
        back = Text(urls.dashboard),
    ));
    document("Revoke access?", &body, "")
}

/// After sign-out.
pub fn signed_out_page(urls: AccountUrls<'_>) -> String {
    let body = format!(
        "<h1>Signed out</h1>\n<p class=\"sub\">You can close this window.</p>\n<p><a href=\"{}\">Sign in again</a></p>\n",
        Text(urls.dashboard)
    );
    document("Signed out", &body, "")
}

fn sign_out_form(urls: AccountUrls<'_>, csrf: &str) -> String {
    format!(
        r#"<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<div class="actions"><button class="secondary" type="submit">Sign out</button></div>
</form>"#,
        action = Text(urls.sign_out),
        csrf = Text(csrf),
    )
}

fn scope_list(scopes: &[String]) -> String {
    let mut out = String::from("<ul class=\"scopes\">\n");
    for line in scope_lines(scopes) {
        out.push_str(&format!(
            "<li><strong>{}</strong><span>{}</span></li>\n",
            Text(line.title),
            Text(line.description)
        ));
    }
    out.push_str("</ul>\n");
    out
}

fn alert(error: Option<&str>) -> String {
    error.map_or(String::new(), |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>\n", Text(e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URLS: AccountUrls<'static> = AccountUrls {
        sign_in: "/account/sign-in",
        code: "/account/sign-in/otp",
        revoke: "/account/consents/revoke",
        sign_out: "/account/sign-out",
        dashboard: "/account/consents",
    };

    /// OWASP XSS rule 1: a fintech's name and a payment's payee are text.
    #[test]
    fn the_dashboard_escapes_what_fintechs_chose() {
        let scopes = vec!["accounts".to_string()];
        let grants = [GrantCard {
            grant_id: "g-1",
            client_name: "<script>x</script>",
            scopes: &scopes,
            lines: vec![DetailLine {
                label: "To",
                value: "\"ACME\" & Co",
            }],
        }];
        let html = dashboard_page(&DashboardView {
            urls: URLS,
            csrf: "tok",
            customer_name: "Alice",
            grants: &grants,
            more: true,
            notice: None,
        });
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("&quot;ACME&quot; &amp; Co"));
        assert!(!html.contains("<script>"));
        // RFC 6749 §10.12: each form carries the token; revoke names the grant.
        assert_eq!(html.matches("name=\"csrf\" value=\"tok\"").count(), 2);
        assert!(html.contains("name=\"grant_id\" value=\"g-1\""));
        assert!(html.contains("More apps have access"));
    }

    #[test]
    fn the_confirmation_posts_confirm_yes() {
        let scopes = Vec::new();
        let grant = GrantCard {
            grant_id: "g-2",
            client_name: "Pay",
            scopes: &scopes,
            lines: Vec::new(),
        };
        let html = confirm_page(URLS, "tok", &grant);
        assert!(html.contains("name=\"confirm\" value=\"yes\""));
        assert!(html.contains("href=\"/account/consents\""));
    }
}
