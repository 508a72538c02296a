//! `GET /sandbox/callback`: the sandbox fintech's redirect URI. It shows the
//! authorization response it received (RFC 6749 §4.1.2: `code`, `state`,
//! RFC 9207 `iss`; or `error`) so that a person trying the flow in a
//! browser can copy the code into the token request. Served only with
//! `server.sandbox_callback = true`.

use crate::http::browser;
use crate::login::html::escape;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// Renders the page.
pub fn get(request: &Request<Bytes>) -> Response<Bytes> {
    let query = browser::query(request.uri()).unwrap_or_default();
    let mut rows = String::new();
    for name in ["code", "state", "iss", "error", "error_description"] {
        if let Some(value) = query.get(name) {
            rows.push_str(&format!(
                "<tr><th>{}</th><td><code>{}</code></td></tr>",
                escape(name),
                escape(value)
            ));
        }
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Sandbox fintech: authorization response</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}td,th{{text-align:left;padding:.3rem .6rem;vertical-align:top}}code{{word-break:break-all}}</style></head><body><h1>Authorization response</h1><p>The OP sent the customer back to the sandbox fintech with:</p><table>{rows}</table><p>Paste the code into <code>scripts/sandbox-flow.sh</code> to exchange it for tokens (it expires in 60 seconds).</p></body></html>"
    );
    browser::page(StatusCode::OK, html, None)
}
