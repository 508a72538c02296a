//! The consent dashboard's sessions (`model/account_session.rs`) over the
//! store: begun after the password (awaiting the code when the customer has
//! a second factor), signed in after the code under a new cookie value (no
//! value chosen before the sign-in ends survives it: OWASP Session
//! Management Cheat Sheet, "Renew the Session ID After Any Privilege Level
//! Change"), found by the cookie's hash and kept alive by use, ended by
//! sign-out. `now` is passed in.

use crate::login::csrf;
use crate::model::account_session::{AccountSession, AccountSessionStage, store_id};
use crate::store::keys::Kind;
use crate::store::kv::KvError;
use crate::store::repo::Repo;

/// The session cookie's name: the `__Host-` prefix makes the browser keep
/// it Secure, on `Path=/` and this host only (RFC 6265bis §4.1.3.2).
pub const COOKIE_NAME: &str = "__Host-fiducia-account";

/// A session and the cookie value that names it.
#[derive(Debug, Clone)]
pub struct Named {
    /// The cookie's value (256 bits, base64url): a bearer secret.
    pub token: String,
    /// The record.
    pub session: AccountSession,
}

/// Whether `value` can be a cookie value this module made (43 base64url
/// characters): anything else is not looked up.
fn well_formed(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// A new session of `account_id` after a right password: awaiting the
/// code when `has_factor`, signed in otherwise.
pub async fn begin(
    repo: &Repo,
    account_id: &str,
    has_factor: bool,
    idle_secs: u64,
    now: u64,
) -> Result<Named, KvError> {
    let stage = match has_factor {
        true => AccountSessionStage::AwaitingCode,
        false => AccountSessionStage::SignedIn,
    };
    let session = AccountSession {
        account_id: account_id.to_string(),
        csrf: new_secret()?,
        stage,
        started: now,
        amr: crate::protocol::acr::AMR_PASSWORD
            .iter()
            .map(|m| (*m).to_string())
            .collect(),
    };
    store(repo, session, idle_secs, now).await
}

/// The session of `cookie`, if it names one that is alive: its lifetime
/// starts again (idle) within the absolute bound.
pub async fn find(
    repo: &Repo,
    cookie: Option<&str>,
    idle_secs: u64,
    now: u64,
) -> Result<Option<Named>, KvError> {
    let Some(token) = cookie.filter(|c| well_formed(c)) else {
        return Ok(None);
    };
    let id = store_id(token);
    let Some(found) = repo.find::<AccountSession>(&id, now).await? else {
        return Ok(None);
    };
    let session = found.payload;
    let ttl = session.ttl(idle_secs, now);
    if ttl == 0 {
        repo.destroy(Kind::Session, &id).await?;
        return Ok(None);
    }
    repo.upsert(&id, &session, Some(ttl), now).await?;
    Ok(Some(Named {
        token: token.to_string(),
        session,
    }))
}

/// After a right code: the session signed in under a new cookie value and
/// form token, the old one gone.
pub async fn signed_in(repo: &Repo, old: Named, idle_secs: u64, now: u64) -> Result<Named, KvError> {
    repo.destroy(Kind::Session, &store_id(&old.token)).await?;
    let mut session = old.session;
    session.stage = AccountSessionStage::SignedIn;
    session.csrf = new_secret()?;
    for method in crate::protocol::acr::AMR_SCA {
        if !session.amr.iter().any(|m| m == method) {
            session.amr.push((*method).to_string());
        }
    }
    store(repo, session, idle_secs, now).await
}

/// Sign-out: the session is gone.
pub async fn end(repo: &Repo, token: &str) -> Result<(), KvError> {
    repo.destroy(Kind::Session, &store_id(token)).await?;
    Ok(())
}

async fn store(repo: &Repo, session: AccountSession, idle_secs: u64, now: u64) -> Result<Named, KvError> {
    let token = new_secret()?;
    let ttl = session.ttl(idle_secs, now).max(1);
    repo.upsert(&store_id(&token), &session, Some(ttl), now).await?;
    Ok(Named { token, session })
}

fn new_secret() -> Result<String, KvError> {
    csrf::new_token().map_err(|e| KvError::Aborted(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_of_the_right_shape_are_looked_up() {
        let token = csrf::new_token().unwrap();
        assert!(well_formed(&token));
        assert!(!well_formed(&token[..42]));
        assert!(!well_formed(&format!("{}=", &token[..42])));
        assert!(!well_formed(""));
    }
}
