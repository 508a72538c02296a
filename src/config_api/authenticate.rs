//! Who calls the Config API (RFC 9068 §4): the access token in
//! `Authorization` (RFC 6750 §2.1 `Bearer`, RFC 9449 §7.1 `DPoP`), its
//! signature by a trusted issuer (`issuers.rs`), its claims
//! (`access_token.rs`), its sender constraint — a `cnf.x5t#S256` token only
//! with that certificate on this TLS connection (RFC 8705 §3), a `cnf.jkt`
//! token only under `DPoP` with a valid proof for this request, by that
//! key, used once (RFC 9449 §4.3, §7.1, §11.1; the OP's checker
//! `protocol::dpop`, its replay window in the store), a token of this OP
//! only while its record is live (not revoked), an unbound one only
//! without `config_api.require_sender_constrained` — and last the
//! operation's scope (RFC 6750 §3.1 `insufficient_scope`).

use super::ConfigApi;
use super::access_token::{TokenClaims, check_claims, unverified_issuer};
use super::refusal::{Reason, Refusal, Scheme};
use super::scope::Scope;
use crate::http::RequestContext;
use crate::model::Binding;
use crate::model::records::AccessToken;
use crate::oauth::caller::DpopHeader;
use crate::protocol::dpop::{DpopReason, DpopRequest, check_dpop_proof};
use crate::protocol::jose::JoseError;
use crate::store::audit::Actor;
use bytes::Bytes;
use http::Request;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// What its token says.
    pub claims: TokenClaims,
}

impl Principal {
    /// The operator's id: the token's subject at its issuer
    /// (`<sub>@<iss>`, RFC 9068 §2.2: `sub` is unique at its issuer).
    pub fn operator_id(&self) -> String {
        format!("{}@{}", self.claims.subject, self.claims.issuer)
    }

    /// The audit trail's actor: [`Principal::operator_id`].
    pub fn actor(&self) -> Actor {
        Actor::Operator(self.operator_id())
    }
}

/// Why a caller was not let in.
#[derive(Debug)]
pub enum Denied {
    /// The token was refused (401/403).
    Refused(Refusal),
    /// The store could not record the DPoP proof's `jti` (503).
    Unavailable,
}

impl From<Refusal> for Denied {
    fn from(refusal: Refusal) -> Self {
        Denied::Refused(refusal)
    }
}

/// Authenticates the caller of `request` for an operation needing `scope`.
pub async fn authenticate(
    api: &ConfigApi,
    request: &Request<Bytes>,
    context: &RequestContext,
    scope: Scope,
) -> Result<Principal, Denied> {
    let (scheme, token) = presented(request)?;
    let refuse = |reason| Refusal::unverified(reason, scheme);
    let issuer = unverified_issuer(token).map_err(refuse)?;
    let claims = api.issuers.verify(&issuer, token).await.map_err(refuse)?;
    let now = api.clock.now_unix();
    let checked = check_claims(&claims, &issuer, &api.settings.audience, now).map_err(|reason| {
        let subject = claims.get("sub").and_then(|s| s.as_str()).unwrap_or("");
        Refusal {
            reason,
            scheme,
            verified: Some((issuer.clone(), subject.to_string())),
        }
    })?;
    let refuse_verified = |reason, scheme| Refusal {
        reason,
        scheme,
        verified: Some((checked.issuer.clone(), checked.subject.clone())),
    };
    // A token of this OP is also a store record (`oauth/jwt_access_token.rs`):
    // one revoked (RFC 7009 §2.1), or whose grant or client was revoked,
    // is refused here as at introspection, not only once it expires.
    if checked.issuer == api.config.issuer() {
        let live = api
            .repo
            .find_under_live_grant::<AccessToken>(token, now)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "config API: the token's record could not be read");
                Denied::Unavailable
            })?;
        if live.is_none() {
            return Err(refuse_verified(Reason::Revoked, scheme).into());
        }
    }
    match (&checked.binding, scheme) {
        // RFC 8705 §3: the certificate of this connection's handshake.
        (Some(Binding::Mtls(x5t)), Scheme::Bearer) => {
            let presented = context.client_cert.as_ref().map(|c| c.x5t_s256());
            if presented != Some(x5t.as_str()) {
                return Err(refuse_verified(Reason::CertificateMismatch, Scheme::Bearer).into());
            }
        }
        (Some(Binding::Dpop(jkt)), Scheme::Dpop) => {
            let proof = match DpopHeader::of(request.headers()) {
                DpopHeader::One(proof) => proof,
                DpopHeader::Absent => {
                    return Err(refuse_verified(Reason::DpopProofMissing, Scheme::Dpop).into());
                }
                DpopHeader::Repeated | DpopHeader::NotAscii => {
                    // RFC 9449 §4.3 item 1: exactly one header, one proof.
                    let reason = DpopReason::Jws(JoseError::Malformed("not exactly one DPoP header"));
                    return Err(refuse_verified(Reason::DpopProof(reason), Scheme::Dpop).into());
                }
            };
            // The file's window, not the live `tokens` policy's: a live
            // change must not lock operators out of the API that undoes it.
            let window = api.config.get().tokens.proof_max_age_secs;
            // RFC 9449 §4.3 item 9: the URL the caller addressed, this
            // listener's public URL and the path (no query).
            let url = format!("{}{}", api.settings.base_url, request.uri().path());
            let checked_proof = check_dpop_proof(
                &proof,
                DpopRequest {
                    method: request.method().as_str(),
                    url: &url,
                    access_token: Some(token),
                    expected_nonce: None,
                },
                now,
                window,
            )
            .map_err(|e| refuse_verified(Reason::DpopProof(e), Scheme::Dpop))?;
            if &checked_proof.jkt != jkt {
                return Err(refuse_verified(Reason::DpopKeyMismatch, Scheme::Dpop).into());
            }
            // RFC 9449 §11.1: one use per proof, per key, cluster-wide.
            let first = crate::oauth::replay::first_use(
                &api.repo,
                &format!("config-api-dpop:{jkt}"),
                &checked_proof.jti,
                checked_proof.iat + window + 60,
                now,
            )
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "config API: the DPoP jti could not be recorded");
                Denied::Unavailable
            })?;
            if !first {
                return Err(refuse_verified(Reason::DpopReplay, Scheme::Dpop).into());
            }
        }
        // RFC 9449 §7.1: a DPoP-bound token is presented under `DPoP`; a
        // certificate-bound or unbound one under `Bearer`.
        (Some(Binding::Dpop(_)), Scheme::Bearer) => {
            return Err(refuse_verified(Reason::WrongScheme, Scheme::Dpop).into());
        }
        (Some(Binding::Mtls(_)) | None, Scheme::Dpop) => {
            return Err(refuse_verified(Reason::WrongScheme, Scheme::Bearer).into());
        }
        (None, Scheme::Bearer) => {
            if api.settings.require_sender_constrained {
                return Err(refuse_verified(Reason::Unbound, Scheme::Bearer).into());
            }
        }
    }
    if !scope.is_in(&checked.scope) {
        return Err(refuse_verified(Reason::InsufficientScope(scope), scheme).into());
    }
    Ok(Principal { claims: checked })
}

/// The scheme and token of the `Authorization` header (RFC 6750 §2.1,
/// RFC 9449 §7.1; the scheme is case-insensitive, RFC 9110 §11.1).
fn presented(request: &Request<Bytes>) -> Result<(Scheme, &str), Refusal> {
    let mut values = request.headers().get_all(http::header::AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Err(Refusal::unverified(Reason::NoToken, Scheme::Bearer)),
        (Some(_), Some(_)) => return Err(Refusal::unverified(Reason::UnsupportedScheme, Scheme::Bearer)),
        (Some(value), None) => value
            .to_str()
            .map_err(|_| Refusal::unverified(Reason::UnsupportedScheme, Scheme::Bearer))?,
    };
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(Refusal::unverified(Reason::UnsupportedScheme, Scheme::Bearer))?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return Err(Refusal::unverified(Reason::UnsupportedScheme, Scheme::Bearer));
    };
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Err(Refusal::unverified(Reason::Malformed, scheme));
    }
    Ok((scheme, token))
}
