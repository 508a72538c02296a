//! The gateway's handler: one pipeline per call, in this order —
//!
//! | step | rule | refusal |
//! |---|---|---|
//! | 1 | a client certificate chaining to `client_ca` (RFC 8705 §2) | 401 |
//! | 2 | a route for the method and path | 404 |
//! | 3 | one `Authorization: Bearer|DPoP` header (RFC 6750 §2.1, RFC 9449 §7.1) | 401 |
//! | 4 | the certificate's request budget, before the OP is asked (`rate_limit`) | 429 + `Retry-After` |
//! | 5 | DPoP: the proof verified, stateless (`htm`, `htu`, `iat`, signature, `ath`: RFC 9449 §4.3, §7.1) | 401 |
//! | 6 | the token active (introspection or JWT, `TokenSource`) and an access token (RFC 7662 §2.2 `token_type`) | 401 `invalid_token` |
//! | 6b | a token whose OBIE consent's `ExpirationDateTime` has passed (`TokenInfo::consent_expired`) | 401 `invalid_token` |
//! | 7 | the binding: `cnf.x5t#S256` = this certificate (RFC 8705 §3) or the proof's key = `cnf.jkt` (RFC 9449 §7.1) | 401 |
//! | 8 | the client's request budget | 429 + `Retry-After` |
//! | 9 | DPoP: the proof's (key, `jti`) unused, in the client's share (`dpop_replay`, RFC 9449 §11.1) | 401, 429 when the share is full |
//! | 10 | the route's scopes (RFC 6750 §3.1) | 403 `insufficient_scope` |
//! | 11 | payment routes: the body matches the token's consent (`payment`, `payment_intent`) | 403 |
//! | 11a | payment routes: the token names its grant, the call has an `x-idempotency-key` | 401 / 400 |
//! | 11b | payment routes: the OP reserves the consent for this payment (`payment_grant`) | 403 `InvalidConsentStatus` |
//! | 12 | forward to the bank API with the trusted `x-fiducia-*` headers, end-to-end fields only (`forwarded_headers`) | 502/504 |
//! | 13 | payment routes, 2xx from the bank: the OP revokes the grant's tokens (`payment_grant`) | — |
//!
//! Nothing is remembered for a call before step 9: a garbage proof, a
//! proof by another key than the token's, or a call over budget leaves
//! no state that could refuse another client's proof.
//!
//! Step 11b is what makes a consent pay once (OBIE Payment Initiation API
//! v3.1): it is decided in the OP's store, which every replica shares,
//! before the bank is called; the consent the bank is told
//! (`x-fiducia-consent-id`) is the one the OP reserved, never one the
//! payment's body names.
//!
//! Incoming `x-fiducia-*` headers are always dropped: only the gateway
//! sets them, and the bank API trusts them because the gateway's own
//! client certificate authenticates the connection (mTLS upstream).

use super::dpop::DpopChecker;
use super::dpop_replay::ReplayWindow;
use super::errors::Refusal;
use super::forwarded_headers::copy_end_to_end;
use super::https_client::{CallError, HttpsClient};
use super::introspection::Introspector;
use super::jwt::JwtVerifier;
use super::metrics as m;
use super::payment::check_payment;
use super::payment_grant::PaymentGrants;
use super::rate_limit::RateLimits;
use super::routes::{Route, RouteTable};
use super::token_info::{Scheme, TokenInfo, check_binding, parse_authorization};
use super::trusted_headers::{
    X_AUTHORIZATION_DETAILS, X_CLIENT_CERT_THUMBPRINT, X_CLIENT_ID, X_CONSENT_ID, X_CUSTOMER,
    X_OPENBANKING_CONSENT, X_SCOPE,
};
use crate::clock::Clock;
use crate::http::context::{Handler, HandlerFuture, RequestContext, RouteLabel};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response};
use std::sync::Arc;
use std::time::Instant;

/// Where token facts come from.
pub enum TokenSource {
    /// RFC 7662 introspection, cached.
    Introspection(Arc<Introspector>),
    /// RFC 9068 JWTs, offline.
    Jwt(JwtVerifier),
}

impl TokenSource {
    async fn token_info(&self, token: &str, now: u64) -> Result<TokenInfo, Refusal> {
        match self {
            TokenSource::Introspection(i) => i.token_info(token, now).await,
            TokenSource::Jwt(j) => j.token_info(token, now).await,
        }
    }
}

/// The gateway handler.
pub struct Gateway {
    /// The route table.
    pub routes: RouteTable,
    /// Token validation.
    pub tokens: TokenSource,
    /// The OP's reservation and consumption of payment consents.
    pub payments: Arc<PaymentGrants>,
    /// DPoP proofs.
    pub dpop: DpopChecker,
    /// DPoP `jti`s seen, by client and key.
    pub dpop_replay: ReplayWindow,
    /// Per-certificate and per-client budgets.
    pub limits: RateLimits,
    /// The client for the bank API (mTLS as the gateway).
    pub upstream: Arc<HttpsClient>,
    /// The bank API's base URL, without a trailing `/`.
    pub upstream_base: String,
    /// The gateway's public URL, without a trailing `/` (DPoP `htu`).
    pub public_url: String,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl Handler for Gateway {
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            let dpop = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.len() > 5 && v[..5].eq_ignore_ascii_case("dpop "));
            let route = self.routes.find(request.method(), request.uri().path()).cloned();
            let label = route.as_ref().map_or("gateway:none", |r| r.name);
            let mut response = match self.pass(request, context, route).await {
                Ok(response) => response,
                Err(refusal) => {
                    m::refused(refusal.reason());
                    tracing::info!(route = label, reason = refusal.reason(), detail = %refusal,
                        interaction_id = %context.interaction_id, "gateway refused a call");
                    refusal.response(&context.interaction_id, dpop)
                }
            };
            response.extensions_mut().insert(RouteLabel(label));
            response
        })
    }
}

impl Gateway {
    async fn pass(
        &self,
        request: Request<Bytes>,
        context: &RequestContext,
        route: Option<Route>,
    ) -> Result<Response<Bytes>, Refusal> {
        let cert = context
            .client_cert
            .as_ref()
            .filter(|c| c.chain_verified())
            .ok_or(Refusal::NoClientCertificate)?;
        let route = route.ok_or(Refusal::NotFound)?;
        // FAPI 1.0 Part 1 §6.2.2: customer-presence headers go on to the
        // bank API unchanged (forwarded_headers.rs), when well formed.
        crate::http::fapi_headers::customer_presence(request.headers())
            .map_err(|malformed| Refusal::InvalidHeader(malformed.to_string()))?;
        let mut authorizations = request.headers().get_all(AUTHORIZATION).iter();
        let header = authorizations.next().ok_or(Refusal::NoToken)?;
        if authorizations.next().is_some() {
            return Err(Refusal::InvalidToken("more than one Authorization header".into()));
        }
        let header = header
            .to_str()
            .map_err(|_| Refusal::InvalidToken("the Authorization header is not ASCII".into()))?;
        let (scheme, token) = parse_authorization(header)?;
        let token = &token.to_string();
        self.limits
            .take_certificate(cert.x5t_s256(), Instant::now())
            .map_err(Refusal::RateLimited)?;
        let now = self.clock.now_unix();
        let proof = match scheme {
            Scheme::Dpop => {
                let url = format!("{}{}", self.public_url, request.uri().path());
                Some(
                    self.dpop
                        .verify(request.headers(), request.method().as_str(), &url, token, now)?,
                )
            }
            Scheme::Bearer => None,
        };
        let info = self.tokens.token_info(token, now).await?;
        if info.consent_expired(now) {
            // OBIE Account Access Consents: the permissions ended (a JWT
            // access token, or an answer cached before the expiry).
            return Err(Refusal::InvalidToken("the token's consent has expired".into()));
        }
        check_binding(
            &info,
            scheme,
            cert.x5t_s256(),
            proof.as_ref().map(|p| p.jkt.as_str()),
        )?;
        self.limits
            .take_client(&info.client_id, Instant::now())
            .map_err(Refusal::RateLimited)?;
        if let Some(proof) = &proof {
            self.dpop_replay.record(&info.client_id, proof, now)?;
        }
        if let Some(scope) = info.missing_scope(&route.scopes) {
            return Err(Refusal::InsufficientScope(scope.to_string()));
        }
        let consent_id = match route.payment_consent {
            true => Some(self.reserve_payment(&request, &info, token).await?),
            false => None,
        };
        let response = self
            .forward(
                request,
                context,
                &route,
                &info,
                consent_id.as_deref(),
                cert.x5t_s256(),
            )
            .await?;
        if route.payment_consent && response.status().is_success() {
            if let TokenSource::Introspection(introspector) = &self.tokens {
                introspector.evict(token);
            }
            self.payments.paid(token).await;
        }
        Ok(response)
    }

    /// Steps 11-11b: the body is the consented payment, the token names its
    /// grant, and the OP reserves the consent for this payment
    /// (`x-idempotency-key`); the consent id the bank is to be told.
    async fn reserve_payment(
        &self,
        request: &Request<Bytes>,
        info: &TokenInfo,
        token: &str,
    ) -> Result<String, Refusal> {
        check_payment(
            request.body(),
            info.authorization_details.as_ref(),
            info.openbanking_consent.as_ref(),
        )?;
        if info.grant_id.is_none() {
            // RFC 9068 §2.2: a JWT access token of a customer's grant names
            // it (`grant_id`); one without is no consent's token.
            return Err(Refusal::InvalidToken(
                "the token names no grant, so no consent it may pay under".into(),
            ));
        }
        let key = idempotency_key(request.headers())?;
        self.payments.reserve(token, info, key).await
    }

    async fn forward(
        &self,
        request: Request<Bytes>,
        context: &RequestContext,
        route: &Route,
        info: &TokenInfo,
        consent_id: Option<&str>,
        x5t: &str,
    ) -> Result<Response<Bytes>, Refusal> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut upstream = Request::builder()
            .method(parts.method.clone())
            .uri(format!("{}{}", self.upstream_base, path))
            .body(body)
            .map_err(|_| Refusal::Upstream { timeout: false })?;
        let headers = upstream.headers_mut();
        copy_end_to_end(&parts.headers, headers);
        let mut set = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set(X_CLIENT_ID, &info.client_id);
        if let Some(sub) = &info.sub {
            set(X_CUSTOMER, sub);
        }
        set(X_SCOPE, &info.scopes.join(" "));
        if let Some(details) = &info.authorization_details {
            set(
                X_AUTHORIZATION_DETAILS,
                &URL_SAFE_NO_PAD.encode(details.to_string()),
            );
        }
        if let Some(consent) = &info.openbanking_consent {
            set(
                X_OPENBANKING_CONSENT,
                &URL_SAFE_NO_PAD.encode(consent.to_string()),
            );
        }
        // Only the consent the OP reserved for this payment (step 11b).
        if let Some(consent_id) = consent_id {
            set(X_CONSENT_ID, consent_id);
        }
        set(X_CLIENT_CERT_THUMBPRINT, x5t);
        set("x-fapi-interaction-id", &context.interaction_id);
        let started = Instant::now();
        let result = self.upstream.send(upstream).await;
        m::upstream_call(route.name, started.elapsed());
        let response = result.map_err(|error| {
            tracing::warn!(route = route.name, %error, "bank API call failed");
            Refusal::Upstream {
                timeout: matches!(error, CallError::Timeout),
            }
        })?;
        let (parts, body) = response.into_parts();
        let mut answer = Response::new(body);
        *answer.status_mut() = parts.status;
        copy_end_to_end(&parts.headers, answer.headers_mut());
        Ok(answer)
    }
}

/// OBIE Read/Write API v3.1 "Idempotency": a payment submission carries
/// `x-idempotency-key` (Max40Text); the OP binds the consent to it.
fn idempotency_key(headers: &HeaderMap) -> Result<&str, Refusal> {
    let mut values = headers.get_all("x-idempotency-key").iter();
    let key = values
        .next()
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.chars().count() <= 40);
    match (key, values.next()) {
        (Some(key), None) => Ok(key),
        _ => Err(Refusal::MissingHeader(
            "one x-idempotency-key of 1 to 40 characters is required".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OBIE Read/Write API v3.1 "Idempotency": one x-idempotency-key of
    /// 1 to 40 characters, or 400 UK.OBIE.Header.Missing before the OP is
    /// asked to reserve anything.
    #[test]
    fn a_payment_needs_one_idempotency_key_obie_v3_1() {
        let headers = |values: &[&str]| {
            let mut map = HeaderMap::new();
            for value in values {
                map.append("x-idempotency-key", HeaderValue::from_str(value).unwrap());
            }
            map
        };
        assert_eq!(idempotency_key(&headers(&["key-1"])), Ok("key-1"));
        let forty = "k".repeat(40);
        assert_eq!(idempotency_key(&headers(&[&forty])), Ok(forty.as_str()));
        for bad in [&[][..], &[""], &["k".repeat(41).as_str()][..], &["a", "b"]] {
            let refusal = idempotency_key(&headers(bad)).unwrap_err();
            assert!(matches!(refusal, Refusal::MissingHeader(_)), "{bad:?}");
            let response = refusal.response("i", false);
            assert_eq!(response.status(), 400);
        }
    }
}
