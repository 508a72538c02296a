//! Access tokens presented at the OP's own protected resources (userinfo,
//! the consent API): the token is looked up (not under a revoked grant,
//! `store/repo/revoked.rs`), and its sender constraint
//! enforced — a DPoP-bound token needs the `DPoP` scheme and a proof with
//! `ath` by the same key (RFC 9449 §7), a certificate-bound one the same
//! certificate (RFC 8705 §3). Errors are 401 with `WWW-Authenticate`
//! (RFC 6750 §3, RFC 9449 §7.1), which `http::response::refusal` writes.

use crate::model::Binding;
use crate::model::records::AccessToken;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::sender;
use crate::oauth::trusted_since;
use crate::protocol::error::{ErrorCode, OAuthError};

/// A refusal at a protected resource: the scheme to challenge with, and why.
pub type Refusal = (&'static str, OAuthError);

/// The access token the caller presents at the resource `path` (relative to the
/// issuer, for the DPoP proof's `htu`), with its binding checked.
pub async fn presented_token(
    op: &OpState,
    caller: &Caller,
    path: &str,
) -> Result<(AccessToken, &'static str), Refusal> {
    let header = caller
        .authorization
        .as_deref()
        .ok_or(("Bearer", invalid_token("no access token")))?;
    let (scheme, token) = header
        .split_once(' ')
        .ok_or(("Bearer", invalid_token("malformed Authorization header")))?;
    let scheme = if scheme.eq_ignore_ascii_case("dpop") {
        "DPoP"
    } else if scheme.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else {
        return Err(("Bearer", invalid_token("unsupported authorization scheme")));
    };
    let now = op.now();
    let record: AccessToken = op
        .services
        .repo
        .find_under_live_grant::<AccessToken>(token.trim(), now)
        .await
        .map_err(|_| (scheme, OAuthError::bare(ErrorCode::TemporarilyUnavailable)))?
        .map(|found| found.payload)
        .ok_or((scheme, invalid_token("unknown, expired or revoked access token")))?;
    // RFC 7592 §2.3 and continuous trust: a token of a deleted or suspended
    // client is not honoured, also while its revocation is under way and for
    // tokens no grant links to (client_credentials), as at introspection;
    // nor one issued before the client's reinstatement (`trusted_since`) or
    // bound to a certificate its directory revoked.
    if !trusted_since::honours(op, &record).await {
        return Err((
            scheme,
            invalid_token(
                "the token's client is unknown or suspended, or the token predates its reinstatement or is bound to a revoked certificate",
            ),
        ));
    }
    match &record.binding {
        Binding::Dpop(jkt) => {
            if scheme != "DPoP" {
                return Err((
                    "DPoP",
                    invalid_token("a DPoP-bound token must use the DPoP scheme (RFC 9449 §7.1)"),
                ));
            }
            let proof = sender::dpop_proof(op, caller, path, Some(token.trim()))
                .await
                .map_err(|e| ("DPoP", e))?
                .ok_or((
                    "DPoP",
                    OAuthError::new(
                        ErrorCode::InvalidDpopProof,
                        "a DPoP proof is required (RFC 9449 §7.1)",
                    ),
                ))?;
            if &proof.jkt != jkt {
                return Err((
                    "DPoP",
                    OAuthError::new(
                        ErrorCode::InvalidDpopProof,
                        "the proof is signed by another key than the token's (RFC 9449 §7.1)",
                    ),
                ));
            }
        }
        Binding::Mtls(x5t) => {
            if scheme != "Bearer" {
                return Err((
                    "Bearer",
                    invalid_token("a certificate-bound token uses the Bearer scheme (RFC 8705 §3)"),
                ));
            }
            let presented = caller.client_cert.as_ref().map(|c| c.x5t_s256());
            if presented != Some(x5t.as_str()) {
                return Err((
                    "Bearer",
                    invalid_token("the token is bound to another client certificate (RFC 8705 §3)"),
                ));
            }
        }
    }
    Ok((record, scheme))
}

fn invalid_token(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidToken, description)
}
