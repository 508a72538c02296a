//! The stand-in's pages, unlike Fiducia's. One authorization (`rid`) goes:
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
//!    the redirect_uri with `code`, `state` and `iss` (or `error`, with
//!    `Behaviour::DenyConsent`).
//!
//! With `Behaviour::SkipConsent`, `/u/after` goes straight to `/done`, as
//! an OP that already has the customer's consent; with
//! `Behaviour::RedirectLoop`, `/authorize` goes to `/spin`, which redirects
//! to itself.

use super::routes::{Req, Response, authorization, found, html, lock, need, rid_of};
use super::{Behaviour, LOGIN_HOST, OP_HOST, REDIRECT_URI, Shared, USER, random};

pub(super) fn authorize(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
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

pub(super) fn start(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
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

pub(super) fn login_page(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
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

pub(super) fn login(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
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

pub(super) fn after(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
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
    if shared.behaviour == Behaviour::SkipConsent {
        return Ok(found(
            303,
            &format!("https://{OP_HOST}:{}/done?rid={rid}", shared.port),
            &[],
        ));
    }
    Ok(found(
        307,
        &format!("//{OP_HOST}:{}/consent?rid={rid}", shared.port),
        &[],
    ))
}

pub(super) fn consent_page(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
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

pub(super) fn consent(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
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

pub(super) fn done(shared: &Shared, request: &Req<'_>) -> Result<Response, String> {
    let (rid, authorization) = rid_of(shared, request)?;
    need(
        request.cookie("c_sess").is_none(),
        "done: a Path=/consent cookie sent to /done",
    )?;
    let mut state = lock(shared)?;
    state.authorizations.remove(&rid);
    if shared.behaviour == Behaviour::DenyConsent {
        // RFC 6749 §4.1.2.1: the error goes back to the client.
        let location = format!("{REDIRECT_URI}?error=access_denied&state={}", authorization.state);
        return Ok(found(302, &location, &[]));
    }
    let code = random();
    let location = format!(
        "{REDIRECT_URI}?code={code}&state={}&iss={}",
        authorization.state,
        form_urlencoded::byte_serialize(shared.issuer().as_bytes()).collect::<String>()
    );
    state.codes.insert(code, authorization);
    Ok(found(302, &location, &[]))
}
