//! RFC 7592 client configuration endpoint: read, update and delete a
//! registration with its registration access token (RFC 7592 §3, a Bearer
//! token per RFC 6750 §2.1).
//!
//! - Every call needs the token issued for this `client_id`; anything else
//!   (unknown, other client, deleted) is 401 `invalid_token` (RFC 7592 §2,
//!   RFC 6750 §3.1), so a caller learns nothing about other clients.
//! - The token is bound to the software's transport certificate, as at
//!   registration (UK OBIE DCR 3.3 and Open Finance Brasil DCR: management
//!   calls come over mTLS with the software's certificate; FAPI 2.0 §5.3.2.1
//!   item 5: sender-constrained tokens only): the call must present a
//!   certificate chaining to `tls.client_ca` that binds to the registered
//!   software and organisation under the directory's rule (a renewed
//!   certificate of the same software does; under the binding `none` the
//!   certificate's subject must be the one registered with); without it the token is
//!   refused like a certificate-bound token without its certificate
//!   (RFC 8705 §3: 401 `invalid_token`). A stolen token alone manages
//!   nothing.
//! - Update (§2.2) replaces the metadata under the same rules as
//!   registration (a fresh software statement for the same software and
//!   organisation from the same directory, or the one it holds, sent back:
//!   `super::admit_update`); `client_id` in the body must be this one; the
//!   server-set members may only be sent back as issued. Tokens already
//!   issued stay valid (UK OBIE DCR 3.3: PUT must not revoke long-lived
//!   tokens). The registration access token is rotated (RFC 7592 §3: the
//!   server may issue a new one with any response): the answer carries a
//!   new one and the old one stops working in the same transaction.
//! - Delete (§2.3) removes the registration, its access token and every
//!   grant, token, code and pending request of the client.

use super::directories::TrustedDirectories;
use super::{Admitted, audit, audit_trail, client_information, kept_metadata, registration_client_path};
use crate::model::registered::{RegisteredClient, RegistrationAccessToken};
use crate::oauth::op::OpState;
use crate::protocol::client_auth::DistinguishedName;
use crate::protocol::client_cert::ClientCertificate;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::registration::cert_binding::CertificateBinding;
use crate::protocol::registration::update::{self, Issued};
use crate::protocol::registration::{RegistrationError, cert_binding};
use crate::store::audit::Actor;
use crate::store::keys::Kind;
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

/// The registration `client_id` names, if `token` is its registration
/// access token and `cert` the registered software's transport certificate.
pub async fn authenticate(
    op: &OpState,
    directories: &TrustedDirectories,
    client_id: &str,
    token: Option<&str>,
    cert: Option<&ClientCertificate>,
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
    check_transport_certificate(directories, &record.payload, cert)?;
    Ok(record.payload)
}

/// The certificate of a management call must be the registered software's
/// (see the module documentation); 401 `invalid_token` otherwise.
fn check_transport_certificate(
    directories: &TrustedDirectories,
    record: &RegisteredClient,
    cert: Option<&ClientCertificate>,
) -> Result<(), OAuthError> {
    let not_bound = || {
        OAuthError::new(
            ErrorCode::InvalidToken,
            "the registration access token must be presented over mTLS with the registered \
             software's transport certificate (RFC 8705 §3)",
        )
    };
    let cert = cert.filter(|c| c.chain_verified()).ok_or_else(not_bound)?;
    // A certificate the directory revoked (`trust.rs`) manages nothing.
    if record.revoked_certificates.iter().any(|r| r == cert.x5t_s256()) {
        return Err(not_bound());
    }
    let directory = directories.find(&record.directory).ok_or_else(not_bound)?;
    if directory.binding == CertificateBinding::None {
        // No subject rule names the software: the certificate must carry
        // the subject the client registered with (RFC 4517 matching).
        return registered_subject_matches(record, cert)
            .then_some(())
            .ok_or_else(not_bound);
    }
    cert_binding::check_certificate_binding(
        directory.binding,
        cert.leaf().as_ref(),
        &record.software_id,
        &record.org_id,
    )
    .map_err(|_| not_bound())
}

/// Whether `cert`'s subject is the one `record` registered with.
fn registered_subject_matches(record: &RegisteredClient, cert: &ClientCertificate) -> bool {
    let registered = record
        .transport_subject_dn
        .as_deref()
        .and_then(|dn| DistinguishedName::parse_rfc4514(dn).ok());
    let presented = DistinguishedName::of_certificate_subject(cert.leaf().as_ref()).ok();
    matches!((registered, presented), (Some(r), Some(p)) if r.matches(&p))
}

/// RFC 7592 §2.1: the current registration.
pub fn read(op: &OpState, record: &RegisteredClient, token: &str) -> Value {
    client_information(op, record, token)
}

/// RFC 7592 §2.2 checks on the body before the shared registration rules:
/// `client_id` must be this client's; the server-set members may be sent
/// back as they were issued, never with other values
/// (`protocol::registration::update`).
pub fn check_update_body(
    op: &OpState,
    record: &RegisteredClient,
    token: &str,
    body: &Map<String, Value>,
) -> Result<(), OAuthError> {
    let uri = op
        .config
        .endpoint_url(&registration_client_path(&record.client_id));
    let issued = Issued {
        client_id: &record.client_id,
        registration_access_token: token,
        registration_client_uri: &uri,
        client_id_issued_at: record.issued_at,
    };
    Ok(update::check_update_body(body, &issued)?)
}

/// RFC 7592 §2.2: replaces the metadata and rotates the registration
/// access token `old_token` (the answer carries its successor).
pub async fn update(
    op: &OpState,
    current: RegisteredClient,
    admitted: Admitted,
    old_token: &str,
) -> Result<Value, OAuthError> {
    if admitted.ssa.common.issuer != current.directory
        || admitted.ssa.software_id != current.software_id
        || admitted.ssa.org_id != current.org_id
    {
        return Err(RegistrationError::statement(
            "the software statement is for other software than this registration",
        )
        .into());
    }
    let now = op.now();
    let previous = &current.clone();
    let record = RegisteredClient {
        metadata: admitted.metadata,
        software_statement: admitted.statement,
        transport_subject_dn: Some(admitted.transport_dn),
        descriptive_metadata: kept_metadata(&admitted.descriptive),
        updated_at: now,
        revision: current.revision + 1,
        ..current
    };
    // The suspension, `trusted_since` and the revoked certificates are the
    // trust checks' (`trust.rs`),
    // never the client's: they are taken from the stored record in the same
    // transaction as the write, so a change made while this request ran is kept.
    let new_token = crate::oauth::secrets::new_secret()?;
    let token_record = RegistrationAccessToken {
        client_id: record.client_id.clone(),
    };
    let record = op
        .services
        .repo
        .store()
        .run(|tx, _| {
            let (record, token_record, new_token) = (record.clone(), &token_record, &new_token);
            async move {
                // The old token must still be this client's: of two
                // concurrent updates with it, one rotates and the other
                // finds it gone (401), so one successor exists.
                let Some(found) = ops::find::<RegistrationAccessToken>(&tx, old_token, now).await? else {
                    return Ok(None);
                };
                if found.payload.client_id != record.client_id {
                    return Ok(None);
                }
                let stored = ops::find::<RegisteredClient>(&tx, &record.client_id, now).await?;
                let (record, before) = match stored {
                    Some(s) => (
                        RegisteredClient {
                            suspended: s.payload.suspended,
                            trusted_since: s.payload.trusted_since,
                            revoked_certificates: s.payload.revoked_certificates.clone(),
                            ..record
                        },
                        s.payload,
                    ),
                    None => (record, previous.clone()),
                };
                ops::upsert(&tx, &record.client_id, &record, None, now).await?;
                let actor = Actor::Client(record.client_id.clone());
                if let Some(event) = audit_trail::changed(actor, &before, &record) {
                    crate::store::audit::append(&tx, &event, now).await?;
                }
                ops::destroy(&tx, Kind::RegistrationAccessToken, old_token).await?;
                ops::upsert(&tx, new_token, token_record, None, now).await?;
                Ok(Some(record))
            }
        })
        .await
        .map_err(store_error)?
        .ok_or_else(unauthorized)?;
    op.services.clients.evict(&record.client_id);
    audit(
        &record,
        "client registration updated; registration access token rotated",
    );
    Ok(client_information(op, &record, &new_token))
}

/// RFC 7592 §2.3: deletes the registration and everything issued to it.
pub async fn delete(op: &OpState, record: &RegisteredClient) -> Result<(), OAuthError> {
    let repo = &op.services.repo;
    // First the client record, so that no new token can be issued while
    // the rest is revoked.
    repo.store()
        .run(|tx, _| async move { audit_trail::write_deleted(&tx, record, op.now()).await })
        .await
        .map_err(store_error)?;
    op.services.clients.evict(&record.client_id);
    let revoked = repo
        .revoke_by_client_id(
            &record.client_id,
            crate::oauth::tokens::grant_revocation(
                op,
                op.now(),
                crate::store::repo::RevocationCause::ClientDeleted,
            ),
        )
        .await
        .map_err(store_error)?;
    tracing::info!(target: "fiducia::audit", client_id = %record.client_id, revoked, "tokens of deleted client revoked");
    audit(record, "client registration deleted");
    Ok(())
}
