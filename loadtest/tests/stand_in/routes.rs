//! The stand-in's pages. One authorization (`rid`) goes:
//!
//! 1. `op.test/authorize` sets `op_host` (host-only), `op_dom`
//!    (`Domain=op.test`) and `foreign` (`Domain=login.op.test`, refused by
//!    RFC 6265 §5.3 step 6), then 302 → `login.op.test/u/start`.
//! 2. `/u/start` wants `op_dom` and neither `op_host` nor `foreign`; sets
//!    `u_start` (no Path: default path `/u`, §5.1.4), `gone`, `expired`,
//!    `old=1` and `elsewhere` (`Path=/other`), then 303 → `login?rid=…`
//!    (a relative reference).
//! 3. `/u/login` wants `u_start`, `gone`, `expired`, `old=1`, not
//!    `elsewhere`; sets `u_login` (`Path=/u/login`); shows a search form and
//!    then the login form: `user`, `pass`, hidden `authenticity_token`,
//!    `<input type=submit name=commit>`, an action with `&amp;`.
//! 4. POST `/u/login` checks it all; deletes `gone` (`Max-Age=0`) and
//!    `expired` (an `Expires` in 1970), replaces `old` with `old=2`; 302 →
//!    `/u/after`, which wants a GET with `old=2` and neither `gone` nor
//!    `expired`, then 307 → `//op.test:PORT/consent` (network-path).
//! 5. `op.test/consent` wants `op_host` and `op_dom` and none of the
//!    login host's cookies; sets `c_sess` (`Path=/consent`) and `__Host-op`;
//!    shows accounts (radio, one checked) and `<button name=action
//!    value=deny|accept>`.
//! 6. POST `/consent` checks the choice and cookies; 302 → `/done`, 302 →
//!    the redirect_uri with `code`, `state` and `iss`.
//! 7. `/token` checks the code (once), redirect_uri and the PKCE verifier
//!    against the challenge from PAR (RFC 7636 §4.6, S256); `/userinfo` the
//!    access token.

use super::{
    Authorization, Behaviour, LOGIN_HOST, MTLS_CLIENT, OP_HOST, PKJWT_CLIENT, REDIRECT_URI, Shared, USER,
    random, respond,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;

type Response = hyper::Response<Full<Bytes>>;

/// A request as the handlers read it.
struct Req<'a> {
    host: String,
    path: &'a str,
    post: bool,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    parts: &'a Parts,
    cert: bool,
}

impl Req<'_> {
    fn query(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }
    fn form(&self, name: &str) -> Option<&str> {
        find(&self.form, name)
    }
    fn cookie(&self, name: &str) -> Option<&str> {
        find(&self.cookies, name)
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name)?.to_str().ok()
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
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

fn json(status: u16, value: serde_json::Value) -> Response {
    respond(
        status,
        &[("content-type", "application/json".into())],
        value.to_string(),
    )
}

fn html(body: String, cookies: &[String]) -> Response {
    let mut headers = vec![("content-type", "text/html; charset=utf-8".to_string())];
    headers.extend(cookies.iter().map(|c| ("set-cookie", c.clone())));
    respond(200, &headers, body)
}

fn found(status: u16, location: &str, cookies: &[String]) -> Response {
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
fn need(cond: bool, what: &str) -> Result<(), String> {
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

fn lock(shared: &Shared) -> Result<std::sync::MutexGuard<'_, super::State>, String> {
    shared.state.lock().map_err(|_| "poisoned".to_string())
}

fn authorization(shared: &Shared, rid: &str) -> Result<Authorization, String> {
    lock(shared)?
        .authorizations
        .get(rid)
        .cloned()
        .ok_or_else(|| "unknown rid".to_string())
}

/// The request's `rid` and its authorization.
fn rid_of(shared: &Shared, request: &Req<'_>) -> Result<(String, Authorization), String> {
    let rid = request.query("rid").ok_or("no rid")?.to_string();
    let authorization = authorization(shared, &rid)?;
    Ok((rid, authorization))
}

fn authorize(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    if shared.behaviour == Behaviour::RedirectLoop {
        return Ok(found(302, "/spin", &[]));
    }
    let rid = request
        .query("request_uri")
        .and_then(|u| u.strip_prefix("urn:ietf:params:oauth:request_uri:"))
        .ok_or("authorize: no request_uri")?
        .to_string();
    let authorization = authorization(shared, &rid)?;
    need(
        request.query("client_id") == Some(authorization.client_id.as_str()),
        "authorize: client_id",
    )?;
    need(
        request.cookies.is_empty(),
        "authorize: a fresh browser sent cookies",
    )?;
    Ok(found(
        302,
        &format!("https://{LOGIN_HOST}:{}/u/start?rid={rid}", shared.port),
        &[
            format!("op_host={rid}; Path=/; Secure"),
            format!("op_dom={rid}; Domain=.{OP_HOST}; Path=/; Secure; HttpOnly"),
            format!("foreign={rid}; Domain={LOGIN_HOST}; Path=/"),
        ],
    ))
}

fn start(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, _) = rid_of(shared, request)?;
    need(
        request.cookie("op_dom") == Some(&rid),
        "start: the Domain=op.test cookie not sent to login.op.test",
    )?;
    need(
        request.cookie("op_host").is_none(),
        "start: the host-only op.test cookie sent to login.op.test",
    )?;
    need(
        request.cookie("foreign").is_none(),
        "start: a cookie for a domain its setter does not match was kept",
    )?;
    Ok(found(
        303,
        &format!("login?rid={rid}"),
        &[
            format!("u_start={rid}"),
            format!("gone={rid}; Path=/"),
            format!("expired={rid}; Path=/"),
            "old=1; Path=/".into(),
            format!("elsewhere={rid}; Path=/other"),
        ],
    ))
}

fn login_page(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, authorization) = rid_of(shared, request)?;
    need(
        request.cookie("u_start") == Some(&rid),
        "login page: the default-path cookie not sent",
    )?;
    need(
        request.cookie("gone").is_some() && request.cookie("expired").is_some(),
        "login page: cookies missing",
    )?;
    need(request.cookie("old") == Some("1"), "login page: old")?;
    need(
        request.cookie("elsewhere").is_none(),
        "login page: a Path=/other cookie sent to /u/login",
    )?;
    let token = authorization
        .login_token
        .replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        r#"<!DOCTYPE html><html><head><title>Sign in</title>
<script>if (1 < 2) {{ document.write("<form id=fake><input type=password name=pass></form>"); }}</script></head>
<body><FORM action="/search" id="search"><input name="q" placeholder="Search"><button>Go</button></FORM>
<!-- <form method=post action=/wrong><input type=password name=pass></form> -->
<form id='signin' METHOD='post' action='/u/login?rid={rid}&amp;step=pw'>
  <input value='{token}' type=hidden name=authenticity_token>
  <label>User <input type="email" name="user" autocomplete=username></label>
  <label>Password <input name="pass" type="password"></label>
  <input type=checkbox name=remember value=yes>
  <input type="submit" name="commit" value="Sign in">
</form></body></html>"#
    );
    Ok(html(body, &[format!("u_login={rid}; Path=/u/login; Secure")]))
}

fn login(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, authorization) = rid_of(shared, request)?;
    need(
        request.query("step") == Some("pw"),
        "login: the action's query (&amp;) lost",
    )?;
    need(
        request.cookie("u_login") == Some(&rid),
        "login: the Path=/u/login cookie not sent",
    )?;
    need(request.cookie("u_start") == Some(&rid), "login: u_start")?;
    need(request.cookie("op_dom") == Some(&rid), "login: op_dom")?;
    need(
        request.form("authenticity_token") == Some(authorization.login_token.as_str()),
        "login: authenticity_token",
    )?;
    need(
        request.form("remember").is_none(),
        "login: an unchecked checkbox submitted",
    )?;
    need(
        request.form("commit") == Some("Sign in"),
        "login: the submit button's pair",
    )?;
    need(
        request.form("q").is_none(),
        "login: the search form's field submitted",
    )?;
    if request.form("user") != Some(USER.0) || request.form("pass") != Some(USER.1) {
        return Err("login: credentials".into());
    }
    Ok(found(
        302,
        &format!("/u/after?rid={rid}"),
        &[
            "gone=; Max-Age=0; Path=/".into(),
            "expired=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/".into(),
            "old=2; Path=/".into(),
        ],
    ))
}

fn after(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, _) = rid_of(shared, request)?;
    need(
        request.form.is_empty(),
        "after: a 302 after POST must become a GET without body",
    )?;
    need(request.cookie("gone").is_none(), "after: a Max-Age=0 cookie sent")?;
    need(
        request.cookie("expired").is_none(),
        "after: a cookie expired in 1970 sent",
    )?;
    need(request.cookie("old") == Some("2"), "after: the replaced cookie")?;
    Ok(found(
        307,
        &format!("//{OP_HOST}:{}/consent?rid={rid}", shared.port),
        &[],
    ))
}

fn consent_page(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, authorization) = rid_of(shared, request)?;
    need(
        request.cookie("op_host") == Some(&rid),
        "consent page: the host-only cookie not sent back",
    )?;
    need(request.cookie("op_dom") == Some(&rid), "consent page: op_dom")?;
    for name in ["u_start", "u_login", "old", "elsewhere"] {
        need(
            request.cookie(name).is_none(),
            "consent page: a login.op.test cookie sent to op.test",
        )?;
    }
    let body = format!(
        r#"<html><body><h1>Allow access?</h1>
<form method="post" action="/consent?rid={rid}"><input type="hidden" name="authenticity_token" value="{token}">
<label><input type="radio" name="account" value="a1" checked> Current</label>
<label><input type="radio" name="account" value="a2"> Savings</label>
<button name="action" value="deny">Deny</button>
<button name="action" value="accept" class="primary">Allow</button>
</form></body></html>"#,
        token = authorization.consent_token,
    );
    Ok(html(
        body,
        &[
            format!("c_sess={rid}; Path=/consent; Secure; HttpOnly; SameSite=Lax"),
            format!("__Host-op={rid}; Path=/; Secure; HttpOnly"),
        ],
    ))
}

fn consent(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, authorization) = rid_of(shared, request)?;
    need(
        request.cookie("c_sess") == Some(&rid),
        "consent: the Path=/consent cookie",
    )?;
    need(
        request.cookie("__Host-op") == Some(&rid),
        "consent: the __Host- cookie",
    )?;
    need(
        request.form("authenticity_token") == Some(authorization.consent_token.as_str()),
        "consent: authenticity_token",
    )?;
    need(
        request.form("action") == Some("accept"),
        "consent: not the accept button",
    )?;
    need(
        request.form("account") == Some("a1"),
        "consent: the checked account",
    )?;
    Ok(found(302, &format!("/done?rid={rid}"), &[]))
}

fn done(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, authorization) = rid_of(shared, request)?;
    need(
        request.cookie("c_sess").is_none(),
        "done: a Path=/consent cookie sent to /done",
    )?;
    let code = random();
    let mut state = lock(shared)?;
    state.authorizations.remove(&rid);
    let location = format!(
        "{REDIRECT_URI}?code={code}&state={}&iss={}",
        authorization.state,
        form_urlencoded::byte_serialize(shared.issuer().as_bytes()).collect::<String>()
    );
    state.codes.insert(code, authorization);
    Ok(found(302, &location, &[]))
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
