//! Issuing tokens: sender-constrained access tokens stored by hash
//! (FAPI 2.0 §5.3.2.1), opaque or RFC 9068 JWTs per client
//! (`jwt_access_token.rs`), and ID tokens signed in the HSM (OIDC Core §2).

use crate::config::AccessTokenFormat;
use crate::model::Binding;
use crate::model::records::{AccessToken, AuthorizationCode, RefreshToken, own_grant_id};
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::{FreshId, GrantRevocation, ops, revoked};

pub use super::id_token::ACR_PASSWORD;
use super::id_token::{self, IdTokenFacts};

/// What the token endpoint returns for a code (RFC 6749 §5.1).
pub struct IssuedTokens {
    /// The access token.
    pub access_token: String,
    /// `DPoP` or `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: u64,
    /// Granted scopes.
    pub scope: String,
    /// When `openid` was granted.
    pub id_token: Option<String>,
    /// When `offline_access` was granted (OIDC Core §11).
    pub refresh_token: Option<String>,
    /// RFC 9396 §7: the approved `authorization_details`, echoed.
    pub authorization_details: Option<serde_json::Value>,
}

/// Stores a new refresh token for `record` and returns it. It lives until
/// `record.expires_at` or `refresh_token_idle_secs` unused, whichever comes
/// first (RFC 9700 §4.14.2); `record.issued_at` is set to `now`.
pub async fn issue_refresh_token(
    op: &OpState,
    mut record: RefreshToken,
    now: u64,
) -> Result<String, OAuthError> {
    record.issued_at = now;
    let token = FreshId::generate()
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?;
    op.services
        .repo
        .insert_new(&token, &record, Some(refresh_store_ttl(op, &record, now)), now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    Ok(token.into_string())
}

/// How long the store keeps a refresh token from `now`: to its absolute
/// expiry or the idle timeout, whichever is sooner (at least 1 s).
pub fn refresh_store_ttl(op: &OpState, record: &RefreshToken, now: u64) -> u64 {
    let idle = op.tokens().refresh_token_idle_secs;
    record.expires_at.saturating_sub(now).min(idle).max(1)
}

/// How a grant revoked at `now` is marked (`store/repo/revoked.rs`): the
/// marker outlives every token that can exist under the grant — the
/// refresh token's absolute lifetime, an access token's, a code's — so that
/// no token of a revoked grant is ever found active again (RFC 7009 §2.1).
pub fn grant_revocation(
    op: &OpState,
    now: u64,
    cause: crate::store::repo::RevocationCause,
) -> GrantRevocation {
    GrantRevocation {
        cause,
        now,
        keep_secs: op.revocation_marker_secs(),
    }
}

/// An access token under a customer's grant, made (and for a JWT, signed)
/// before the transaction that stores it with what else the request issues
/// (a refresh: `grants/refresh_rotation.rs`).
pub struct ReadyAccessToken {
    id: ReadyId,
    record: AccessToken,
    ttl: u64,
}

/// The token of a [`ReadyAccessToken`].
enum ReadyId {
    /// 256 random bits, stored without a read (`ops::insert_new`).
    Opaque(FreshId),
    /// A signed RFC 9068 JWT, stored by its hash.
    Jwt(String),
}

impl ReadyAccessToken {
    /// Stores the token inside `tx`; idempotent across retries.
    pub async fn store(&self, tx: &Transaction, now: u64) -> Result<(), KvError> {
        match &self.id {
            ReadyId::Opaque(id) => ops::insert_new(tx, id, &self.record, Some(self.ttl), now).await,
            ReadyId::Jwt(jwt) => ops::upsert(tx, jwt, &self.record, Some(self.ttl), now).await,
        }
    }

    /// The token to hand out and its lifetime in seconds, once stored.
    pub fn into_token(self) -> (String, u64) {
        let token = match self.id {
            ReadyId::Opaque(id) => id.into_string(),
            ReadyId::Jwt(jwt) => jwt,
        };
        (token, self.ttl)
    }
}

/// Makes the access token for `record` (issued under the customer's grant
/// `record.grant_id`) in the client's `format`, its times set from `now`;
/// nothing is stored yet.
pub async fn ready_access_token(
    op: &OpState,
    mut record: AccessToken,
    format: AccessTokenFormat,
    now: u64,
) -> Result<ReadyAccessToken, OAuthError> {
    let ttl = op.tokens().access_token_ttl_secs;
    record.issued_at = now;
    record.expires_at = now + ttl;
    let id = match format {
        AccessTokenFormat::Opaque => ReadyId::Opaque(
            FreshId::generate()
                .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?,
        ),
        AccessTokenFormat::Jwt => ReadyId::Jwt(super::jwt_access_token::sign(op, &record, true).await?),
    };
    Ok(ReadyAccessToken { id, record, ttl })
}

/// The grant a new access token is issued under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuedUnder {
    /// The customer's grant, `record.grant_id`.
    CustomersGrant,
    /// No customer's grant (client_credentials, RFC 6749 §4.4): the token
    /// is its own grant, `record.grant_id` is set to
    /// [`own_grant_id`](crate::model::records::own_grant_id) of it.
    Itself,
}

/// Stores a new access token for `record` (its times, and its grant when
/// issued under itself, are set here) in the client's `format`, and returns
/// the token and its lifetime in seconds. The request's pending `jti`s
/// (`uses`) are recorded in the same transaction; a replayed one is its
/// error, and no token is stored. Under a customer's grant the same
/// transaction reads the grant's revocation marker: a token is never stored
/// under a revoked grant (`invalid_grant`, `store/repo/revoked.rs`).
pub async fn issue_access_token(
    op: &OpState,
    mut record: AccessToken,
    under: IssuedUnder,
    format: AccessTokenFormat,
    now: u64,
    uses: &mut OneTimeUses,
) -> Result<(String, u64), OAuthError> {
    let ttl = op.tokens().access_token_ttl_secs;
    record.issued_at = now;
    record.expires_at = now + ttl;
    let repo = &op.services.repo;
    let token = match format {
        AccessTokenFormat::Opaque => {
            // 256 random bits, like every secret the OP hands out; being
            // fresh, the token is stored without a read first (`ops::insert_new`).
            let access_token = FreshId::generate()
                .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?;
            if under == IssuedUnder::Itself {
                record.grant_id = own_grant_id(access_token.as_str());
            }
            let (id, record) = (&access_token, &record);
            let stored = uses
                .commit_with(repo, now, |tx| async move {
                    if under == IssuedUnder::CustomersGrant
                        && revoked::is_revoked(&tx, &record.grant_id, now).await?
                    {
                        return Ok(false);
                    }
                    ops::insert_new(&tx, id, record, Some(ttl), now).await?;
                    Ok(true)
                })
                .await?;
            if !stored {
                return Err(revoked_grant());
            }
            access_token.into_string()
        }
        AccessTokenFormat::Jwt => {
            // RFC 9068: unique by its random `jti`; stored by hash like any
            // token. A token that is its own grant does not name it among
            // its claims, so its grant id can name the signed token.
            let under_grant = under == IssuedUnder::CustomersGrant;
            let jwt = super::jwt_access_token::sign(op, &record, under_grant).await?;
            if under == IssuedUnder::Itself {
                record.grant_id = own_grant_id(&jwt);
            }
            let (id, record) = (jwt.as_str(), &record);
            let stored = uses
                .commit_with(repo, now, |tx| async move {
                    if under == IssuedUnder::CustomersGrant
                        && revoked::is_revoked(&tx, &record.grant_id, now).await?
                    {
                        return Ok(false);
                    }
                    ops::upsert(&tx, id, record, Some(ttl), now).await?;
                    Ok(true)
                })
                .await?;
            if !stored {
                return Err(revoked_grant());
            }
            jwt
        }
    };
    Ok((token, ttl))
}

/// RFC 6749 §5.2: the grant was revoked while the request ran.
pub fn revoked_grant() -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, "the grant is revoked")
}

/// The access token record for a redeemed `code`, issued at `now` for `ttl`
/// seconds.
pub fn access_record_for_code(
    code: &AuthorizationCode,
    binding: &Binding,
    now: u64,
    ttl: u64,
) -> AccessToken {
    AccessToken {
        client_id: code.client_id.clone(),
        account_id: Some(code.account_id.clone()),
        scopes: code.scopes.clone(),
        grant_id: code.grant_id.clone(),
        binding: binding.clone(),
        issued_at: now,
        expires_at: now + ttl,
        authorization_details: code.authorization_details.clone(),
        claims: code.claims.clone(),
    }
}

/// The refresh token record for a redeemed `code` when it granted
/// `offline_access` (OIDC Core §11), living `ttl` seconds from `now`.
pub fn refresh_record_for_code(
    code: &AuthorizationCode,
    binding: &Binding,
    now: u64,
    ttl: u64,
) -> Option<RefreshToken> {
    grants_offline_access(code).then(|| RefreshToken {
        client_id: code.client_id.clone(),
        account_id: code.account_id.clone(),
        scopes: code.scopes.clone(),
        grant_id: code.grant_id.clone(),
        binding: binding.clone(),
        issued_at: now,
        expires_at: now + ttl,
        authorization_details: code.authorization_details.clone(),
        claims: code.claims.clone(),
        // OIDC Core §12.2: a refresh's ID token reports the original
        // authentication.
        authentication: code.scopes.iter().any(|s| s == "openid").then(|| {
            crate::model::records::RefreshAuthentication {
                auth_time: code.auth_time,
                acr: code.acr.clone(),
                amr: code.amr.clone(),
            }
        }),
    })
}

/// Whether `code` granted `offline_access`: its redemption brings a refresh
/// token (OIDC Core §11).
pub fn grants_offline_access(code: &AuthorizationCode) -> bool {
    code.scopes
        .iter()
        .any(|s| s == crate::protocol::scope::OFFLINE_ACCESS)
}

/// The token response for a redeemed `code` whose access (and refresh)
/// token are stored: the ID token is signed now when `openid` was granted
/// (and encrypted to the client when it asked, OIDC Core §10.2).
pub async fn response_for_code(
    op: &OpState,
    client: &crate::model::Client,
    code: &AuthorizationCode,
    binding: &Binding,
    (access_token, expires_in): (String, u64),
    refresh_token: Option<String>,
    now: u64,
) -> Result<IssuedTokens, OAuthError> {
    let id_token = if code.scopes.iter().any(|s| s == "openid") {
        Some(id_token::encrypt_for(client, id_token(op, code, now).await?)?)
    } else {
        None
    };
    Ok(IssuedTokens {
        access_token,
        token_type: binding.token_type(),
        expires_in,
        scope: code.scopes.join(" "),
        id_token,
        refresh_token,
        authorization_details: crate::protocol::rar::stored_value(code.authorization_details.as_deref()),
    })
}

/// OIDC Core §2 / §3.1.3.6: iss, sub, aud, exp, iat, auth_time, nonce, acr
/// (`oauth::id_token`), and the UK OBIE consent the grant authorised.
async fn id_token(op: &OpState, code: &AuthorizationCode, now: u64) -> Result<String, OAuthError> {
    let grant = GrantIdentity {
        client_id: &code.client_id,
        account_id: &code.account_id,
        grant_id: &code.grant_id,
        claims: code.claims.as_deref(),
        nonce: code.nonce.as_deref(),
        authentication: crate::protocol::ciba::DeviceAuthentication {
            acr: code.acr.clone(),
            amr: code.amr.clone(),
            auth_time: code.auth_time,
        },
    };
    grant_id_token(op, &grant, now).await
}

/// Who and how an ID token of a customer's grant speaks about.
pub struct GrantIdentity<'a> {
    /// `aud`.
    pub client_id: &'a str,
    /// `sub`.
    pub account_id: &'a str,
    /// The grant (its UK OBIE consent is named).
    pub grant_id: &'a str,
    /// The approved `claims` request.
    pub claims: Option<&'a str>,
    /// `nonce`: the authorization request's; none on a refresh (OIDC Core
    /// §12.2 as clarified by the errata: a refresh is no authentication
    /// request).
    pub nonce: Option<&'a str>,
    /// The original authentication: `auth_time`, `acr`, `amr` (OIDC Core
    /// §2; §12.2 keeps them on a refresh).
    pub authentication: crate::protocol::ciba::DeviceAuthentication,
}

/// The signed ID token of `grant` at `now`: the code exchange's and the
/// refresh's (OIDC Core §3.1.3.6, §12.2).
pub async fn grant_id_token(op: &OpState, grant: &GrantIdentity<'_>, now: u64) -> Result<String, OAuthError> {
    // UK OBIE: the ID token names the consent the customer authorised.
    let consent = crate::consent::of_grant(&op.services.repo, grant.grant_id, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    // OIDC Core §5.5 / Identity Assurance: what the approved request asks
    // for in the ID token.
    let released =
        crate::oauth::released_claims::for_id_token(op, grant.account_id, grant.claims, now).await?;
    let facts = IdTokenFacts {
        client_id: grant.client_id,
        account_id: grant.account_id,
        auth_time: grant.authentication.auth_time,
        nonce: grant.nonce,
        consent_id: consent.as_ref().map(|c| c.consent_id.as_str()),
        authentication: Some(&grant.authentication),
        auth_req_id: None,
        released: released.as_ref(),
    };
    id_token::sign(op, &facts, &[], now).await
}
