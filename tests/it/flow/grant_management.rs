//! Grant Management for OAuth 2.0 (FAPI WG, oauth-v2-grant-management-03)
//! end to end over real TLS: `grant_management_action` `create`, `merge`
//! and `replace` at PAR with a second authorization (§5.2), `grant_id` in
//! the token response (§5.5), the grant management endpoint's query and
//! revocation with DPoP- and certificate-bound tokens (§6), the refusals
//! (§5.4 `invalid_grant_id` / `invalid_request`, §6.6 401 / 403 / 404), and
//! the discovery members (§7.1).

use super::super::support::{FINTECH, get, json};
use super::harness::*;
use super::rar::payment_detail;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

/// A private_key_jwt client allowed both grant management scopes.
const GM: &str = "gm-client";
/// A certificate-authenticated client of another fintech, allowed both too.
const OTHER: &str = "gm-other-client";
/// A second customer.
const BOB: &str = "bob";
const BOB_PASSWORD: &str = "builder-4567";
/// Both grant management scopes (§6.1).
const GM_SCOPES: &str = "grant_management_query grant_management_revoke";

async fn start() -> Op {
    Op::start_with_clients("", |jwks| {
        format!(
            r#"
[[clients]]
client_id = "{GM}"
client_name = "Grant Keeper Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
authorization_details_types = ["payment_initiation", "account_information"]
scopes = ["openid", "email", "offline_access", "accounts", "payments", "grant_management_query", "grant_management_revoke"]

[[clients]]
client_id = "{OTHER}"
client_name = "Other Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN={FINTECH},OU=org-1,O=org-1,C=GB"
scopes = ["openid", "offline_access", "accounts", "grant_management_query", "grant_management_revoke"]

[[login.seed_users]]
username = "{BOB}"
password = "{BOB_PASSWORD}"
account_id = "acc-bob-1"
name = "Bob Builder"
email = "bob@example.com"
"#,
            jwks = jwks.display()
        )
    })
    .await
}

fn account_detail() -> Value {
    json!({"type": "account_information", "actions": ["list_accounts", "read_balances"], "locations": ["https://bank.example/accounts"]})
}

/// A second account access detail: one account's transactions.
fn transactions_detail() -> Value {
    json!({"type": "account_information", "actions": ["read_transactions"], "accounts": [{"iban": super::rar::IBAN}]})
}

/// PAR of [`GM`] for `scope` with `extra`, bound to `dpop`: the response.
async fn push(
    op: &Op,
    dpop: &DpopKey,
    scope: &str,
    extra: &[(&str, &str)],
) -> (http::Response<Bytes>, String) {
    let (verifier, challenge) = pkce();
    let assertion = op.assertion(GM, json!({})).await;
    let request = pkjwt_par_for(GM, &assertion, &challenge, scope, extra);
    let proof = dpop.proof("POST", &format!("{ISSUER}/par"), None).await;
    (
        op.send(false, with_header(request, "dpop", &proof)).await,
        verifier,
    )
}

/// [`GM`]'s PAR, then `credentials` (`None`: alice) log in and approve:
/// the redirect back, the PKCE verifier and the consent page.
async fn authorize_as(
    op: &Op,
    dpop: &DpopKey,
    scope: &str,
    extra: &[(&str, &str)],
    credentials: Option<(&str, &str)>,
) -> (String, String, String) {
    let (response, verifier) = push(op, dpop, scope, extra).await;
    assert_status(&response, 201);
    let request_uri = pushed_request_uri(&response);
    let mut browser = Browser::new();
    browser.credentials = credentials.map(|(u, p)| (u.to_string(), p.to_string()));
    let redirect = browser.authorize(op, GM, &request_uri, true).await;
    (
        redirect,
        verifier,
        browser.consent_html.take().unwrap_or_default(),
    )
}

/// Alice approves [`GM`]'s request; the token response.
async fn tokens(op: &Op, dpop: &DpopKey, scope: &str, extra: &[(&str, &str)]) -> Value {
    tokens_and_page(op, dpop, scope, extra).await.0
}

/// [`tokens`] and the consent page Alice saw.
async fn tokens_and_page(op: &Op, dpop: &DpopKey, scope: &str, extra: &[(&str, &str)]) -> (Value, String) {
    let (redirect, verifier, html) = authorize_as(op, dpop, scope, extra, None).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let authorized = Authorized {
        code,
        verifier,
        redirect,
    };
    let response = token_request_for(op, GM, &authorized, Some(dpop)).await;
    assert_status(&response, 200);
    (json(response.body()), html)
}

/// A refresh of [`GM`]'s DPoP-bound `refresh_token`.
async fn refresh(op: &Op, refresh_token: &str, dpop: &DpopKey) -> http::Response<Bytes> {
    let assertion = op.assertion(GM, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", GM),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    op.send(false, with_header(request, "dpop", &proof)).await
}

/// [`GM`]'s DPoP-bound client_credentials token for `scope`.
async fn gm_token(op: &Op, dpop: &DpopKey, scope: &str) -> String {
    let assertion = op.assertion(GM, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", GM),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("scope", scope),
        ],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let response = op.send(false, with_header(request, "dpop", &proof)).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// [`OTHER`]'s certificate-bound client_credentials token for `scope`.
async fn other_token(op: &Op, scope: &str) -> String {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", OTHER),
            ("scope", scope),
        ],
    );
    let response = op.send(true, request).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `method` on `/grants/{grant_id}` with [`GM`]'s DPoP-bound `token`.
async fn grant_call(
    op: &Op,
    method: &str,
    grant_id: &str,
    token: &str,
    dpop: &DpopKey,
) -> http::Response<Bytes> {
    let url = format!("{ISSUER}/grants/{grant_id}");
    let proof = dpop.proof(method, &url, Some(token)).await;
    let request = http::Request::builder()
        .method(method)
        .uri(&url)
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(Full::new(Bytes::new()))
        .unwrap();
    op.send(false, request).await
}

/// `method` on `/grants/{grant_id}` with [`OTHER`]'s certificate-bound token.
async fn other_grant_call(op: &Op, method: &str, grant_id: &str, token: &str) -> http::Response<Bytes> {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{ISSUER}/grants/{grant_id}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    op.send(true, request).await
}

fn grant_id_of(tokens: &Value) -> String {
    tokens["grant_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no grant_id: {tokens}"))
        .to_string()
}

fn scopes_of(tokens: &Value) -> Vec<String> {
    tokens["scope"]
        .as_str()
        .unwrap()
        .split(' ')
        .map(str::to_string)
        .collect()
}

/// §5.2 `create`, then `merge` with a second authorization: the same
/// `grant_id` (§5.5), the tokens and the grant (§6.4) hold the old scopes
/// and details with the new, and the old refresh token is invalidated
/// (§5.2); the new one works and keeps the merged grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_then_merge_extends_the_same_grant_grant_management_s5_2() {
    let op = start().await;
    let dpop = DpopKey::new();
    let accounts = json!([account_detail()]).to_string();
    let first = tokens(
        &op,
        &dpop,
        "openid accounts offline_access",
        &[
            ("grant_management_action", "create"),
            ("authorization_details", &accounts),
        ],
    )
    .await;
    let grant_id = grant_id_of(&first);
    let old_refresh = first["refresh_token"].as_str().unwrap().to_string();
    let transactions = json!([transactions_detail()]).to_string();
    let (second, page) = tokens_and_page(
        &op,
        &dpop,
        "openid payments",
        &[
            ("grant_management_action", "merge"),
            ("grant_id", &grant_id),
            ("authorization_details", &transactions),
        ],
    )
    .await;
    // The customer is told the request adds to what they approved before.
    assert!(page.contains("adds to your existing access"), "{page}");
    assert_eq!(
        grant_id_of(&second),
        grant_id,
        "a merge keeps the grant: {second}"
    );
    let mut scopes = scopes_of(&second);
    scopes.sort();
    assert_eq!(
        scopes,
        ["accounts", "offline_access", "openid", "payments"],
        "{second}"
    );
    assert_eq!(
        second["authorization_details"],
        json!([account_detail(), transactions_detail()]),
        "{second}"
    );
    // §5.2: the refresh token of before the merge is invalidated.
    let stale = refresh(&op, &old_refresh, &dpop).await;
    assert_status(&stale, 400);
    assert_eq!(json(stale.body())["error"], "invalid_grant");
    // The merged grant's own refresh token works and names the grant.
    let new_refresh = second["refresh_token"]
        .as_str()
        .expect("offline_access was merged in");
    let refreshed = refresh(&op, new_refresh, &dpop).await;
    assert_status(&refreshed, 200);
    let refreshed = json(refreshed.body());
    assert_eq!(grant_id_of(&refreshed), grant_id);
    assert!(
        scopes_of(&refreshed).contains(&"payments".to_string()),
        "{refreshed}"
    );
    // §6.4: the grant as the endpoint shows it.
    let token = gm_token(&op, &dpop, GM_SCOPES).await;
    let response = grant_call(&op, "GET", &grant_id, &token, &dpop).await;
    assert_status(&response, 200);
    let grant = json(response.body());
    assert_eq!(
        grant["scopes"],
        json!([{"scope": "openid accounts offline_access payments"}]),
        "{grant}"
    );
    assert_eq!(
        grant["authorization_details"],
        json!([account_detail(), transactions_detail()])
    );
    assert!(
        grant["created_at"].is_u64() && grant["expires_at"].is_u64(),
        "{grant}"
    );
    op.handle.shutdown().await;
}

/// §5.2 `replace`: the grant keeps its id and holds only what the second
/// authorization approved; the tokens say so, and so does the endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_leaves_only_the_new_approval_grant_management_s5_2() {
    let op = start().await;
    let dpop = DpopKey::new();
    let accounts = json!([account_detail()]).to_string();
    let first = tokens(
        &op,
        &dpop,
        "openid accounts",
        &[("authorization_details", &accounts)],
    )
    .await;
    // A grant made without an action is a grant like any other (§5.5).
    let grant_id = grant_id_of(&first);
    let transactions = json!([transactions_detail()]).to_string();
    let second = tokens(
        &op,
        &dpop,
        "openid payments",
        &[
            ("grant_management_action", "replace"),
            ("grant_id", &grant_id),
            ("authorization_details", &transactions),
        ],
    )
    .await;
    assert_eq!(grant_id_of(&second), grant_id);
    let mut scopes = scopes_of(&second);
    scopes.sort();
    assert_eq!(scopes, ["openid", "payments"], "{second}");
    assert_eq!(second["authorization_details"], json!([transactions_detail()]));
    let token = gm_token(&op, &dpop, "grant_management_query").await;
    let response = grant_call(&op, "GET", &grant_id, &token, &dpop).await;
    assert_status(&response, 200);
    let grant = json(response.body());
    assert_eq!(grant["scopes"], json!([{"scope": "openid payments"}]), "{grant}");
    assert_eq!(grant["authorization_details"], json!([transactions_detail()]));
    op.handle.shutdown().await;
}

/// §6.4 query and §6.5 revocation: GET needs `grant_management_query` and
/// DELETE `grant_management_revoke` (else 403 `insufficient_scope`, RFC
/// 6750 §3.1); no token is 401 `invalid_token` (§6.6); DELETE answers 204
/// and ends every token of the grant (the access token at userinfo, the
/// refresh token at the token endpoint); the grant is then 404 and cannot
/// be merged into (§5.4 `invalid_grant_id`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_queries_and_revokes_grant_management_s6() {
    let op = start().await;
    let dpop = DpopKey::new();
    let issued = tokens(
        &op,
        &dpop,
        "openid email offline_access",
        &[("grant_management_action", "create")],
    )
    .await;
    let grant_id = grant_id_of(&issued);
    let access_token = issued["access_token"].as_str().unwrap();
    let refresh_token = issued["refresh_token"].as_str().unwrap();
    // RFC 6750 §3.1: no token.
    let response = op.send(false, get(&format!("/grants/{grant_id}"))).await;
    assert_status(&response, 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(json(response.body())["error"], "invalid_token");
    // A customer's access token lacks the scopes: 403 insufficient_scope.
    let response = grant_call(&op, "GET", &grant_id, access_token, &dpop).await;
    assert_status(&response, 403);
    assert_eq!(json(response.body())["error"], "insufficient_scope");
    let query_only = gm_token(&op, &dpop, "grant_management_query").await;
    let response = grant_call(&op, "GET", &grant_id, &query_only, &dpop).await;
    assert_status(&response, 200);
    assert_eq!(
        json(response.body())["scopes"],
        json!([{"scope": "openid email offline_access"}])
    );
    let response = grant_call(&op, "DELETE", &grant_id, &query_only, &dpop).await;
    assert_status(&response, 403);
    assert_eq!(json(response.body())["error"], "insufficient_scope");
    // A DPoP-bound token without its proof is refused (RFC 9449 §7.1).
    let bare = http::Request::builder()
        .method("GET")
        .uri(format!("{ISSUER}/grants/{grant_id}"))
        .header("authorization", format!("DPoP {query_only}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_status(&op.send(false, bare).await, 401);
    // An unknown grant is 404 (§6.6).
    let response = grant_call(&op, "GET", "no-such-grant", &query_only, &dpop).await;
    assert_status(&response, 404);
    // §6.5: revoke.
    let revoker = gm_token(&op, &dpop, "grant_management_revoke").await;
    let response = grant_call(&op, "DELETE", &grant_id, &revoker, &dpop).await;
    assert_status(&response, 204);
    assert!(response.body().is_empty());
    let userinfo = userinfo_dpop(&op, access_token, &dpop).await;
    assert_status(&userinfo, 401);
    let refreshed = refresh(&op, refresh_token, &dpop).await;
    assert_status(&refreshed, 400);
    assert_eq!(json(refreshed.body())["error"], "invalid_grant");
    for method in ["GET", "DELETE"] {
        let token = if method == "GET" { &query_only } else { &revoker };
        let response = grant_call(&op, method, &grant_id, token, &dpop).await;
        assert_status(&response, 404);
    }
    // §5.4: a revoked grant cannot be merged into.
    let (response, _) = push(
        &op,
        &dpop,
        "openid",
        &[("grant_management_action", "merge"), ("grant_id", &grant_id)],
    )
    .await;
    assert_status(&response, 400);
    assert_eq!(json(response.body())["error"], "invalid_grant_id");
    op.handle.shutdown().await;
}

/// §5.4 and §6.6: another client's `grant_id` is refused everywhere — at
/// PAR (`invalid_grant_id`, as for an unknown grant), and at the endpoint
/// with its own certificate-bound token (RFC 8705 §3), 404 for GET and
/// DELETE; the grant is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clients_grant_id_is_refused_grant_management_s5_4_s6_6() {
    let op = start().await;
    let dpop = DpopKey::new();
    let issued = tokens(
        &op,
        &dpop,
        "openid accounts",
        &[("grant_management_action", "create")],
    )
    .await;
    let grant_id = grant_id_of(&issued);
    let (_, challenge) = pkce();
    for (action, grant) in [
        ("merge", grant_id.as_str()),
        ("replace", grant_id.as_str()),
        ("merge", "no-such-grant"),
    ] {
        let request = form(
            "/par",
            &[
                ("client_id", OTHER),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid accounts"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("grant_management_action", action),
                ("grant_id", grant),
            ],
        );
        let response = op.send(true, request).await;
        assert_status(&response, 400);
        let body = json(response.body());
        assert_eq!(body["error"], "invalid_grant_id", "{action} {grant}: {body}");
    }
    let token = other_token(&op, GM_SCOPES).await;
    for method in ["GET", "DELETE"] {
        let response = other_grant_call(&op, method, &grant_id, &token).await;
        assert_status(&response, 404);
        assert_eq!(json(response.body())["error"], "not_found");
    }
    // Still there for its own client.
    let own = gm_token(&op, &dpop, GM_SCOPES).await;
    assert_status(&grant_call(&op, "GET", &grant_id, &own, &dpop).await, 200);
    let userinfo = userinfo_dpop(&op, issued["access_token"].as_str().unwrap(), &dpop).await;
    assert_status(&userinfo, 200);
    op.handle.shutdown().await;
}

/// A merge only ever joins the grant's own customer: Bob logging in to a
/// request that merges into Alice's grant gets the client
/// `invalid_grant_id` at its redirect URI (§5.4), no code, and Alice's
/// grant keeps exactly what it had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_into_another_customers_grant_ends_with_invalid_grant_id() {
    let op = start().await;
    let dpop = DpopKey::new();
    let issued = tokens(
        &op,
        &dpop,
        "openid accounts",
        &[("grant_management_action", "create")],
    )
    .await;
    let grant_id = grant_id_of(&issued);
    let (redirect, _, page) = authorize_as(
        &op,
        &dpop,
        "openid payments",
        &[("grant_management_action", "merge"), ("grant_id", &grant_id)],
        Some((BOB, BOB_PASSWORD)),
    )
    .await;
    // Bob is not told of Alice's access.
    assert!(!page.contains("existing access"), "{page}");
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("invalid_grant_id"),
        "{redirect}"
    );
    assert!(query_param(&redirect, "code").is_none());
    let token = gm_token(&op, &dpop, GM_SCOPES).await;
    let response = grant_call(&op, "GET", &grant_id, &token, &dpop).await;
    assert_status(&response, 200);
    assert_eq!(
        json(response.body())["scopes"],
        json!([{"scope": "openid accounts"}])
    );
    op.handle.shutdown().await;
}

/// §5.4 `invalid_request` for malformed grant management parameters at
/// PAR, and §7.1's discovery members.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_parameters_are_invalid_request_and_discovery_names_the_endpoint() {
    let op = start().await;
    let dpop = DpopKey::new();
    let cases: [&[(&str, &str)]; 5] = [
        &[("grant_management_action", "merge")],
        &[("grant_management_action", "replace")],
        &[("grant_management_action", "create"), ("grant_id", "g-1")],
        &[("grant_id", "g-1")],
        &[("grant_management_action", "update"), ("grant_id", "g-1")],
    ];
    for extra in cases {
        let (response, _) = push(&op, &dpop, "openid", extra).await;
        assert_status(&response, 400);
        let body = json(response.body());
        assert_eq!(body["error"], "invalid_request", "{extra:?}: {body}");
    }
    let response = op.send(false, get("/.well-known/openid-configuration")).await;
    assert_status(&response, 200);
    let metadata = json(response.body());
    assert_eq!(metadata["grant_management_endpoint"], format!("{ISSUER}/grants"));
    assert_eq!(
        metadata["grant_management_actions_supported"],
        json!(["create", "merge", "replace", "query", "revoke"])
    );
    assert_eq!(metadata["grant_management_action_required"], false);
    op.handle.shutdown().await;
}

/// §5.2 in a signed request object (RFC 9101 §4) pushed at PAR: the
/// object's `grant_management_action` and `grant_id` merge as the form's
/// do, and an unknown `grant_id` in it is `invalid_grant_id` (§5.4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_object_merges_like_the_form_rfc9101_s4() {
    let op = start().await;
    let dpop = DpopKey::new();
    let first = tokens(
        &op,
        &dpop,
        "openid accounts",
        &[("grant_management_action", "create")],
    )
    .await;
    let grant_id = grant_id_of(&first);
    let (verifier, challenge) = pkce();
    let merge = json!({"scope": "openid payments", "grant_management_action": "merge", "grant_id": grant_id});
    let object = op.request_object(GM, &challenge, merge).await;
    let response = op.push_request_object(GM, &object, &[]).await;
    assert_status(&response, 201);
    let redirect = Browser::new()
        .authorize(&op, GM, &pushed_request_uri(&response), true)
        .await;
    let authorized = Authorized {
        code: query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}")),
        verifier,
        redirect,
    };
    let response = token_request_for(&op, GM, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    let merged = json(response.body());
    assert_eq!(grant_id_of(&merged), grant_id);
    let mut scopes = scopes_of(&merged);
    scopes.sort();
    assert_eq!(scopes, ["accounts", "openid", "payments"], "{merged}");
    let unknown = json!({"grant_management_action": "replace", "grant_id": "no-such-grant"});
    let object = op.request_object(GM, &challenge, unknown).await;
    let response = op.push_request_object(GM, &object, &[]).await;
    assert_status(&response, 400);
    assert_eq!(json(response.body())["error"], "invalid_grant_id");
    op.handle.shutdown().await;
}

/// A payment grant is its own consent (RFC 9396 §2, used up with its
/// payment): a merge that adds a `payment_initiation` detail, and a merge
/// or replace of a payment grant, are `invalid_request` at PAR; the
/// payment grant is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_grants_are_neither_merged_nor_replaced() {
    let op = start().await;
    let dpop = DpopKey::new();
    let accounts = tokens(
        &op,
        &dpop,
        "openid accounts",
        &[("grant_management_action", "create")],
    )
    .await;
    let payment = json!([payment_detail()]).to_string();
    let (response, _) = push(
        &op,
        &dpop,
        "openid",
        &[
            ("grant_management_action", "merge"),
            ("grant_id", &grant_id_of(&accounts)),
            ("authorization_details", &payment),
        ],
    )
    .await;
    assert_status(&response, 400);
    assert_eq!(json(response.body())["error"], "invalid_request");
    let paid = tokens(&op, &dpop, "openid", &[("authorization_details", &payment)]).await;
    let payment_grant = grant_id_of(&paid);
    for action in ["merge", "replace"] {
        let (response, _) = push(
            &op,
            &dpop,
            "openid accounts",
            &[("grant_management_action", action), ("grant_id", &payment_grant)],
        )
        .await;
        assert_status(&response, 400);
        assert_eq!(json(response.body())["error"], "invalid_request", "{action}");
    }
    let token = gm_token(&op, &dpop, "grant_management_query").await;
    let response = grant_call(&op, "GET", &payment_grant, &token, &dpop).await;
    assert_status(&response, 200);
    assert_eq!(
        json(response.body())["authorization_details"],
        json!([payment_detail()])
    );
    op.handle.shutdown().await;
}
