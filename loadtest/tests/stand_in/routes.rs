//! The stand-in's routing and its OAuth endpoints: discovery, PAR (RFC
//! 9126 §2), token (RFC 6749 §4.1.3: the code once, the redirect_uri, the
//! PKCE verifier against PAR's challenge, RFC 7636 §4.6) and userinfo. The
//! pages a browser meets are in `pages.rs`.

use super::pages::{after, authorize, consent, consent_page, done, login, login_page, start};
use super::{
    Authorization, LOGIN_HOST, MTLS_CLIENT, OP_HOST, PKJWT_CLIENT, REDIRECT_URI, Shared, USER, random,
    respond,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;

pub(super) type Response = hyper::Response<Full<Bytes>>;

/// A request as the handlers read it.
pub(super) struct Req<'a> {
    pub host: String,
    pub path: &'a str,
    pub post: bool,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    pub parts: &'a Parts,
    pub cert: bool,
}

impl Req<'_> {
    pub fn query(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }
    pub fn form(&self, name: &str) -> Option<&str> {
        find(&self.form, name)
    }
    pub fn cookie(&self, name: &str) -> Option<&str> {
        find(&self.cookies, name)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name)?.to_str().ok()
    }
}

pub(super) fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn pairs(s: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(s)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn route(shared: &Shared, cert: bool, parts: &Parts, body: &Bytes) -> Response {
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':').map(|(h, _)| h.to_string()))
        .unwrap_or_default();
    let cookies = parts
        .headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let request = Req {
        host,
        path: parts.uri.path(),
        post: parts.method == hyper::Method::POST,
        query: pairs(parts.uri.query().unwrap_or_default().as_bytes()),
        form: pairs(body),
        cookies,
        parts,
        cert,
    };
    let answer = match (request.host.as_str(), request.path, request.post) {
        (OP_HOST, "/.well-known/openid-configuration", false) => Ok(discovery(shared)),
        (OP_HOST, "/par", true) => par(shared, &request),
        (OP_HOST, "/authorize", false) => authorize(shared, &request),
        (OP_HOST, "/spin", false) => Ok(found(302, "/spin", &[])),
        (LOGIN_HOST, "/u/start", false) => start(shared, &request),
        (LOGIN_HOST, "/u/login", false) => login_page(shared, &request),
        (LOGIN_HOST, "/u/login", true) => login(shared, &request),
        (LOGIN_HOST, "/u/after", false) => after(shared, &request),
        (OP_HOST, "/consent", false) => consent_page(shared, &request),
        (OP_HOST, "/consent", true) => consent(shared, &request),
        (OP_HOST, "/done", false) => done(shared, &request),
        (OP_HOST, "/token", true) => token(shared, &request),
        (OP_HOST, "/userinfo", false) => userinfo(shared, &request),
        (host, path, post) => Err(format!(
            "no route for {} {host}{path}",
            if post { "POST" } else { "GET" }
        )),
    };
    answer.unwrap_or_else(|why| {
        shared.violation(why.clone());
        respond(400, &[("content-type", "text/plain".into())], why)
    })
}

pub(super) fn json(status: u16, value: serde_json::Value) -> Response {
    respond(
        status,
        &[("content-type", "application/json".into())],
        value.to_string(),
    )
}

pub(super) fn html(body: String, cookies: &[String]) -> Response {
    let mut headers = vec![("content-type", "text/html; charset=utf-8".to_string())];
    headers.extend(cookies.iter().map(|c| ("set-cookie", c.clone())));
    respond(200, &headers, body)
}

pub(super) fn found(status: u16, location: &str, cookies: &[String]) -> Response {
    let mut headers = vec![("location", location.to_string())];
    headers.extend(cookies.iter().map(|c| ("set-cookie", c.clone())));
    respond(status, &headers, Bytes::new())
}

fn discovery(shared: &Shared) -> Response {
    let issuer = shared.issuer();
    json(
        200,
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "pushed_authorization_request_endpoint": format!("{issuer}/par"),
            "token_endpoint": format!("{issuer}/token"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
        }),
    )
}

/// `Ok` when `cond`, else the violation `what`.
pub(super) fn need(cond: bool, what: &str) -> Result<(), String> {
    match cond {
        true => Ok(()),
        false => Err(what.to_string()),
    }
}

/// The client's authentication: an assertion and a DPoP proof for the
/// private_key_jwt client, the certificate for the tls_client_auth one.
fn client(request: &Req<'_>, form_client: Option<&str>) -> Result<String, String> {
    match form_client {
        Some(PKJWT_CLIENT) => {
            need(request.form("client_assertion").is_some(), "no client_assertion")?;
            need(request.header("dpop").is_some(), "no DPoP proof")?;
            need(
                !request.cert,
                "a certificate on the private_key_jwt client's connection",
            )?;
            Ok(PKJWT_CLIENT.into())
        }
        Some(MTLS_CLIENT) => {
            need(request.cert, "no client certificate for tls_client_auth")?;
            Ok(MTLS_CLIENT.into())
        }
        _ => Err("unknown client".into()),
    }
}

/// RFC 9126 §2.
fn par(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let client_id = client(request, request.form("client_id"))?;
    need(
        request.form("redirect_uri") == Some(REDIRECT_URI),
        "PAR: redirect_uri",
    )?;
    need(
        request.form("code_challenge_method") == Some("S256"),
        "PAR: not S256",
    )?;
    let challenge = request.form("code_challenge").ok_or("PAR: no code_challenge")?;
    let state = request.form("state").ok_or("PAR: no state")?;
    let rid = shared.next_id();
    let authorization = Authorization {
        client_id,
        state: state.to_string(),
        challenge: challenge.to_string(),
        login_token: format!("{}&'\"<x>", random()),
        consent_token: random(),
    };
    lock(shared)?.authorizations.insert(rid.clone(), authorization);
    Ok(json(
        201,
        serde_json::json!({"request_uri": format!("urn:ietf:params:oauth:request_uri:{rid}"), "expires_in": 60}),
    ))
}

pub(super) fn lock(shared: &Shared) -> Result<std::sync::MutexGuard<'_, super::State>, String> {
    shared.state.lock().map_err(|_| "poisoned".to_string())
}

pub(super) fn authorization(shared: &Shared, rid: &str) -> Result<Authorization, String> {
    lock(shared)?
        .authorizations
        .get(rid)
        .cloned()
        .ok_or_else(|| "unknown rid".to_string())
}

/// The request's `rid` and its authorization.
pub(super) fn rid_of(shared: &Shared, request: &Req<'_>) -> Result<(String, Authorization), String> {
    let rid = request.query("rid").ok_or("no rid")?.to_string();
    let authorization = authorization(shared, &rid)?;
    Ok((rid, authorization))
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.6.
fn token(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let client_id = client(request, request.form("client_id"))?;
    need(
        request.form("grant_type") == Some("authorization_code"),
        "token: grant_type",
    )?;
    need(
        request.form("redirect_uri") == Some(REDIRECT_URI),
        "token: redirect_uri",
    )?;
    let code = request.form("code").ok_or("token: no code")?;
    let authorization = lock(shared)?
        .codes
        .remove(code)
        .ok_or("token: unknown or used code")?;
    need(
        authorization.client_id == client_id,
        "token: the code is another client's",
    )?;
    let verifier = request.form("code_verifier").ok_or("token: no code_verifier")?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    need(
        URL_SAFE_NO_PAD.encode(digest) == authorization.challenge,
        "token: PKCE verifier does not match the challenge (RFC 7636 §4.6)",
    )?;
    let access_token = random();
    lock(shared)?
        .tokens
        .insert(access_token.clone(), client_id.clone());
    let token_type = if client_id == PKJWT_CLIENT {
        "DPoP"
    } else {
        "Bearer"
    };
    Ok(json(
        200,
        serde_json::json!({"access_token": access_token, "token_type": token_type, "expires_in": 300}),
    ))
}

fn userinfo(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let authorization = request
        .header("authorization")
        .ok_or("userinfo: no Authorization")?;
    let (scheme, token) = authorization.split_once(' ').ok_or("userinfo: Authorization")?;
    let client_id = lock(shared)?
        .tokens
        .get(token)
        .cloned()
        .ok_or("userinfo: unknown access token")?;
    match client_id.as_str() {
        PKJWT_CLIENT => need(
            scheme == "DPoP" && request.header("dpop").is_some(),
            "userinfo: DPoP",
        )?,
        _ => need(
            scheme == "Bearer" && request.cert,
            "userinfo: certificate-bound token without cert",
        )?,
    }
    Ok(json(200, serde_json::json!({"sub": USER.0})))
}
