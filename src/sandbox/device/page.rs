//! The device's pages: sign-in, the customer's pending requests with
//! Approve / Deny, and the outcome of a decision. The login service's
//! document and style (`login::pages::document`: HTML5, no JavaScript,
//! nothing external, readable on a phone); every value from a request or
//! a customer goes through [`Text`], attributes are double-quoted; each
//! form carries the CSRF token (RFC 6749 §10.12).

use super::notification::PendingRequest;
use super::summary;
use crate::login::html::Text;
use crate::login::pages::document;
use std::fmt::Write as _;

/// Where the forms post.
pub const SIGN_IN: &str = "/signin";
/// Approve or deny a request.
pub const DECIDE: &str = "/decide";
/// Sign out.
pub const SIGN_OUT: &str = "/signout";

/// The sign-in form, with `error` after a failed attempt.
pub fn sign_in(csrf: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", Text(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sandbox Bank</h1>\n<p class=\"sub\">Sign in to see what is waiting for your approval.</p>\n\
         {error}<form method=\"post\" action=\"{SIGN_IN}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"username\">Username</label>\n\
         <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\n\
         <label for=\"password\">Password</label>\n\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\">Sign in</button></div>\n</form>",
        csrf = Text(csrf),
    );
    document("Sandbox Bank", &body, "Fiducia sandbox customer device")
}

/// The customer's pending requests, each with Approve and Deny.
pub fn inbox(name: &str, csrf: &str, requests: &[std::sync::Arc<PendingRequest>], now: u64) -> String {
    let mut body = format!(
        "<h1>Hello, {}</h1>\n<p class=\"sub\">Requests waiting for your decision.</p>\n",
        Text(name)
    );
    if requests.is_empty() {
        body.push_str("<p class=\"who\">Nothing is waiting. Reload this page when a shop asks you.</p>\n");
    }
    for request in requests {
        let _ = write!(
            body,
            "<section>\n<h2>{client} asks</h2>\n",
            client = Text(&request.client_name)
        );
        if let Some(message) = &request.binding_message {
            let _ = writeln!(
                body,
                "<p class=\"who\">Check that {client} shows: <strong>{message}</strong></p>",
                client = Text(&request.client_name),
                message = Text(message)
            );
        }
        body.push_str("<dl>\n");
        let mut dl = |label: &str, value: &str| {
            let _ = writeln!(body, "<dt>{}</dt><dd>{}</dd>", Text(label), Text(value));
        };
        dl("Scopes", &request.scopes.join(" "));
        for line in summary::lines(request) {
            dl(line.label, &line.value);
        }
        dl(
            "Expires in",
            &format!("{} s", request.expires_at.saturating_sub(now)),
        );
        body.push_str("</dl>\n");
        let _ = write!(
            body,
            "<form method=\"post\" action=\"{DECIDE}\">\n\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
             <input type=\"hidden\" name=\"auth_req_id\" value=\"{id}\">\n\
             <div class=\"actions\">\
             <button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
             <button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
             </div>\n</form>\n</section>\n",
            csrf = Text(csrf),
            id = Text(&request.auth_req_id),
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{SIGN_OUT}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <div class=\"actions\"><button class=\"secondary\" type=\"submit\">Sign out</button></div>\n</form>",
        csrf = Text(csrf)
    );
    document(
        "Sandbox Bank: your requests",
        &body,
        "Fiducia sandbox customer device",
    )
}

/// What became of a decision, with a way back to the list.
pub fn outcome(title: &str, message: &str) -> String {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"sub\">{}</p>\n<p><a href=\"/\">Back to your requests</a></p>",
        Text(title),
        Text(message)
    );
    document(title, &body, "Fiducia sandbox customer device")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_hostile_binding_message_and_client_name_are_inert() {
        let request = PendingRequest {
            auth_req_id: "r\"><script>".into(),
            sub: "s".into(),
            client_id: "c".into(),
            client_name: "<img src=x onerror=alert(1)>".into(),
            scopes: vec!["openid".into()],
            binding_message: Some("<script>alert('x')</script>".into()),
            acr_values: None,
            authorization_details: None,
            intent: None,
            expires_at: 160,
        };
        let html = inbox("Alice & Bob", "tok", &[Arc::new(request)], 100);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("value=\"r&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("Alice &amp; Bob"));
        assert!(html.contains("60 s"));
    }
}
