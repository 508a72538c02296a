//! Whom a backchannel authentication request is about (CIBA Core §7.1):
//! the one hint, resolved to a customer account of this OP.
//!
//! - `login_hint`: the customer's username, else their `account_id`
//!   (the OIDC `sub`);
//! - `id_token_hint`: an ID token this OP issued to this client (signed by
//!   a key the OP publishes, `iss` = the issuer, `aud` containing the
//!   client); it may have expired (OIDC Core §3.1.2.1: the hint is about
//!   the session it came from, not a credential); its `sub` is the account;
//! - `login_hint_token`: a JWT the client signed with a key of its own
//!   JWKS naming the account in `sub`; past its `exp` it is
//!   `expired_login_hint_token` (CIBA Core §13).
//!
//! No account: `unknown_user_id` (§13). The error never says whether the
//! name exists under another form.

use crate::login::user::UserRecord;
use crate::model::Client;
use crate::oauth::op::OpState;
use crate::protocol::ciba::Hint;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::jose::claims;
use crate::protocol::jose::{ClientJwks, verify_jws};

fn unknown_user() -> OAuthError {
    OAuthError::new(
        ErrorCode::UnknownUserId,
        "the hint names no customer of this bank (CIBA Core §13)",
    )
}

fn unavailable() -> OAuthError {
    OAuthError::bare(ErrorCode::TemporarilyUnavailable)
}

/// The customer `hint` names, for the authenticated `client`, at `now`.
pub async fn resolve(op: &OpState, client: &Client, hint: &Hint, now: u64) -> Result<UserRecord, OAuthError> {
    let users = &op.services.users;
    let account_id = match hint {
        Hint::LoginHint(name) => {
            if let Some(user) = users
                .find_by_username(name, now)
                .await
                .map_err(|_| unavailable())?
            {
                return Ok(user);
            }
            name.clone()
        }
        Hint::IdTokenHint(token) => id_token_subject(op, client, token)?,
        Hint::LoginHintToken(token) => hint_token_subject(client, token, now)?,
    };
    users
        .find_by_account_id(&account_id, now)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(unknown_user)
}

/// OIDC Core §3.1.2.1 `id_token_hint`, as CIBA Core §7.1 uses it: an ID
/// token the OP issued to this client; its `sub`.
fn id_token_subject(op: &OpState, client: &Client, token: &str) -> Result<String, OAuthError> {
    let invalid =
        || OAuthError::invalid_request("id_token_hint is not an ID token this OP issued to the client");
    let keys = ClientJwks::parse(&op.key_set().jwks_json).map_err(|_| unavailable())?;
    let verified = verify_jws(token, &keys.keys, None).map_err(|_| invalid())?;
    let c = &verified.claims;
    if claims::string(c, "iss").ok().flatten() != Some(op.config.issuer()) {
        return Err(invalid());
    }
    let audience = claims::audience(c).map_err(|_| invalid())?;
    if !audience.is_some_and(|aud| aud.contains(client.client_id.as_str())) {
        return Err(invalid());
    }
    match claims::string(c, "sub") {
        Ok(Some(sub)) if !sub.is_empty() => Ok(sub.to_string()),
        _ => Err(invalid()),
    }
}

/// CIBA Core §7.1 `login_hint_token`: a JWT of the client's (verified with
/// its keys) naming the customer in `sub`; `expired_login_hint_token` once
/// its `exp` has passed.
fn hint_token_subject(client: &Client, token: &str, now: u64) -> Result<String, OAuthError> {
    let invalid = || {
        OAuthError::invalid_request(
            "login_hint_token must be a JWT signed with a key of the client naming the customer in sub",
        )
    };
    let verified = verify_jws(token, &client.jwks.keys, None).map_err(|_| invalid())?;
    let c = &verified.claims;
    if let Some(exp) = claims::numeric_date(c, "exp").map_err(|_| invalid())?
        && exp <= now
    {
        return Err(OAuthError::new(
            ErrorCode::ExpiredLoginHintToken,
            "the login_hint_token has expired (CIBA Core §13)",
        ));
    }
    match claims::string(c, "sub") {
        Ok(Some(sub)) if !sub.is_empty() => Ok(sub.to_string()),
        _ => Err(invalid()),
    }
}
