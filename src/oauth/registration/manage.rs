//! RFC 7592 client configuration endpoint: read, update and delete a
//! registration with its registration access token (RFC 7592 §3, a Bearer
//! token per RFC 6750 §2.1).
//!
//! - Every call needs the token issued for this `client_id`; anything else
//!   (unknown, other client, deleted) is 401 `invalid_token` (RFC 7592 §2,
//!   RFC 6750 §3.1), so a caller learns nothing about other clients.
//! - Update (§2.2) replaces the metadata under the same rules as
//!   registration (a fresh software statement for the same software and
//!   organisation from the same directory); `client_id` in the body must be
//!   this one; the server-set members must not be sent. Tokens already
//!   issued stay valid (UK OBIE DCR 3.3: PUT must not revoke long-lived
//!   tokens); the registration access token is kept.
//! - Delete (§2.3) removes the registration, its access token and every
//!   grant, token, code and pending request of the client.

use super::{Admitted, audit, client_information};
use crate::http::endpoints::OpState;
use crate::model::registered::{RegisteredClient, RegistrationAccessToken};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::registration::RegistrationError;
use crate::store::repo::ops;
use serde_json::{Map, Value};

fn unauthorized() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        "the registration access token is not valid for this client (RFC 7592 §2)",
    )
}

fn store_error(_: crate::store::kv::KvError) -> OAuthError {
    OAuthError::bare(ErrorCode::TemporarilyUnavailable)
}

/// The registration `client_id` names, if `token` is its registration access token.
pub async fn authenticate(
    op: &OpState,
    client_id: &str,
    token: Option<&str>,
) -> Result<RegisteredClient, OAuthError> {
    let token = token.ok_or_else(unauthorized)?;
    let now = op.now();
    let repo = &op.services.repo;
    let found = repo
        .find::<RegistrationAccessToken>(token, now)
        .await
        .map_err(store_error)?
        .ok_or_else(unauthorized)?;
    if found.payload.client_id != client_id {
        return Err(unauthorized());
    }
    let record = repo
        .find::<RegisteredClient>(client_id, now)
        .await
        .map_err(store_error)?
        .ok_or_else(unauthorized)?;
    Ok(record.payload)
}

/// RFC 7592 §2.1: the current registration.
pub fn read(op: &OpState, record: &RegisteredClient, token: &str) -> Value {
    client_information(op, record, token)
}

/// RFC 7592 §2.2 checks on the body before the shared registration rules:
/// `client_id` must be this client's; server-set members must be absent.
pub fn check_update_body(client_id: &str, body: &Map<String, Value>) -> Result<(), OAuthError> {
    if body.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(OAuthError::invalid_request(
            "client_id must be sent and be this registration's (RFC 7592 §2.2)",
        ));
    }
    for member in [
        "registration_access_token",
        "registration_client_uri",
        "client_id_issued_at",
        "client_secret_expires_at",
    ] {
        if body.contains_key(member) {
            return Err(OAuthError::invalid_request(format!(
                "{member} must not be sent in an update (RFC 7592 §2.2)"
            )));
        }
    }
    Ok(())
}

/// RFC 7592 §2.2: replaces the metadata.
pub async fn update(
    op: &OpState,
    current: RegisteredClient,
    admitted: Admitted,
    token: &str,
) -> Result<Value, OAuthError> {
    if admitted.ssa.issuer != current.directory
        || admitted.ssa.software_id != current.software_id
        || admitted.ssa.org_id != current.org_id
    {
        return Err(RegistrationError::statement(
            "the software statement is for other software than this registration",
        )
        .into());
    }
    let now = op.now();
    let record = RegisteredClient {
        metadata: admitted.metadata,
        software_statement: admitted.statement,
        updated_at: now,
        revision: current.revision + 1,
        ..current
    };
    // The suspension is the trust checks' (`trust.rs`), never the
    // client's: it is taken from the stored record in the same transaction
    // as the write, so a suspension made while this request ran is kept.
    let record = op
        .services
        .repo
        .store()
        .run(|tx, _| {
            let record = record.clone();
            async move {
                let stored =
                    crate::store::repo::ops::find::<RegisteredClient>(&tx, &record.client_id, now).await?;
                let record = RegisteredClient {
                    suspended: stored.map_or(record.suspended, |s| s.payload.suspended),
                    ..record
                };
                crate::store::repo::ops::upsert(&tx, &record.client_id, &record, None, now).await?;
                Ok(record)
            }
        })
        .await
        .map_err(store_error)?;
    op.services.clients.evict(&record.client_id);
    audit(&record, "client registration updated");
    Ok(client_information(op, &record, token))
}

/// RFC 7592 §2.3: deletes the registration and everything issued to it.
pub async fn delete(op: &OpState, record: &RegisteredClient) -> Result<(), OAuthError> {
    let repo = &op.services.repo;
    // First the client record, so that no new token can be issued while
    // the rest is revoked.
    repo.store()
        .run(|tx, _| async move { ops::destroy(&tx, crate::store::keys::Kind::Client, &record.client_id).await })
        .await
        .map_err(store_error)?;
    op.services.clients.evict(&record.client_id);
    let revoked = repo
        .revoke_by_client_id(
            &record.client_id,
            crate::oauth::tokens::grant_revocation(op, op.now()),
        )
        .await
        .map_err(store_error)?;
    tracing::info!(target: "fiducia::audit", client_id = %record.client_id, revoked, "tokens of deleted client revoked");
    audit(record, "client registration deleted");
    Ok(())
}
