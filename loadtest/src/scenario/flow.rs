//! The authorization code flow of a FAPI 2.0 fintech (private_key_jwt, DPoP,
//! PAR, PKCE) and its customer, whose browser `browser.rs` plays: the OP's login
//! and consent pages are fetched and their forms posted (cookie and CSRF
//! field kept), redirects read from `Location`, never followed to the fintech.

use super::browser::{Browser, form_of, header, redirect};
use super::grants::{access_token, assertion};
use super::{Ctx, Worker, expect};
use crate::http::{self, Url};
use crate::jose::{self, JWT_BEARER};
use crate::stats::{Failure, Steps};
use bytes::Bytes;
use std::time::Instant;

/// One complete flow: PAR → authorize → login page → login → consent page →
/// consent → token → userinfo.
pub async fn flow(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let (Some(par), Some(authorize), Some(userinfo), Some(client)) =
        (&ctx.par, &ctx.authorize, &ctx.userinfo, &ctx.setup.pkjwt)
    else {
        return Err(Failure::new("par", "the OP or the setup lacks what flow needs"));
    };
    let client_id = client.client_id.as_str();
    let (verifier, challenge) = jose::pkce();
    let state = jose::random(12);
    let nonce = jose::random(12);

    // RFC 9126 §2.1: the authorization request, pushed with client authentication.
    let par_assertion = assertion(ctx, "par")?;
    let par_htu = ctx.par_str.clone().unwrap_or_default();
    let build = |proof: &str| {
        http::post_form(
            par,
            &[
                ("client_id", client_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &par_assertion),
                ("response_type", "code"),
                ("redirect_uri", &client.redirect_uri),
                ("scope", &ctx.setup.scope),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("state", &state),
                ("nonce", &nonce),
            ],
            &[("dpop", proof)],
        )
    };
    let started = Instant::now();
    let response = worker
        .send_dpop(ctx, "par", par, "POST", &par_htu, None, &build)
        .await?;
    steps.record("par", started.elapsed());
    expect("par", &response, 201)?;
    let request_uri = json_str(&response, "request_uri")
        .ok_or_else(|| Failure::new("par", "unexpected: no request_uri"))?;

    // RFC 9126 §4: the browser goes to the authorization endpoint.
    let mut browser = Browser::default();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", &request_uri)
        .finish();
    let separator = if authorize.path.contains('?') { '&' } else { '?' };
    let url = Url {
        path: format!("{}{separator}{query}", authorize.path),
        ..authorize.clone()
    };
    let response = browser.get(worker, ctx, "authorize", &url, steps).await?;
    let login = redirect("authorize", &url, &response)?;

    let user = ctx.next_user();
    let page = browser.get(worker, ctx, "login_page", &login, steps).await?;
    expect("login_page", &page, 200)?;
    let (action, csrf) = form_of("login_page", &login, &page)?;
    let response = browser
        .post(
            worker,
            ctx,
            "login",
            &action,
            &[
                ("username", &user.username),
                ("password", &user.password),
                ("csrf", &csrf),
            ],
            steps,
        )
        .await?;
    let consent = redirect("login", &action, &response)?;

    let page = browser.get(worker, ctx, "consent_page", &consent, steps).await?;
    expect("consent_page", &page, 200)?;
    let (action, csrf) = form_of("consent_page", &consent, &page)?;
    let response = browser
        .post(
            worker,
            ctx,
            "consent",
            &action,
            &[("decision", "approve"), ("csrf", &csrf)],
            steps,
        )
        .await?;
    expect("consent", &response, 303)?;
    let back =
        header(&response, "location").ok_or_else(|| Failure::new("consent", "unexpected: no Location"))?;
    let code = query_param(&back, "code")
        .ok_or_else(|| Failure::new("consent", format!("unexpected: no code in {back}")))?;
    if query_param(&back, "state").as_deref() != Some(state.as_str()) {
        return Err(Failure::new(
            "consent",
            "unexpected: state not returned (RFC 6749 §4.1.2)",
        ));
    }

    // RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5) and a DPoP-bound token.
    let token_assertion = assertion(ctx, "token")?;
    let build = |proof: &str| {
        http::post_form(
            &ctx.token,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &client.redirect_uri),
                ("code_verifier", &verifier),
                ("client_id", client_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &token_assertion),
            ],
            &[("dpop", proof)],
        )
    };
    let started = Instant::now();
    let response = worker
        .send_dpop(ctx, "token", &ctx.token, "POST", &ctx.token_str, None, &build)
        .await?;
    steps.record("token", started.elapsed());
    expect("token", &response, 200)?;
    let token = access_token("token", &response)?;

    // OIDC Core §5.3.1 with the DPoP-bound token (RFC 9449 §7.1).
    let userinfo_htu = ctx.userinfo_str.clone().unwrap_or_default();
    let authorization = format!("DPoP {token}");
    let build = |proof: &str| http::get(userinfo, &[("authorization", &authorization), ("dpop", proof)]);
    let started = Instant::now();
    let response = worker
        .send_dpop(
            ctx,
            "userinfo",
            userinfo,
            "GET",
            &userinfo_htu,
            Some(&token),
            &build,
        )
        .await?;
    steps.record("userinfo", started.elapsed());
    expect("userinfo", &response, 200)
}

fn json_str(response: &::http::Response<Bytes>, field: &str) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(response.body()).ok()?[field]
        .as_str()
        .map(String::from)
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_read_from_the_redirect_query() {
        assert_eq!(
            query_param("https://x/cb?code=c1&state=s", "code").as_deref(),
            Some("c1")
        );
        assert_eq!(query_param("https://x/cb?state=s", "code"), None);
    }
}
