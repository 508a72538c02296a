//! Issue 25 item 2, over real TLS: the customer's login delegated to the
//! bank's own OpenID Provider (`[login.upstream]`). Two set-ups:
//!
//! - `flow.rs`: a second Fiducia is the upstream provider, with a static
//!   client for the downstream OP (`private_key_jwt` against the
//!   downstream's own `jwks_uri`, redirect URI the downstream's callback)
//!   and its own seeded customer; the full code flow through both OPs'
//!   built-in pages, and the browser-binding and `state` rules;
//! - `refusals.rs`: a hostile upstream (discovery, JWKS and a token
//!   endpoint serving crafted ID tokens on the test PKI's TLS) shows the
//!   ID token refusals of OIDC Core §3.1.3.7, and an unknown `sub` with
//!   `provision = false`.

pub mod flow;
pub mod refusals;

use super::super::support::{TestPki, assert_status, free_port, json};
use super::harness::*;
use bytes::Bytes;
use http::Response;
use serde_json::json;

/// The downstream client whose logins go upstream.
pub const RP_CLIENT: &str = "rp-fintech";
/// The downstream OP's `client_id` at the upstream.
pub const AT_UPSTREAM: &str = "fiducia-downstream";
/// The downstream customer linked to the upstream's alice.
pub const LINKED_ACCOUNT: &str = "acc-linked-7";
/// The downstream's redirect URI registered at the upstream.
pub fn callback() -> String {
    format!("{ISSUER}/login/upstream/callback")
}

/// The downstream OP: `RP_CLIENT` uses the upstream at `issuer`, whose
/// TLS certificates chain to `upstream_ca`; the customer linked to
/// (`issuer`, `linked_sub`) is `LINKED_ACCOUNT`; `lines` are added to
/// `[login.upstream]`.
pub async fn downstream(pki: TestPki, issuer: &str, upstream_ca: &str, linked_sub: &str, lines: &str) -> Op {
    let link = fiducia::login::upstream_link::link_username(issuer, linked_sub);
    let cas = format!("[\"{}\", \"{upstream_ca}\"]", pki.ca().display());
    let env = [("FIDUCIA_TLS__CLIENT_CA", cas.as_str())];
    let sections = Sections {
        env: &env,
        ..Sections::default()
    };
    Op::start_with_sections(pki, sections, |jwks| {
        format!(
            r#"
[[clients]]
client_id = "{RP_CLIENT}"
client_name = "Upstream Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
interaction_app = "upstream"
authorization_details_types = ["payment_initiation"]

[[login.seed_users]]
username = "{link}"
password = "linked-password-1"
account_id = "{LINKED_ACCOUNT}"
name = "Alice (before the upstream said)"
email = "old@example.com"

[login.upstream]
issuer = "{issuer}"
client_id = "{AT_UPSTREAM}"
scopes = ["openid", "profile", "email"]
claims_map = {{ name = "name", email = "email" }}
acr_map = {{ "urn:openbanking:psd2:ca" = "urn:openbanking:psd2:ca", "urn:bank:loa:3" = "urn:openbanking:psd2:sca" }}
{lines}
"#,
            jwks = jwks.display()
        )
    })
    .await
}

/// The upstream Fiducia on `port` (its issuer `https://localhost:port`):
/// alice is its customer; the downstream is its private_key_jwt client
/// with the downstream's `/jwks` as `jwks_uri`; `more_env` sets more of
/// its configuration.
pub async fn upstream(pki: TestPki, port: u16, down: &Op, more_env: &[(&str, &str)]) -> Op {
    let issuer = format!("https://localhost:{port}");
    let listen = format!("127.0.0.1:{port}");
    let cas = format!("[\"{}\", \"{}\"]", pki.ca().display(), down.pki.ca().display());
    let mut env = vec![
        ("FIDUCIA_SERVER__ISSUER", issuer.as_str()),
        ("FIDUCIA_SERVER__LISTEN", listen.as_str()),
        ("FIDUCIA_TLS__CLIENT_CA", cas.as_str()),
    ];
    env.extend_from_slice(more_env);
    let sections = Sections {
        env: &env,
        ..Sections::default()
    };
    let down_jwks = format!("https://localhost:{}/jwks", down.handle.main_addr.port());
    Op::start_with_sections(pki, sections, |_| {
        format!(
            r#"
[[clients]]
client_id = "{AT_UPSTREAM}"
client_name = "Fiducia downstream"
redirect_uris = ["{callback}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_uri = "{down_jwks}"
scopes = ["openid", "profile", "email"]
"#,
            callback = callback()
        )
    })
    .await
}

/// The pair: the downstream OP and the upstream Fiducia.
pub struct Pair {
    pub down: Op,
    pub up: Op,
    pub issuer: String,
}

/// Starts both, `lines` in the downstream's `[login.upstream]`.
pub async fn pair(lines: &str) -> Pair {
    pair_with(lines, &[]).await
}

/// [`pair`], the upstream with `up_env` overrides.
pub async fn pair_with(lines: &str, up_env: &[(&str, &str)]) -> Pair {
    let (down_pki, up_pki) = (TestPki::new(), TestPki::new());
    let port = free_port();
    let issuer = format!("https://localhost:{port}");
    let up_ca = up_pki.ca().display().to_string();
    // The upstream's alice (`acc-alice-1`) is linked downstream.
    let down = downstream(down_pki, &issuer, &up_ca, "acc-alice-1", lines).await;
    let up = upstream(up_pki, port, &down, up_env).await;
    Pair { down, up, issuer }
}

/// PAR of `RP_CLIENT` at the downstream (`scope`, PKCE, state `st-up`,
/// nonce `n-up`, `extra`): the `/authorize` path and the PKCE verifier.
pub async fn push(down: &Op, scope: &str, extra: &[(&str, &str)]) -> (String, String) {
    let (verifier, challenge) = pkce();
    let assertion = down.assertion(RP_CLIENT, json!({})).await;
    let mut params = vec![("state", "st-up"), ("nonce", "n-up")];
    params.extend_from_slice(extra);
    let response = down
        .send(
            false,
            pkjwt_par_for(RP_CLIENT, &assertion, &challenge, scope, &params),
        )
        .await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", RP_CLIENT)
        .append_pair("request_uri", &request_uri)
        .finish();
    (format!("/authorize?{query}"), verifier)
}

/// The path and query of an absolute URL on `base`.
pub fn path_of(url: &str, base: &str) -> String {
    url.strip_prefix(base)
        .unwrap_or_else(|| panic!("{url} is not on {base}"))
        .to_string()
}

/// The page's text.
pub fn text(response: &Response<Bytes>) -> String {
    String::from_utf8(response.body().to_vec()).unwrap()
}

/// The value of `name` in the OP's admin `/metrics`, summed over labels
/// matching `labels`.
pub async fn metric(op: &Op, name: &str, labels: &str) -> f64 {
    let (_, body) = super::super::support::admin_get(op.handle.admin_addr, "/metrics").await;
    body.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
