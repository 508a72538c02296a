//! The directory's routes: a static table, one function per endpoint. Errors are the OP's
//! JSON shape `{error, error_description}` from the same error table.
//!
//! | method     | path                                  | answer                               |
//! |------------|---------------------------------------|--------------------------------------|
//! | GET        | `/jwks`                               | the directory JWKS (SSA keys)        |
//! | GET        | `/organisations/{org_id}/status`      | `{org_id, org_name, status}`         |
//! | GET        | `/software/{software_id}/status`      | software and organisation status     |
//! | GET        | `/software/{software_id}/jwks`        | the software's JWKS (sig + tls keys) |
//! | GET        | `/software/{software_id}/revoked-certificates` | its revoked transport certificates |
//! | POST       | `/software/{software_id}/ssa`         | a fresh SSA (`application/jwt`), mTLS |

use super::state::Status;
use super::{Directory, DirectoryError};
use crate::clock::Clock;
use crate::http::response::{self, labelled};
use crate::http::{Handler, HandlerFuture, RequestContext};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response};
use serde_json::json;
use std::sync::Arc;

/// The directory's paths; `{..}` is one path segment.
pub mod paths {
    /// The directory JWKS (the keys SSAs are signed with).
    pub const JWKS: &str = "/jwks";
    /// An organisation's status.
    pub const ORGANISATION_STATUS: &str = "/organisations/{org_id}/status";
    /// A software's status.
    pub const SOFTWARE_STATUS: &str = "/software/{software_id}/status";
    /// A software's JWKS (`software_jwks_endpoint`).
    pub const SOFTWARE_JWKS: &str = "/software/{software_id}/jwks";
    /// The software's revoked transport certificates:
    /// `{software_id, revoked_certificates: [{"x5t#S256", revoked_at}]}`.
    pub const REVOKED_CERTIFICATES: &str = "/software/{software_id}/revoked-certificates";
    /// A fresh SSA for the software, over mutual TLS with its transport certificate.
    pub const SSA: &str = "/software/{software_id}/ssa";
}

#[derive(Debug, Clone, Copy)]
enum Route {
    Jwks,
    OrganisationStatus,
    SoftwareStatus,
    SoftwareJwks,
    RevokedCertificates,
    Ssa,
}

const READ: &[Method] = &[Method::GET, Method::HEAD];

/// (path pattern, methods, route, metrics label).
const ROUTES: &[(&str, &[Method], Route, &str)] = &[
    (paths::JWKS, READ, Route::Jwks, "directory_jwks"),
    (
        paths::ORGANISATION_STATUS,
        READ,
        Route::OrganisationStatus,
        "directory_org_status",
    ),
    (
        paths::SOFTWARE_STATUS,
        READ,
        Route::SoftwareStatus,
        "directory_software_status",
    ),
    (
        paths::SOFTWARE_JWKS,
        READ,
        Route::SoftwareJwks,
        "directory_software_jwks",
    ),
    (
        paths::REVOKED_CERTIFICATES,
        READ,
        Route::RevokedCertificates,
        "directory_revoked_certificates",
    ),
    (paths::SSA, &[Method::POST], Route::Ssa, "directory_ssa"),
];

/// Matches `path` against `pattern`; returns the `{..}` segment (if any).
fn match_path<'p>(pattern: &str, path: &'p str) -> Option<Option<&'p str>> {
    let mut captured = None;
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(captured),
            (Some(p), Some(s)) if p.starts_with('{') => {
                let valid = !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
                if !valid {
                    return None;
                }
                captured = Some(s);
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return None,
        }
    }
}

/// The directory's [`Handler`] behind the shared request service.
pub struct DirectoryHandler {
    directory: Arc<Directory>,
    clock: Arc<dyn Clock>,
}

impl DirectoryHandler {
    /// A handler for `directory`, `clock` giving `iat`.
    pub fn new(directory: Arc<Directory>, clock: Arc<dyn Clock>) -> Self {
        Self { directory, clock }
    }

    async fn route(&self, request: &Request<Bytes>, context: &RequestContext) -> Response<Bytes> {
        let path = request.uri().path();
        let Some((methods, route, label, id)) = ROUTES.iter().find_map(|(pattern, methods, route, label)| {
            match_path(pattern, path).map(|id| (methods, *route, *label, id))
        }) else {
            return response::error(&OAuthError::new(
                ErrorCode::NotFound,
                format!("no directory endpoint at {path}"),
            ));
        };
        if !methods.contains(request.method()) {
            let mut response = response::error(&OAuthError::bare(ErrorCode::MethodNotAllowed));
            let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
            if let Ok(value) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(ALLOW, value);
            }
            return labelled(response, label);
        }
        let id = id.unwrap_or_default().to_owned();
        let result = match route {
            Route::Jwks => Ok(jwks(&self.directory)),
            Route::OrganisationStatus => self.organisation_status(id).await,
            Route::SoftwareStatus => self.software_status(id).await,
            Route::SoftwareJwks => self.software_jwks(id).await,
            Route::RevokedCertificates => self.revoked_certificates(id).await,
            Route::Ssa => self.ssa(id, context).await,
        };
        labelled(result.unwrap_or_else(|e| error_response(&e)), label)
    }

    async fn organisation_status(&self, org_id: String) -> Result<Response<Bytes>, DirectoryError> {
        let state = self.state().await?;
        let org = state
            .organisations
            .get(&org_id)
            .ok_or(DirectoryError::UnknownOrganisation(org_id))?;
        Ok(response::json_ok(&json!({
            "org_id": org.org_id,
            "org_name": org.org_name,
            "status": org.status,
        })))
    }

    async fn software_status(&self, software_id: String) -> Result<Response<Bytes>, DirectoryError> {
        let state = self.state().await?;
        let software = state
            .software
            .get(&software_id)
            .ok_or(DirectoryError::UnknownSoftware(software_id))?;
        let org_status = state
            .organisations
            .get(&software.org_id)
            .map_or(Status::Revoked, |o| o.status);
        // Effective status: a software of a revoked organisation is revoked too.
        let status = match (software.status, org_status) {
            (Status::Active, Status::Active) => Status::Active,
            _ => Status::Revoked,
        };
        Ok(response::json_ok(&json!({
            "software_id": software.software_id,
            "org_id": software.org_id,
            "software_status": software.status,
            "org_status": org_status,
            "status": status,
        })))
    }

    async fn software_jwks(&self, software_id: String) -> Result<Response<Bytes>, DirectoryError> {
        let state = self.state().await?;
        let software = state
            .software
            .get(&software_id)
            .ok_or(DirectoryError::UnknownSoftware(software_id))?;
        Ok(response::json_ok(
            &json!({ "keys": [software.signing_jwk, software.transport_jwk] }),
        ))
    }

    /// The software's revoked transport certificates, for relying OPs to
    /// re-check registered clients (`revocation_endpoint`).
    async fn revoked_certificates(&self, software_id: String) -> Result<Response<Bytes>, DirectoryError> {
        let state = self.state().await?;
        let software = state
            .software
            .get(&software_id)
            .ok_or(DirectoryError::UnknownSoftware(software_id))?;
        Ok(response::json_ok(&json!({
            "software_id": software.software_id,
            "revoked_certificates": software.revoked_certificates,
        })))
    }

    /// A fresh SSA. The caller authenticates with the software's transport certificate
    /// over mutual TLS (RFC 8705 §2.1 style: chained to the directory CA, and the very
    /// certificate the directory issued to that software).
    async fn ssa(
        &self,
        software_id: String,
        context: &RequestContext,
    ) -> Result<Response<Bytes>, DirectoryError> {
        let Some(cert) = context.client_cert.as_ref().filter(|c| c.chain_verified()) else {
            return Ok(response::error(&OAuthError::new(
                ErrorCode::InvalidClient,
                "the SSA endpoint needs the software's transport certificate (mutual TLS) issued by this directory",
            )));
        };
        let x5t = cert.x5t_s256().to_owned();
        let directory = self.directory.clone();
        let now = self.clock.now_unix();
        let claims =
            tokio::task::spawn_blocking(move || directory.prepare_ssa(&software_id, Some(&x5t), now))
                .await
                .map_err(|e| DirectoryError::Internal(format!("SSA task failed: {e}")))??;
        let (jws, _) = self.directory.sign_ssa(claims).await?;
        let mut response = Response::new(Bytes::from(jws));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/jwt"));
        Ok(response)
    }

    async fn state(&self) -> Result<super::state::DirectoryState, DirectoryError> {
        let directory = self.directory.clone();
        tokio::task::spawn_blocking(move || directory.state())
            .await
            .map_err(|e| DirectoryError::Internal(format!("state task failed: {e}")))?
            .map_err(DirectoryError::from)
    }
}

impl Handler for DirectoryHandler {
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move { self.route(&request, context).await })
    }
}

fn jwks(directory: &Directory) -> Response<Bytes> {
    let mut response = response::json_ok(&directory.jwks());
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

/// Directory errors on the wire: unknown ids 404, revoked 403 `access_denied`, a wrong
/// certificate 401 `invalid_client`, bad input 400, the rest 500 (logged, not detailed).
fn error_response(e: &DirectoryError) -> Response<Bytes> {
    let (code, description) = match e {
        DirectoryError::UnknownOrganisation(_) | DirectoryError::UnknownSoftware(_) => {
            (ErrorCode::NotFound, e.to_string())
        }
        DirectoryError::Inactive(_) => (ErrorCode::AccessDenied, e.to_string()),
        DirectoryError::WrongCertificate(_) => (ErrorCode::InvalidClient, e.to_string()),
        DirectoryError::Invalid(_) => (ErrorCode::InvalidRequest, e.to_string()),
        DirectoryError::Internal(detail) => {
            tracing::error!(error = %detail, "directory request failed");
            (
                ErrorCode::ServerError,
                "the directory could not answer".to_owned(),
            )
        }
    };
    response::error(&OAuthError::new(code, description))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_one_segment_per_placeholder() {
        assert_eq!(match_path(paths::JWKS, "/jwks"), Some(None));
        assert_eq!(match_path(paths::SSA, "/software/sw-1/ssa"), Some(Some("sw-1")));
        assert_eq!(match_path(paths::SSA, "/software/a/b/ssa"), None);
        assert_eq!(match_path(paths::SSA, "/software//ssa"), None);
        assert_eq!(match_path(paths::SOFTWARE_JWKS, "/software/%2e%2e/jwks"), None);
        assert_eq!(match_path(paths::JWKS, "/jwks/"), None);
    }
}
