use super::*;
use crate::login::scope_lines;

const CSRF: &str = "dG9rZW4tdG9rZW4tdG9rZW4tdG9rZW4tdG9rZW4tdG9r";

fn login(error: Option<&'static str>, username: Option<&'static str>) -> String {
    login_page(LoginView {
        action_url: "/login/int-1",
        csrf_token: CSRF,
        client_name: "Budget <b>App</b> & \"Co\"",
        error,
        username,
    })
}

fn consent(client_name: &str) -> String {
    let scopes = scope_lines(&["openid", "payments", "accounts"]);
    let claims = [DetailLine {
        label: "E-mail",
        value: "alice@example.com",
    }];
    let details = [
        DetailLine {
            label: "Amount",
            value: "12.50",
        },
        DetailLine {
            label: "Currency",
            value: "EUR",
        },
        DetailLine {
            label: "Creditor",
            value: "<script>alert('x')</script>",
        },
    ];
    consent_page(ConsentView {
        action_url: "/consent/int-1",
        csrf_token: CSRF,
        client_name,
        scopes: &scopes,
        claims: &claims,
        details: &details,
        user_display_name: "Alice Example",
        debtor_choices: &[
            DetailLine {
                label: "Current account · GB57FDCA04000400000001 (EUR)",
                value: "GB57FDCA04000400000001",
            },
            DetailLine {
                label: "Savings <account>",
                value: "GB46\"FDCA",
            },
        ],
        identity: None,
    })
}

#[test]
fn login_page_has_the_form_fields() {
    let page = login(None, None);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#));
    assert!(page.contains(r#"<form method="post" action="/login/int-1">"#));
    assert!(page.contains(r#"name="username""#));
    assert!(page.contains(r#"name="password" type="password""#));
    assert!(page.contains(&format!(r#"<input type="hidden" name="csrf" value="{CSRF}">"#)));
    assert!(!page.contains("role=\"alert\""));
    assert!(!page.contains("<script"));
}

#[test]
fn login_page_escapes_client_name_error_and_username() {
    let page = login(
        Some("Wrong <username> or password."),
        Some("\"><script>x</script>"),
    );
    assert!(page.contains("Budget &lt;b&gt;App&lt;/b&gt; &amp; &quot;Co&quot;"));
    assert!(!page.contains("<b>App"));
    assert!(page.contains("Wrong &lt;username&gt; or password."));
    assert!(page.contains(r#"value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;""#));
    assert!(!page.contains("<script"));
    // After a failed attempt the password field gets the focus.
    assert!(page.contains("required autofocus>"));
}

#[test]
fn consent_page_shows_client_escaped_and_both_buttons() {
    let page = consent("Evil <img src=x onerror=alert(1)> Ltd");
    assert!(page.contains("Evil &lt;img src=x onerror=alert(1)&gt; Ltd"));
    assert!(!page.contains("<img"));
    assert!(page.contains(r#"name="decision" value="approve""#));
    assert!(page.contains(r#"name="decision" value="deny""#));
    assert!(page.contains(&format!(r#"name="csrf" value="{CSRF}""#)));
    assert!(page.contains("<dt>Amount</dt><dd>12.50</dd>"));
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!page.contains("<script"));
    assert!(page.contains("Make the payment shown"));
    assert!(page.contains("alice@example.com"));
    assert!(page.contains("Alice Example"));
}

/// UK OBIE "Domestic Payment Consents": without a DebtorAccount the
/// customer picks the account; the first one is preselected, all inside
/// the form and escaped.
#[test]
fn consent_page_offers_the_accounts_to_pay_from_inside_the_form() {
    let page = consent("App");
    let form = &page[page.find("<form").unwrap()..page.find("</form>").unwrap()];
    assert!(form.contains("<legend>Pay from</legend>"));
    assert!(form.contains(
        r#"<input type="radio" name="debtor_account" value="GB57FDCA04000400000001" required checked> Current account"#
    ));
    assert!(form.contains(r#"value="GB46&quot;FDCA" required> Savings &lt;account&gt;"#));
}

#[test]
fn error_page_escapes_and_shows_the_reference() {
    let page = error_page("Request <expired>", "Start again & retry.", Some("6f1c-<x>"));
    assert!(page.contains("<title>Request &lt;expired&gt;</title>"));
    assert!(page.contains("Start again &amp; retry."));
    assert!(page.contains("Reference: <code>6f1c-&lt;x&gt;</code>"));
    assert!(!error_page("t", "m", None).contains("Reference"));
}

#[test]
fn pages_load_nothing_from_elsewhere() {
    for page in [
        login(Some("e"), Some("u")),
        consent("App"),
        error_page("t", "m", Some("r")),
    ] {
        for needle in [
            "<script",
            "<img",
            "<link",
            "src=\"",
            "http://",
            "https://",
            "javascript:",
        ] {
            assert!(!page.contains(needle), "{needle} in {page}");
        }
    }
}

/// Writes the pages to `$FIDUCIA_PAGES_DIR` (default: the temp dir) for a
/// look in a browser: `cargo test -p fiducia --lib write_sample_pages -- --ignored`.
#[test]
#[ignore = "writes files for a visual check"]
fn write_sample_pages() {
    let dir = std::env::var_os("FIDUCIA_PAGES_DIR").map_or_else(std::env::temp_dir, Into::into);
    std::fs::write(dir.join("login.html"), login(None, None)).unwrap();
    std::fs::write(
        dir.join("login-error.html"),
        login(Some("Wrong username or password."), Some("alice")),
    )
    .unwrap();
    std::fs::write(dir.join("consent.html"), consent("Budget Planner Ltd")).unwrap();
    std::fs::write(
        dir.join("error.html"),
        error_page(
            "This request has expired",
            "The sign-in took too long. Go back to the application and start again.",
            Some("3f6c1d2e-8f51-4a8e-9b7a-2d0c5b1e4f10"),
        ),
    )
    .unwrap();
}
