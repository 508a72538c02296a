//! The authorization code flow of a FAPI 2.0 fintech and its customer, whose
//! browser `browser/` plays: redirect chains followed, cookies kept as RFC
//! 6265 says, the OP's login and consent forms found by the setup's
//! `[browser]` table and submitted, the redirect to the fintech read, never
//! followed. The fintech authenticates with
//! private_key_jwt and binds its tokens with DPoP (`flow`), or authenticates
//! with its transport certificate and gets certificate-bound tokens
//! (`flow-mtls`); PAR and PKCE either way (FAPI 2.0 §5.3.1, §5.3.2).

use super::browser::redirects::Navigation;
use super::browser::{Browser, Landing, pages};
use super::context::{Ctx, Scenario, Worker, client_error, expect};
use super::grants::{access_token, assertion};
use crate::http::{self, Url};
use crate::jose::{self, JWT_BEARER};
use crate::stats::{Failure, Steps};
use bytes::Bytes;
use std::time::Instant;

/// The endpoints the fintech POSTs to with client authentication.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    /// RFC 9126 §2.
    Par,
    /// RFC 6749 §3.2.
    Token,
}

impl Endpoint {
    /// The step it is reported as.
    fn step(self) -> &'static str {
        match self {
            Endpoint::Par => "par",
            Endpoint::Token => "token",
        }
    }
}

/// How the fintech authenticates and binds its tokens.
#[derive(Clone, Copy)]
enum Auth {
    /// RFC 7523 §2.2 client assertions, RFC 9449 DPoP-bound tokens.
    Pkjwt,
    /// RFC 8705 §2.1 tls_client_auth, §3 certificate-bound tokens, sent to
    /// the mTLS endpoint aliases (§5).
    Mtls,
}

/// The fintech of the flow.
pub(super) struct Fintech<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    auth: Auth,
}

impl<'a> Fintech<'a> {
    pub(super) fn of(ctx: &'a Ctx) -> Option<Self> {
        Some(match ctx.scenario {
            Scenario::FlowMtls => {
                let client = ctx.setup.mtls.as_ref()?;
                Fintech {
                    client_id: &client.client_id,
                    redirect_uri: client.redirect_uri.as_deref()?,
                    auth: Auth::Mtls,
                }
            }
            _ => {
                let client = ctx.setup.pkjwt.as_ref()?;
                Fintech {
                    client_id: &client.client_id,
                    redirect_uri: &client.redirect_uri,
                    auth: Auth::Pkjwt,
                }
            }
        })
    }

    /// POSTs `params` with client authentication to `endpoint`, timed as its step.
    pub(super) async fn post(
        &self,
        worker: &mut Worker,
        ctx: &Ctx,
        endpoint: Endpoint,
        params: &[(&str, &str)],
        steps: &mut Steps,
    ) -> Result<::http::Response<Bytes>, Failure> {
        let step = endpoint.step();
        let par = endpoint == Endpoint::Par;
        let response = match self.auth {
            Auth::Pkjwt => {
                let (url, htu) = match par {
                    true => (ctx.par.as_ref(), ctx.par_str.as_deref()),
                    false => (Some(&ctx.token), Some(ctx.token_str.as_str())),
                };
                let url = url.ok_or_else(|| Failure::new(step, "the OP has no such endpoint"))?;
                let assertion = assertion(ctx, step)?;
                let mut all = params.to_vec();
                all.extend([
                    ("client_id", self.client_id),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                ]);
                let build = |proof: &str| http::post_form(url, &all, &[("dpop", proof)]);
                let started = Instant::now();
                let response = worker
                    .send_dpop(ctx, step, url, "POST", htu.unwrap_or_default(), None, &build)
                    .await?;
                steps.record(step, started.elapsed());
                response
            }
            Auth::Mtls => {
                let url = match par {
                    true => ctx.mtls_par.as_ref(),
                    false => Some(&ctx.mtls_token),
                };
                let url = url.ok_or_else(|| Failure::new(step, "the OP has no such endpoint"))?;
                let mut all = params.to_vec();
                all.push(("client_id", self.client_id));
                let request = http::post_form(url, &all, &[]).map_err(client_error(step))?;
                let started = Instant::now();
                let response = worker.send(ctx, step, url, true, request).await?;
                steps.record(step, started.elapsed());
                response
            }
        };
        Ok(response)
    }

    /// OIDC Core §5.3.1 with the sender-constrained `token` (RFC 9449 §7.1,
    /// RFC 8705 §3).
    async fn userinfo(
        &self,
        worker: &mut Worker,
        ctx: &Ctx,
        token: &str,
        steps: &mut Steps,
    ) -> Result<::http::Response<Bytes>, Failure> {
        const STEP: &str = "userinfo";
        let started = Instant::now();
        let response = match self.auth {
            Auth::Pkjwt => {
                let url = ctx
                    .userinfo
                    .as_ref()
                    .ok_or_else(|| Failure::new(STEP, "no userinfo"))?;
                let htu = ctx.userinfo_str.as_deref().unwrap_or_default();
                let authorization = format!("DPoP {token}");
                let build =
                    |proof: &str| http::get(url, &[("authorization", &authorization), ("dpop", proof)]);
                worker
                    .send_dpop(ctx, STEP, url, "GET", htu, Some(token), &build)
                    .await?
            }
            Auth::Mtls => {
                let url = ctx
                    .mtls_userinfo
                    .as_ref()
                    .ok_or_else(|| Failure::new(STEP, "no userinfo"))?;
                let authorization = format!("Bearer {token}");
                let request =
                    http::get(url, &[("authorization", &authorization)]).map_err(client_error(STEP))?;
                worker.send(ctx, STEP, url, true, request).await?
            }
        };
        steps.record(STEP, started.elapsed());
        Ok(response)
    }
}

/// One complete flow: PAR → authorize → login page → login → consent page →
/// consent → token → userinfo.
pub async fn flow(worker: &mut Worker, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
    let authorized = authorize(worker, ctx, &ctx.setup.scope, steps).await?;
    let response = redeem(worker, ctx, &authorized, steps).await?;
    expect("token", &response, 200)?;
    let token = access_token("token", &response)?;
    ctx.keep(token.clone(), &response);

    let response = authorized.fintech.userinfo(worker, ctx, &token, steps).await?;
    expect("userinfo", &response, 200)
}

/// An authorization code the fintech holds, and what redeeming it needs.
pub(super) struct Authorized<'a> {
    pub fintech: Fintech<'a>,
    pub code: String,
    pub verifier: String,
}

/// PAR → authorize → login page → login → consent page → consent, for `scope`.
pub(super) async fn authorize<'a>(
    worker: &mut Worker,
    ctx: &'a Ctx,
    scope: &str,
    steps: &mut Steps,
) -> Result<Authorized<'a>, Failure> {
    let (Some(authorize), Some(fintech)) = (&ctx.authorize, Fintech::of(ctx)) else {
        return Err(Failure::new("par", "the OP or the setup lacks what flow needs"));
    };
    let client_id = fintech.client_id;
    let (verifier, challenge) = jose::pkce();
    let state = jose::random(12);
    let nonce = jose::random(12);

    // RFC 9126 §2.1: the authorization request, pushed with client authentication.
    let params = [
        ("response_type", "code"),
        ("redirect_uri", fintech.redirect_uri),
        ("scope", scope),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
    ];
    let response = fintech.post(worker, ctx, Endpoint::Par, &params, steps).await?;
    expect("par", &response, 201)?;
    let request_uri = json_str(&response, "request_uri")
        .ok_or_else(|| Failure::new("par", "unexpected: no request_uri"))?;

    // RFC 9126 §4: the browser goes to the authorization endpoint, and
    // from there wherever the OP redirects it.
    let mut browser = Browser::new(&ctx.setup.browser, fintech.redirect_uri);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", &request_uri)
        .finish();
    let separator = if authorize.path.contains('?') { '&' } else { '?' };
    let url = Url {
        path: format!("{}{separator}{query}", authorize.path),
        ..authorize.clone()
    };
    let landing = browser
        .navigate(
            worker,
            ctx,
            Navigation::get(url),
            "authorize",
            "login_page",
            steps,
        )
        .await?;
    let Landing::Page(page) = landing else {
        return Err(Failure::new(
            "authorize",
            "unexpected: sent back to the client before any login",
        ));
    };

    let user = ctx.next_user();
    let submit = pages::login("login_page", browser.config, &page, user)?;
    let landing = browser
        .navigate(worker, ctx, submit, "login", "consent_page", steps)
        .await?;
    // An OP that asks no consent (already given) sends the customer back at once.
    let params = match landing {
        Landing::Back(params) => params,
        Landing::Page(page) if pages::is_login(browser.config, &page) => {
            return Err(Failure::new(
                "login",
                "unexpected: the login form again (credentials refused?)",
            ));
        }
        Landing::Page(page) => {
            let submit = pages::consent("consent_page", browser.config, &page)?;
            match browser
                .navigate(worker, ctx, submit, "consent", "consent", steps)
                .await?
            {
                Landing::Back(params) => params,
                Landing::Page(_) => {
                    return Err(Failure::new(
                        "consent",
                        "unexpected: a page, not a redirect to the redirect_uri",
                    ));
                }
            }
        }
    };
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let code =
        param("code").ok_or_else(|| Failure::new("consent", "unexpected: no code at the redirect_uri"))?;
    if param("state").as_deref() != Some(state.as_str()) {
        return Err(Failure::new(
            "consent",
            "unexpected: state not returned (RFC 6749 §4.1.2)",
        ));
    }

    Ok(Authorized {
        fintech,
        code,
        verifier,
    })
}

/// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5): the code for a
/// sender-constrained token.
pub(super) async fn redeem(
    worker: &mut Worker,
    ctx: &Ctx,
    authorized: &Authorized<'_>,
    steps: &mut Steps,
) -> Result<::http::Response<Bytes>, Failure> {
    let params = [
        ("grant_type", "authorization_code"),
        ("code", authorized.code.as_str()),
        ("redirect_uri", authorized.fintech.redirect_uri),
        ("code_verifier", authorized.verifier.as_str()),
    ];
    authorized
        .fintech
        .post(worker, ctx, Endpoint::Token, &params, steps)
        .await
}

fn json_str(response: &::http::Response<Bytes>, field: &str) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(response.body()).ok()?[field]
        .as_str()
        .map(String::from)
}
