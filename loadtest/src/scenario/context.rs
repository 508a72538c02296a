//! What the scenarios share: which one runs, the run's context (the OP's
//! endpoints, TLS, keys, customers), a client's connections and DPoP key,
//! and the checks of an answer.

use crate::http::{Conn, TlsConfigs, Url};
use crate::jose::{Alg, SigningKey};
use crate::setup::Setup;
use crate::stats::Failure;
use crate::targets::Targets;
use crate::verify::Kept;
use anyhow::{Context, anyhow};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use rustls::ClientConfig;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// What one operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// GET the OpenID configuration (OIDC Discovery §4).
    Discovery,
    /// client_credentials (RFC 6749 §4.4) with tls_client_auth (RFC 8705
    /// §2.1) over kept-alive mTLS connections: certificate-bound tokens.
    CcMtls,
    /// client_credentials with a fresh private_key_jwt assertion (RFC 7523)
    /// and DPoP proof (RFC 9449) per request.
    CcPkjwt,
    /// PAR → authorize → login → consent → token → userinfo: a
    /// private_key_jwt + DPoP fintech and its customer, no browser.
    Flow,
    /// The same flow with a tls_client_auth fintech (RFC 8705 §2.1) and
    /// certificate-bound tokens (§3) at the mTLS endpoint aliases (§5), the
    /// FAPI profile without client-side signatures.
    FlowMtls,
    /// A new mTLS connection (full handshake, no resumption) per
    /// client_credentials request.
    Handshake,
    /// OpenID Connect CIBA in poll mode: a signed backchannel
    /// authentication request (CIBA Core §7.1.1), the customer's approval
    /// on the device (the sandbox device in auto-approve mode), polls at
    /// the token endpoint (§10.1) until the tokens.
    Ciba,
    /// Polls (CIBA Core §10.1) on requests nobody approves, each at its
    /// `interval` (§7.3): `authorization_pending` is the expected answer.
    CibaPending,
    /// RFC 7662 §2.1 introspection by the `tls_client_auth` client at the
    /// endpoint's mTLS alias (RFC 8705 §5) of an access token the worker got
    /// once over `cc-mtls` and keeps: a read of the store per operation, the
    /// answer must be `"active": true`.
    Introspect,
    /// One attack per operation, in turn from a fixed catalogue (malformed
    /// HTTP/1.1, HTTP/2 and HTTP/3, forged OAuth, replays); it succeeds
    /// when the OP refuses it as it should (`scenario/hostile`).
    Hostile,
}

impl Scenario {
    /// Whether an operation is an authorization code flow with a login.
    pub fn is_flow(self) -> bool {
        matches!(self, Scenario::Flow | Scenario::FlowMtls)
    }

    /// Whether an operation is a CIBA one.
    pub fn is_ciba(self) -> bool {
        matches!(self, Scenario::Ciba | Scenario::CibaPending)
    }
}

/// The OP's endpoints and what the clients need, shared by all workers.
pub struct Ctx {
    pub scenario: Scenario,
    pub setup: Setup,
    pub discovery: Url,
    pub token: Url,
    /// RFC 8705 §5 `mtls_endpoint_aliases.token_endpoint`, else `token`.
    pub mtls_token: Url,
    pub par: Option<Url>,
    /// The mTLS alias of `par`, else `par`.
    pub mtls_par: Option<Url>,
    pub authorize: Option<Url>,
    pub userinfo: Option<Url>,
    /// The mTLS alias of `userinfo`, else `userinfo`.
    pub mtls_userinfo: Option<Url>,
    /// The token endpoint URL as published (DPoP `htu`, RFC 9449 §4.2).
    pub token_str: String,
    pub par_str: Option<String>,
    pub userinfo_str: Option<String>,
    /// CIBA Core §7: the mTLS alias of `backchannel_authentication_endpoint`, else it.
    pub bc_authorize: Option<Url>,
    /// The CIBA client and the requests `ciba-pending` polls.
    pub ciba: Option<super::ciba_client::CibaCtx>,
    pub tls: TlsConfigs,
    /// mTLS without session resumption (`handshake`).
    pub fresh_mtls: Option<Arc<ClientConfig>>,
    pub pkjwt_key: Option<SigningKey>,
    /// What the client assertions and DPoP proofs are signed with.
    pub alg: Alg,
    next_user: AtomicUsize,
    /// TCP+TLS connections opened.
    pub connections: AtomicU64,
    /// Where connections go (`--target`).
    pub targets: Targets,
    /// `--verify`: the access tokens the OP issued, kept to introspect after the run.
    pub kept: Option<Kept>,
    /// The introspection endpoint and its mTLS alias (RFC 8414 §2, RFC 8705 §5).
    pub introspection: Option<Url>,
    pub mtls_introspection: Option<Url>,
    /// `hostile`: its TLS set-ups and the attack counter.
    pub hostile: Option<super::hostile::kit::Kit>,
}

impl Ctx {
    /// Loads keys and certificates and reads the OP's discovery document.
    pub async fn new(
        scenario: Scenario,
        setup: Setup,
        ciba: super::ciba_client::CibaOptions,
        targets: Targets,
        kept: Option<Kept>,
    ) -> anyhow::Result<Self> {
        let mtls_files = setup.mtls.as_ref().map(|m| (m.cert.as_path(), m.key.as_path()));
        let tls = TlsConfigs::load(&setup.ca, mtls_files, true)?;
        let fresh_mtls = TlsConfigs::load(&setup.ca, mtls_files, false)?.mtls;
        let pkjwt_key = match &setup.pkjwt {
            Some(p) => Some(SigningKey::from_pem_file(&p.key, p.alg, p.kid.clone())?),
            None => None,
        };
        let discovery_str = format!(
            "{}/.well-known/openid-configuration",
            setup.issuer.trim_end_matches('/')
        );
        let discovery = Url::parse(&discovery_str)?;
        let mut conn = Conn::connect_to(&targets.address(&discovery), &discovery, tls.plain.clone())
            .await
            .context("cannot reach the OP")?;
        let response = conn.send(crate::http::get(&discovery, &[])?).await?;
        if response.status() != 200 {
            return Err(anyhow!("{discovery_str}: {}", response.status()));
        }
        let meta: serde_json::Value =
            serde_json::from_slice(response.body()).context("discovery is not JSON")?;
        let field = |v: &serde_json::Value| v.as_str().map(String::from);
        let token_str =
            field(&meta["token_endpoint"]).ok_or_else(|| anyhow!("discovery has no token_endpoint"))?;
        let mtls_token_str =
            field(&meta["mtls_endpoint_aliases"]["token_endpoint"]).unwrap_or_else(|| token_str.clone());
        // RFC 8705 §5: an endpoint's mTLS alias, else the endpoint itself.
        let alias = |name: &str, published: &Option<String>| {
            field(&meta["mtls_endpoint_aliases"][name]).or_else(|| published.clone())
        };
        let par_str = field(&meta["pushed_authorization_request_endpoint"]);
        let userinfo_str = field(&meta["userinfo_endpoint"]);
        let opt = |s: &Option<String>| s.as_deref().map(Url::parse).transpose();
        let bc_authorize_str = field(&meta["backchannel_authentication_endpoint"]);
        let introspection_str = field(&meta["introspection_endpoint"]);
        let hostile = match scenario {
            Scenario::Hostile => Some(super::hostile::kit::Kit::new(&setup, &tls)?),
            _ => None,
        };
        let ciba = match &setup.ciba {
            Some(client) => Some(super::ciba_client::CibaCtx::new(client, ciba)?),
            None => None,
        };
        let ctx = Self {
            scenario,
            discovery,
            token: Url::parse(&token_str)?,
            mtls_token: Url::parse(&mtls_token_str)?,
            par: opt(&par_str)?,
            mtls_par: opt(&alias("pushed_authorization_request_endpoint", &par_str))?,
            authorize: opt(&field(&meta["authorization_endpoint"]))?,
            userinfo: opt(&userinfo_str)?,
            mtls_userinfo: opt(&alias("userinfo_endpoint", &userinfo_str))?,
            token_str,
            par_str,
            userinfo_str,
            bc_authorize: opt(&alias("backchannel_authentication_endpoint", &bc_authorize_str))?,
            ciba,
            tls,
            fresh_mtls,
            alg: setup.pkjwt.as_ref().map_or(Alg::Es256, |p| p.alg),
            pkjwt_key,
            next_user: AtomicUsize::new(0),
            connections: AtomicU64::new(1),
            targets,
            kept,
            introspection: opt(&introspection_str)?,
            mtls_introspection: opt(&alias("introspection_endpoint", &introspection_str))?,
            hostile,
            setup,
        };
        ctx.check()?;
        Ok(ctx)
    }

    /// Whether the setup has what the scenario needs.
    fn check(&self) -> anyhow::Result<()> {
        let needs_mtls = matches!(
            self.scenario,
            Scenario::CcMtls | Scenario::Handshake | Scenario::FlowMtls | Scenario::Introspect
        );
        let needs_pkjwt = matches!(self.scenario, Scenario::CcPkjwt | Scenario::Flow);
        if needs_mtls && self.setup.mtls.is_none() {
            return Err(anyhow!("{:?} needs an [mtls] client in the setup", self.scenario));
        }
        if needs_pkjwt && self.setup.pkjwt.is_none() {
            return Err(anyhow!("{:?} needs a [pkjwt] client in the setup", self.scenario));
        }
        if self.scenario == Scenario::FlowMtls
            && self.setup.mtls.as_ref().is_some_and(|m| m.redirect_uri.is_none())
        {
            return Err(anyhow!("flow-mtls needs a redirect_uri for the [mtls] client"));
        }
        if self.scenario.is_ciba() {
            if self.setup.mtls.is_none() || self.ciba.is_none() || self.setup.users.is_empty() {
                return Err(anyhow!(
                    "{:?} needs [ciba], [mtls] and [[users]] in the setup",
                    self.scenario
                ));
            }
            if self.bc_authorize.is_none() {
                return Err(anyhow!(
                    "{:?} needs a backchannel_authentication_endpoint in discovery",
                    self.scenario
                ));
            }
        }
        if self.kept.is_some() {
            if !matches!(
                self.scenario,
                Scenario::CcMtls | Scenario::Handshake | Scenario::Flow | Scenario::FlowMtls
            ) {
                return Err(anyhow!(
                    "--verify: {:?} issues no access token it can check (cc-mtls, handshake, flow, flow-mtls)",
                    self.scenario
                ));
            }
            if self.introspection.is_none() {
                return Err(anyhow!("--verify needs an introspection_endpoint in discovery"));
            }
        }
        if self.scenario == Scenario::Introspect && self.mtls_introspection.is_none() {
            return Err(anyhow!("introspect needs an introspection_endpoint in discovery"));
        }
        if self.scenario == Scenario::Hostile
            && (self.setup.mtls.is_none() || self.setup.pkjwt.is_none() || self.setup.users.is_empty())
        {
            return Err(anyhow!(
                "hostile needs [mtls], [pkjwt] and [[users]] in the setup (its replays run flows)"
            ));
        }
        if self.scenario.is_flow() {
            if self.setup.users.is_empty() {
                return Err(anyhow!("flow needs [[users]] in the setup"));
            }
            if self.par.is_none() || self.authorize.is_none() || self.userinfo.is_none() {
                return Err(anyhow!(
                    "flow needs PAR, authorization and userinfo endpoints in discovery"
                ));
            }
        }
        Ok(())
    }

    /// `--verify`: keeps an access token the OP acknowledged in `response`,
    /// with when it expires (RFC 6749 §5.1 `expires_in`, from now).
    pub fn keep(&self, token: String, response: &Response<Bytes>) {
        if let Some(kept) = &self.kept {
            let expires_in = serde_json::from_slice::<serde_json::Value>(response.body())
                .ok()
                .and_then(|v| v["expires_in"].as_u64());
            let expires = expires_in
                .and_then(|s| std::time::Instant::now().checked_add(std::time::Duration::from_secs(s)));
            kept.keep(token, expires);
        }
    }

    /// The next customer, in turn.
    pub fn next_user(&self) -> &crate::setup::User {
        let i = self.next_user.fetch_add(1, Ordering::Relaxed);
        &self.setup.users[i % self.setup.users.len()]
    }
}

/// One simulated client (and, in `flow`, its customer's browser): kept-alive
/// connections per origin and certificate, a DPoP key, the OP's last DPoP nonce.
pub struct Worker {
    conns: Vec<(String, bool, Conn)>,
    dpop: SigningKey,
    nonce: Option<String>,
    /// `introspect`: the access token this worker got and asks about.
    pub(super) introspected: Option<String>,
}

impl Worker {
    /// A client whose DPoP key signs with `alg`.
    pub fn new(alg: Alg) -> anyhow::Result<Self> {
        Ok(Self {
            conns: Vec::new(),
            dpop: SigningKey::generate(alg)?,
            nonce: None,
            introspected: None,
        })
    }

    /// Drops every kept-alive connection: the next request opens a new one.
    /// After a request the server may answer and then close (a body over
    /// its limit, RFC 9110 §15.5.14), the connection may look open for a
    /// moment and fail the next request sent on it.
    pub fn forget_connections(&mut self) {
        self.conns.clear();
    }

    /// Sends over the kept-alive connection for `url`'s origin (with the
    /// client certificate when `cert`), opening one when there is none.
    pub async fn send(
        &mut self,
        ctx: &Ctx,
        step: &'static str,
        url: &Url,
        cert: bool,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Bytes>, Failure> {
        self.conns.retain(|(_, _, c)| c.is_open());
        let i = match self
            .conns
            .iter()
            .position(|(a, c, _)| *a == url.authority && *c == cert)
        {
            Some(i) => i,
            None => {
                let tls = match cert {
                    true => ctx
                        .tls
                        .mtls
                        .clone()
                        .ok_or_else(|| Failure::new(step, "no client certificate configured"))?,
                    false => ctx.tls.plain.clone(),
                };
                let conn = Conn::connect_to(&ctx.targets.address(url), url, tls)
                    .await
                    .map_err(|e| Failure::new(step, format!("io: {e:#}")))?;
                ctx.connections.fetch_add(1, Ordering::Relaxed);
                self.conns.push((url.authority.clone(), cert, conn));
                self.conns.len() - 1
            }
        };
        let result = match self.conns.get_mut(i) {
            Some((_, _, conn)) => conn.send(request).await,
            None => Err(anyhow!("connection vanished")),
        };
        result.map_err(|e| {
            self.conns.remove(i);
            Failure::new(step, format!("io: {e:#}"))
        })
    }

    /// Sends a DPoP-protected request built by `build(proof)`; when the OP
    /// asks for a nonce (RFC 9449 §8: `use_dpop_nonce` and a `DPoP-Nonce`
    /// header), sends it once more with that nonce.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_dpop(
        &mut self,
        ctx: &Ctx,
        step: &'static str,
        url: &Url,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
        build: &(dyn Fn(&str) -> anyhow::Result<Request<Full<Bytes>>> + Sync),
    ) -> Result<Response<Bytes>, Failure> {
        let mut retried = false;
        loop {
            let proof = crate::jose::dpop_proof(&self.dpop, htm, htu, access_token, self.nonce.as_deref())
                .map_err(|e| Failure::new(step, format!("client: {e:#}")))?;
            let request = build(&proof).map_err(|e| Failure::new(step, format!("client: {e:#}")))?;
            let response = self.send(ctx, step, url, false, request).await?;
            let fresh = response
                .headers()
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let asked = fresh.is_some() && oauth_error(&response).as_deref() == Some("use_dpop_nonce");
            if fresh.is_some() {
                self.nonce = fresh;
            }
            if asked && !retried {
                retried = true;
                continue;
            }
            return Ok(response);
        }
    }
}

/// The OAuth `error` of a response: the JSON body's (RFC 6749 §5.2) or the
/// `WWW-Authenticate` header's (RFC 6750 §3, RFC 9449 §7.1).
pub fn oauth_error(response: &Response<Bytes>) -> Option<String> {
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(response.body())
        && let Some(e) = body["error"].as_str()
    {
        return Some(e.to_string());
    }
    let header = response.headers().get("www-authenticate")?.to_str().ok()?;
    let start = header.find("error=\"")? + 7;
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_string())
}

/// `Ok` when `response` has `status`, else the failure: status and OAuth error.
pub fn expect(step: &'static str, response: &Response<Bytes>, status: u16) -> Result<(), Failure> {
    if response.status() == status {
        return Ok(());
    }
    Err(Failure::new(step, status_kind(response)))
}

/// A failed answer's kind: its status and OAuth error, and for a 503
/// whether it said when to come back (RFC 9110 §10.2.3 `Retry-After`, which
/// an overloaded or degraded OP owes its clients).
pub fn status_kind(response: &Response<Bytes>) -> String {
    let status = response.status().as_u16();
    let mut kind = match oauth_error(response) {
        Some(e) => format!("{status} {e}"),
        None => status.to_string(),
    };
    if status == 503 && !response.headers().contains_key("retry-after") {
        kind.push_str(" without Retry-After");
    }
    kind
}

/// A request-building failure (a bug or bad setup, never the OP's fault).
pub fn client_error(step: &'static str) -> impl Fn(anyhow::Error) -> Failure {
    move |e| Failure::new(step, format!("client: {e:#}"))
}
