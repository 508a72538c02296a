//! Dynamic client registration, the application layer: RFC 7591 §3
//! registration ([`register`]) and RFC 7592 management ([`manage`]),
//! around the sans-IO checks of `protocol::registration`.
//!
//! [`admit`] is what registration and update share: the transport
//! certificate, the body (JSON or a signed JWT), the software statement
//! against its trusted directory (keys fetched, refetched once on an
//! unknown `kid`, failing closed) read under the directory's profile
//! (`protocol::registration::profile`), the certificate binding (before
//! anything is fetched for the software), the signed request against the
//! software's keys (the statement's `jwks_uri`/`jwks`, or under the
//! generic profile the request's when the statement has none), the
//! metadata policy, and last the single use of the statement's `jti` (and
//! the request's).
//!
//! An RFC 7592 §2.2 update ([`admit_update`]) that sends back the statement
//! the registration holds (the one echoed in every client information
//! response) is checked as of that statement's own `iat`: signature,
//! issuer and claims again, but neither its age, its `exp` nor its `jti`,
//! whose single use (RFC 7591 §2.3, UK OBIE DCR 3.3) guards new
//! registrations. A client that sends back exactly what it was given is
//! accepted; a new statement is checked like a registration's. Only the
//! statement the registration holds now qualifies: once an update brought a
//! newer one, an older one is a new statement again (no rollback to a
//! statement the directory has since replaced).
//!
//! [`trust`] keeps checking registered software at its directory after
//! registration (suspension and reinstatement).

pub mod audit_trail;
pub mod certificates;
pub mod directories;
pub mod manage;
pub mod trust;
pub mod trust_lease;

use crate::model::registered::RegisteredClient;
use crate::oauth::op::OpState;
use crate::protocol::client_auth::DistinguishedName;
use crate::protocol::client_cert::ClientCertificate;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::jose::ClientJwks;
use crate::protocol::jose::jwe::{self, IdTokenEncryption};
use crate::protocol::registration::metadata::{
    CibaRegistration, ClientMetadata, MetadataPolicy, check_client_metadata,
};
use crate::protocol::registration::profile::{SoftwareKeys, keys_in};
use crate::protocol::registration::request::{self, RegistrationBody};
use crate::protocol::registration::ssa::{self, SoftwareStatement};
use crate::protocol::registration::{
    RegistrationError, cert_binding, descriptive, id_token_encryption, update,
};
use crate::store::repo::ops;
use directories::TrustedDirectories;
use serde_json::{Map, Value, json};

/// A registration that passed every check, ready to store.
pub struct Admitted {
    /// The verified statement.
    pub ssa: SoftwareStatement,
    /// The statement as sent (echoed unchanged, RFC 7591 §3.2.1).
    pub statement: String,
    /// The metadata to register.
    pub metadata: ClientMetadata,
    /// The directory's revoked transport certificates of the software
    /// (`certificates.rs`; the request's is not one of them).
    pub revoked_certificates: Vec<String>,
    /// The RFC 4514 subject of the transport certificate it came with.
    pub transport_dn: String,
    /// The RFC 7591 §2 members kept and returned (`descriptive`).
    pub descriptive: Map<String, Value>,
    /// The directory's profile allows one registration per software
    /// (`RegistrationProfile::one_registration_per_software`).
    pub one_per_software: bool,
}

fn unavailable(what: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::TemporarilyUnavailable, what)
}

/// Checks a registration request (see the module documentation).
pub async fn admit(
    op: &OpState,
    directories: &TrustedDirectories,
    content_type: &str,
    body: &[u8],
    cert: Option<&ClientCertificate>,
) -> Result<Admitted, OAuthError> {
    admit_checked(op, directories, content_type, body, cert, None).await
}

/// Checks an RFC 7592 §2.2 update of a registration holding
/// `stored_statement` (see the module documentation).
pub async fn admit_update(
    op: &OpState,
    directories: &TrustedDirectories,
    content_type: &str,
    body: &[u8],
    cert: Option<&ClientCertificate>,
    stored_statement: &str,
) -> Result<Admitted, OAuthError> {
    admit_checked(op, directories, content_type, body, cert, Some(stored_statement)).await
}

async fn admit_checked(
    op: &OpState,
    directories: &TrustedDirectories,
    content_type: &str,
    body: &[u8],
    cert: Option<&ClientCertificate>,
    stored_statement: Option<&str>,
) -> Result<Admitted, OAuthError> {
    let now = op.now();
    let config = op.config.get();
    // RFC 8705 §2.1 / UK OBIE DCR 3.3: the request comes over mTLS with a
    // transport certificate of the ecosystem's CA.
    let cert = cert.filter(|c| c.chain_verified()).ok_or_else(|| {
        OAuthError::invalid_request(
            "registration needs a transport certificate issued under tls.client_ca (mTLS)",
        )
    })?;
    let parsed = request::parse_body(content_type, body)?;
    let peeked = match &parsed {
        RegistrationBody::Json(map) => map.clone(),
        RegistrationBody::Signed(compact) => request::peek_claims(compact)?,
    };
    let statement = request::software_statement(&peeked)?.to_string();
    let issuer = ssa::peek_issuer(&statement).map_err(RegistrationError::from)?;
    let directory = directories.find(&issuer).ok_or_else(|| {
        RegistrationError::Unapproved("the software statement is not from a trusted directory".into())
    })?;
    let max_age = op.registration_policy().ssa_max_age_secs;
    // RFC 7592 §2.2: the registration's own statement sent back is checked
    // as of its `iat` (see the module documentation).
    let resent = stored_statement == Some(statement.as_str());
    let at = match resent {
        true => statement_iat(&statement).unwrap_or(now),
        false => now,
    };
    let keys = directories.keys(&directory, false).await.map_err(|_| {
        unavailable("the directory's keys could not be fetched; the software statement cannot be verified")
    })?;
    let profile = directory.profile;
    // CDS DCR: the CDR Register's software registers with a JWT signed by
    // its key, never a bare JSON body.
    if profile.requires_signed_request() && matches!(parsed, RegistrationBody::Json(_)) {
        return Err(RegistrationError::metadata(
            "this directory's software registers with a signed request: a JWT (application/jwt) signed by a key of the statement's jwks_uri (CDS DCR)",
        )
        .into());
    }
    let ssa = match ssa::verify_software_statement(&statement, &keys.keys, &issuer, profile, max_age, at) {
        Err(e) if e.is_unknown_kid() => {
            let keys = directories.keys(&directory, true).await.map_err(|_| {
                unavailable(
                    "the directory's keys could not be fetched; the software statement cannot be verified",
                )
            })?;
            ssa::verify_software_statement(&statement, &keys.keys, &issuer, profile, max_age, at)
        }
        other => other,
    }
    .map_err(RegistrationError::from)?;
    // The certificate before anything is fetched for the software.
    cert_binding::check_certificate_binding(
        directory.binding,
        cert.leaf().as_ref(),
        &ssa.software_id,
        &ssa.org_id,
    )?;
    let revoked_certificates = certificates::check_not_revoked(
        op,
        directories.fetcher(),
        &issuer,
        &ssa.software_id,
        cert.x5t_s256(),
    )
    .await?;
    let transport_dn = cert_binding::subject_dn_rfc4514(cert.leaf().as_ref())?;
    let (metadata, signed) = match parsed {
        RegistrationBody::Json(map) => (map, None),
        RegistrationBody::Signed(compact) => {
            let source = match &ssa.keys {
                Some(keys) => keys.clone(),
                None if profile.accepts_request_jwks() => keys_in(&peeked)?.ok_or_else(|| {
                    RegistrationError::metadata(
                        "a signed request needs the software's keys: jwks_uri or jwks",
                    )
                })?,
                None => {
                    return Err(RegistrationError::statement("the software statement names no keys").into());
                }
            };
            let keys = software_keys(directories, &source).await?;
            let (claims, jti) = request::verify_signed_request(
                &compact,
                &keys.keys,
                op.config.issuer(),
                &ssa.software_id,
                now,
            )?;
            (claims, Some((jti, keys)))
        }
    };
    let (request_jti, request_keys) = signed.unzip();
    // RFC 7592 §2.2: a null member is an omitted one.
    let metadata = update::without_nulls(metadata);
    // The resource servers this node runs now (`oauth/live_sections`).
    let reserved: Vec<DistinguishedName> = op
        .services
        .sections
        .get::<crate::oauth::live_sections::ResourceServers>()
        .iter()
        .filter_map(|rs| DistinguishedName::parse_rfc4514(&rs.tls_client_auth_subject_dn).ok())
        .collect();
    let policy = MetadataPolicy {
        profile,
        signing_alg: config.signing.alg,
        allow_localhost: config.registration.danger_allow_localhost_redirects,
        role_scopes: &directory.role_scopes,
        reserved_dns: &reserved,
        ciba: config.ciba.enabled.then_some(CibaRegistration {
            push_enabled: config.ciba.push_enabled,
            allow_private: config.ciba.danger_allow_private_notification_endpoints,
        }),
    };
    let checked = check_client_metadata(&metadata, &ssa, &transport_dn, &policy)?;
    let descriptive = descriptive::descriptive_metadata(&metadata, &request::peek_claims(&statement)?)?;
    let metadata = checked;
    if let Some(encryption) = metadata.id_token_encryption {
        encryption_key_known(directories, &metadata, request_keys.as_ref(), encryption).await?;
    }
    // RFC 7591 §2.3 / UK OBIE DCR 3.3: a statement registers once; its jti
    // is remembered for as long as the statement could be accepted.
    let until = ssa
        .common
        .expires_at
        .unwrap_or(0)
        .max(ssa.common.issued_at + max_age);
    let namespace = format!("ssa:{issuer}");
    if !resent {
        first_use(op, &namespace, &ssa.common.jti, until, now)
            .await?
            .then_some(())
            .ok_or_else(|| {
                RegistrationError::statement("the software statement was already used (jti replayed)")
            })?;
    }
    if let Some(jti) = request_jti {
        let namespace = format!("registration_request:{}", ssa.software_id);
        first_use(op, &namespace, &jti, now + 3600, now)
            .await?
            .then_some(())
            .ok_or_else(|| {
                RegistrationError::metadata("the signed request was already used (jti replayed)")
            })?;
    }
    Ok(Admitted {
        ssa,
        statement,
        metadata,
        revoked_certificates,
        transport_dn,
        descriptive,
        one_per_software: profile.one_registration_per_software(),
    })
}

/// The software's keys: fetched from a `jwks_uri`, or parsed from `jwks`
/// by value (checked when the statement or request was read).
async fn software_keys(
    directories: &TrustedDirectories,
    source: &SoftwareKeys,
) -> Result<ClientJwks, OAuthError> {
    match source {
        SoftwareKeys::Uri(uri) => directories
            .fetcher()
            .fetch(uri)
            .await
            .map_err(|_| unavailable("the software's JWKS (its jwks_uri) could not be fetched")),
        SoftwareKeys::Jwks(text) => ClientJwks::parse(text.as_bytes())
            .map_err(|_| RegistrationError::metadata("jwks is not a JWKS (RFC 7517 §5)").into()),
    }
}

/// OIDC Core §10.2: a registration asking for encrypted ID tokens must name
/// keys holding an RSA encryption key for its `alg` — the keys that
/// verified its signed request (`fetched`), else its `jwks` by value, else
/// its `jwks_uri` fetched now — or it could never be given an ID token.
async fn encryption_key_known(
    directories: &TrustedDirectories,
    metadata: &ClientMetadata,
    fetched: Option<&ClientJwks>,
    encryption: IdTokenEncryption,
) -> Result<(), OAuthError> {
    let source = match (&metadata.jwks, &metadata.jwks_uri) {
        (Some(text), _) => SoftwareKeys::Jwks(text.clone()),
        (None, Some(uri)) => SoftwareKeys::Uri(uri.clone()),
        (None, None) => {
            return Err(RegistrationError::metadata(
                "encrypted ID tokens need the client's keys: jwks_uri or jwks",
            )
            .into());
        }
    };
    let keys = match (fetched, &source) {
        (Some(keys), SoftwareKeys::Uri(_)) => keys.clone(),
        _ => software_keys(directories, &source).await?,
    };
    match jwe::select_key(&keys.encryption, encryption.alg) {
        Some(_) => Ok(()),
        None => Err(RegistrationError::metadata(
            "the client's keys hold no RSA encryption key (use enc) for its id_token_encrypted_response_alg (OIDC Core §10.2)",
        )
        .into()),
    }
}

/// The `iat` of a statement the registration already holds (verified when
/// it was accepted, and again by the caller).
fn statement_iat(statement: &str) -> Option<u64> {
    let claims = request::peek_claims(statement).ok()?;
    crate::protocol::jose::claims::numeric_date(&claims, "iat").ok()?
}

async fn first_use(
    op: &OpState,
    namespace: &str,
    jti: &str,
    until: u64,
    now: u64,
) -> Result<bool, OAuthError> {
    crate::oauth::replay::first_use(&op.services.repo, namespace, jti, until, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))
}

/// RFC 7591 §3: registers the admitted client under a new `client_id` and
/// answers RFC 7591 §3.2.1 client information.
pub async fn register(op: &OpState, admitted: Admitted) -> Result<Value, OAuthError> {
    let now = op.now();
    let client_id = loop {
        let id = uuid::Uuid::new_v4().to_string();
        if !op.services.clients.is_static(&id) {
            break id;
        }
    };
    let token = crate::oauth::secrets::new_secret()?;
    let record = RegisteredClient {
        client_id: client_id.clone(),
        metadata: admitted.metadata,
        directory: admitted.ssa.common.issuer.clone(),
        software_id: admitted.ssa.software_id.clone(),
        org_id: admitted.ssa.org_id.clone(),
        software_statement: admitted.statement,
        issued_at: now,
        updated_at: now,
        revision: 1,
        suspended: false,
        trusted_since: 0,
        revoked_certificates: admitted.revoked_certificates,
        transport_subject_dn: Some(admitted.transport_dn),
        descriptive_metadata: kept_metadata(&admitted.descriptive),
    };
    let one_per_software = admitted.one_per_software;
    let stored = op
        .services
        .repo
        .store()
        .run(|tx, _| {
            let (record, token) = (&record, &token);
            async move {
                // Open Finance Brasil DCR 1.0 §7.1: one registration per
                // software at a directory. Read in this transaction, so two
                // concurrent registrations of one software conflict and the
                // retry sees the other's (its own, after an unknown commit
                // outcome, is not another).
                if one_per_software
                    && ops::all_of_kind::<RegisteredClient>(&tx, now)
                        .await?
                        .iter()
                        .any(|f| is_other_registration(&f.payload, record))
                {
                    return Ok(false);
                }
                audit_trail::write_registered(&tx, record, token, now).await?;
                Ok(true)
            }
        })
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    if !stored {
        return Err(RegistrationError::metadata(
            "this software already has a registration here: update it through its registration_client_uri (RFC 7592 §2.2; Open Finance Brasil DCR 1.0 §7.1)",
        )
        .into());
    }
    audit(&record, "client registered");
    Ok(client_information(op, &record, &token))
}

/// Whether `existing` is another registration of `new`'s software at
/// `new`'s directory.
fn is_other_registration(existing: &RegisteredClient, new: &RegisteredClient) -> bool {
    existing.client_id != new.client_id
        && existing.directory == new.directory
        && existing.software_id == new.software_id
}

/// RFC 7591 §3.2.1 / RFC 7592 §3: the registered metadata plus
/// `client_id`, `client_id_issued_at`, `registration_access_token`,
/// `registration_client_uri` and the software statement as sent.
pub fn client_information(op: &OpState, record: &RegisteredClient, token: &str) -> Value {
    let mut body = match serde_json::to_value(&record.metadata) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    body.remove("scopes");
    // Keys by value are answered as the JWKS object; absent members are
    // left out, never `null` (RFC 7591 §3.2.1 echoes what is registered,
    // and a client sending it back must not be refused for a `null`).
    if let Some(Value::String(text)) = body.remove("jwks")
        && let Ok(jwks) = serde_json::from_str::<Value>(&text)
    {
        body.insert("jwks".into(), jwks);
    }
    // OIDC Registration §2 names, not the stored shape.
    if let Some(encryption) = record.metadata.id_token_encryption {
        body.extend(
            id_token_encryption::members(&encryption)
                .into_iter()
                .map(|(name, value)| (name.to_string(), value)),
        );
    }
    body.remove("id_token_encryption");
    // CIBA Core §4 names.
    if let Some(Value::Object(ciba)) = body.remove("ciba") {
        body.extend(ciba);
    }
    body.retain(|_, value| !value.is_null());
    if let Some(Ok(Value::Object(kept))) = record.descriptive_metadata.as_deref().map(serde_json::from_str) {
        body.extend(kept);
    }
    let extra = json!({
        "client_id": record.client_id,
        "client_id_issued_at": record.issued_at,
        "scope": record.metadata.scopes.join(" "),
        "grant_types": update::grant_types(
            &record.metadata.scopes,
            record
                .metadata
                .ciba
                .as_ref()
                .is_some_and(|c| c.backchannel_token_delivery_mode.uses_token_endpoint()),
        ),
        "response_types": update::response_types(),
        "software_id": record.software_id,
        "software_statement": record.software_statement,
        "registration_access_token": token,
        "registration_client_uri": op.config.endpoint_url(&registration_client_path(&record.client_id)),
    });
    if let Value::Object(extra) = extra {
        body.extend(extra);
    }
    // RFC 7592 §2.2: the client sends this back; an absent value is
    // omitted, never `null`.
    Value::Object(update::without_nulls(body))
}

/// The stored form of the kept RFC 7591 §2 members (`None` for none).
pub fn kept_metadata(descriptive: &Map<String, Value>) -> Option<String> {
    (!descriptive.is_empty()).then(|| Value::Object(descriptive.clone()).to_string())
}

/// The path of a client's RFC 7592 configuration endpoint.
pub fn registration_client_path(client_id: &str) -> String {
    format!(
        "{}{client_id}",
        crate::protocol::paths::REGISTRATION_CLIENT_PREFIX
    )
}

/// The audit line of a registration change: who, which software, never a
/// token or the statement.
pub fn audit(record: &RegisteredClient, what: &'static str) {
    tracing::info!(
        target: "fiducia::audit",
        client_id = %record.client_id,
        software_id = %record.software_id,
        org_id = %record.org_id,
        directory = %record.directory,
        auth_method = ?record.metadata.token_endpoint_auth_method,
        revision = record.revision,
        "{what}"
    );
}
