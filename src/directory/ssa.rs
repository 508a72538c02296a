//! Software statement assertions (SSAs): the claims and their signature.
//!
//! An SSA is a JWS (RFC 7515) signed by the directory with PS256 whose header names the
//! directory key (`kid`, the RFC 7638 thumbprint published in the directory JWKS) and whose
//! claims are the software statement of RFC 7591 §2.3 in the UK Open Banking vocabulary
//! (OBIE Directory, SSA claims): `iss`, `iat`, `exp`, `jti` (a UUID, unique per SSA),
//! `software_id`, `software_client_id`, `software_client_name`, `software_redirect_uris`,
//! `software_roles`, `software_jwks_endpoint`, `software_status`, `org_id`, `org_name`,
//! `org_status`. SSAs are short-lived (`exp` = `iat` + the configured lifetime, 10 minutes
//! by default, as Australia's CDR Register issues them), so an OP's freshness check and the
//! directory's status both hold.

use super::DirectoryError;
use super::state::{Organisation, Settings, Software, Status};
use fiducia_hsm::{Signer, sign_jws};
use serde::{Deserialize, Serialize};

/// The `typ` of an SSA's header.
pub const SSA_TYP: &str = "JWT";

/// The claims of one SSA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsaClaims {
    /// The directory's issuer id.
    pub iss: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expiry (Unix seconds).
    pub exp: u64,
    /// A UUID, unique per SSA.
    pub jti: String,
    /// The software statement id.
    pub software_id: String,
    /// The client id the software asks for (UK: equal to `software_id`).
    pub software_client_id: String,
    /// The software's display name.
    pub software_client_name: String,
    /// The redirect URIs a registration may use (a subset of them).
    pub software_redirect_uris: Vec<String>,
    /// The roles the regulator granted (e.g. AISP, PISP, CBPII).
    pub software_roles: Vec<String>,
    /// The software's JWKS at the directory.
    pub software_jwks_endpoint: String,
    /// `Active` or `Revoked`.
    pub software_status: Status,
    /// The organisation's id.
    pub org_id: String,
    /// The organisation's name.
    pub org_name: String,
    /// `Active` or `Revoked`.
    pub org_status: Status,
}

/// Whether `org` and `software` may have an SSA: both must be Active.
pub fn check_active(org: &Organisation, software: &Software) -> Result<(), DirectoryError> {
    if org.status != Status::Active {
        return Err(DirectoryError::Inactive(format!(
            "organisation {} is {}",
            org.org_id,
            org.status.as_str()
        )));
    }
    if software.status != Status::Active {
        return Err(DirectoryError::Inactive(format!(
            "software {} is {}",
            software.software_id,
            software.status.as_str()
        )));
    }
    Ok(())
}

/// The URL of a software's JWKS at the directory.
pub fn software_jwks_url(settings: &Settings, software_id: &str) -> String {
    format!(
        "{}/software/{software_id}/jwks",
        settings.public_url.trim_end_matches('/')
    )
}

/// The claims of a new SSA for an Active `software` of `org` at `now` with id `jti`.
pub fn ssa_claims(
    settings: &Settings,
    org: &Organisation,
    software: &Software,
    now: u64,
    jti: String,
) -> Result<SsaClaims, DirectoryError> {
    check_active(org, software)?;
    Ok(SsaClaims {
        iss: settings.issuer.clone(),
        iat: now,
        exp: now.saturating_add(settings.ssa_ttl_secs),
        jti,
        software_id: software.software_id.clone(),
        software_client_id: software.software_id.clone(),
        software_client_name: software.client_name.clone(),
        software_redirect_uris: software.redirect_uris.clone(),
        software_roles: software.roles.clone(),
        software_jwks_endpoint: software_jwks_url(settings, &software.software_id),
        software_status: software.status,
        org_id: org.org_id.clone(),
        org_name: org.org_name.clone(),
        org_status: org.status,
    })
}

/// Signs `claims` as a compact JWS with the directory key (`alg` and `kid` from the signer,
/// `typ: JWT`).
pub async fn sign_ssa(signer: &dyn Signer, claims: &SsaClaims) -> Result<String, DirectoryError> {
    let payload = serde_json::to_vec(claims)
        .map_err(|e| DirectoryError::Internal(format!("SSA encoding failed: {e}")))?;
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), SSA_TYP.into());
    sign_jws(signer, header, &payload)
        .await
        .map_err(|e| DirectoryError::Internal(format!("SSA signing failed: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::directory::state::Profile;

    fn fixtures() -> (Settings, Organisation, Software) {
        let settings = Settings {
            issuer: "Fiducia Sandbox Directory".into(),
            public_url: "https://localhost:8445/".into(),
            ssa_ttl_secs: 600,
            ca_dir: "pki".into(),
        };
        let org = Organisation {
            org_id: "org-1".into(),
            org_name: "Acme Ltd".into(),
            country: "GB".into(),
            profile: Profile::Uk,
            status: Status::Active,
            created_at: 0,
        };
        let software = Software {
            software_id: "sw-1".into(),
            org_id: "org-1".into(),
            client_name: "Acme App".into(),
            redirect_uris: vec!["https://acme.example/cb".into()],
            roles: vec!["AISP".into(), "PISP".into()],
            status: Status::Active,
            signing_jwk: serde_json::json!({}),
            transport_jwk: serde_json::json!({}),
            transport_x5t_s256: String::new(),
            created_at: 0,
            revoked_certificates: Vec::new(),
        };
        (settings, org, software)
    }

    #[test]
    fn claims_carry_the_uk_ssa_members_and_a_short_lifetime() {
        let (settings, org, software) = fixtures();
        let claims = ssa_claims(&settings, &org, &software, 1_000, "j".into()).unwrap();
        assert_eq!(claims.exp, 1_600);
        assert_eq!(
            claims.software_jwks_endpoint,
            "https://localhost:8445/software/sw-1/jwks"
        );
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(json["org_status"], "Active");
        assert_eq!(json["software_roles"], serde_json::json!(["AISP", "PISP"]));
    }

    #[test]
    fn revoked_software_or_organisation_gets_no_ssa() {
        let (settings, mut org, mut software) = fixtures();
        software.status = Status::Revoked;
        assert!(matches!(
            ssa_claims(&settings, &org, &software, 0, "j".into()),
            Err(DirectoryError::Inactive(_))
        ));
        software.status = Status::Active;
        org.status = Status::Revoked;
        assert!(matches!(
            ssa_claims(&settings, &org, &software, 0, "j".into()),
            Err(DirectoryError::Inactive(_))
        ));
    }
}
