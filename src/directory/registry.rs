//! Changes to the directory: organisations, software, statuses and SSAs. Each is one
//! locked read-modify-write of the state and writes one audit line (target
//! `fiducia::audit`); no key material is ever logged.

use super::credentials;
use super::ssa::{self, SsaClaims};
use super::state::{
    DirectoryState, IssuedSsa, Organisation, Profile, RevokedCertificate, Software, StateLock, Status,
};
use super::{Directory, DirectoryError};

/// An organisation to add.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    /// `org_id`; a new UUID when `None`.
    pub org_id: Option<String>,
    /// `org_name`.
    pub org_name: String,
    /// Country (C); `GB` for the UK profile and `BR` for Brazil when `None`.
    pub country: Option<String>,
    /// Certificate subject profile.
    pub profile: Profile,
}

/// A software statement to add.
#[derive(Debug, Clone)]
pub struct NewSoftware {
    /// Its organisation.
    pub org_id: String,
    /// `software_id`; a new UUID when `None`.
    pub software_id: Option<String>,
    /// `software_client_name`.
    pub client_name: String,
    /// `software_redirect_uris` (https).
    pub redirect_uris: Vec<String>,
    /// `software_roles`.
    pub roles: Vec<String>,
}

/// What a status change applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An organisation (and so all its software).
    Organisation(String),
    /// One software statement.
    Software(String),
}

impl Directory {
    fn update<T>(
        &self,
        change: impl FnOnce(&mut DirectoryState) -> Result<T, DirectoryError>,
    ) -> Result<T, DirectoryError> {
        let _lock = StateLock::acquire(&self.data_dir)?;
        let mut state = DirectoryState::load(&self.data_dir)?
            .ok_or_else(|| DirectoryError::Internal("the directory state file disappeared".into()))?;
        let out = change(&mut state)?;
        state.save(&self.data_dir)?;
        Ok(out)
    }

    /// Adds an organisation (Active).
    pub fn add_organisation(&self, new: NewOrganisation, now: u64) -> Result<Organisation, DirectoryError> {
        let org_id = new.org_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        check_id("org_id", &org_id)?;
        let country = new.country.unwrap_or_else(|| match new.profile {
            Profile::Uk => "GB".into(),
            Profile::Brazil => "BR".into(),
        });
        let org = Organisation {
            org_id: org_id.clone(),
            org_name: new.org_name,
            country: country.to_ascii_uppercase(),
            profile: new.profile,
            status: Status::Active,
            created_at: now,
        };
        // The certificate subject is checked now, not when the first software arrives.
        credentials::certificate_subject(&org, "check")
            .validate()
            .map_err(|e| DirectoryError::Invalid(e.to_string()))?;
        self.update(|state| {
            if state.organisations.contains_key(&org_id) {
                return Err(DirectoryError::Invalid(format!(
                    "organisation {org_id:?} already exists"
                )));
            }
            state.organisations.insert(org_id.clone(), org.clone());
            Ok(())
        })?;
        tracing::info!(target: "fiducia::audit", operation = "org.add", org_id = %org.org_id, org_name = %org.org_name, profile = ?org.profile, at = now, "organisation added");
        Ok(org)
    }

    /// Adds a software statement (Active) and issues its transport and signing
    /// certificates and keys into its folder.
    pub fn add_software(&self, new: NewSoftware, now: u64) -> Result<Software, DirectoryError> {
        let software_id = new
            .software_id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        check_id("software_id", &software_id)?;
        if new.redirect_uris.is_empty() || new.redirect_uris.iter().any(|u| !u.starts_with("https://")) {
            return Err(DirectoryError::Invalid(
                "a software needs at least one redirect URI, each an https URL".into(),
            ));
        }
        if new.roles.is_empty()
            || new
                .roles
                .iter()
                .any(|r| r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(DirectoryError::Invalid(
                "a software needs at least one role (letters, digits, '_'), e.g. AISP, PISP".into(),
            ));
        }
        let state = self.state()?;
        let org = state
            .organisations
            .get(&new.org_id)
            .ok_or_else(|| DirectoryError::UnknownOrganisation(new.org_id.clone()))?;
        if state.software.contains_key(&software_id) || self.software_dir(&software_id).exists() {
            return Err(DirectoryError::Invalid(format!(
                "software {software_id:?} already exists"
            )));
        }
        let issued = credentials::issue(
            &state.settings.ca_dir,
            &self.software_dir(&software_id),
            org,
            &software_id,
        )?;
        let software = Software {
            software_id: software_id.clone(),
            org_id: new.org_id,
            client_name: new.client_name,
            redirect_uris: new.redirect_uris,
            roles: new.roles,
            status: Status::Active,
            signing_jwk: issued.signing_jwk,
            transport_jwk: issued.transport_jwk,
            transport_x5t_s256: issued.transport_x5t_s256,
            created_at: now,
            revoked_certificates: Vec::new(),
        };
        self.update(|state| {
            if state.software.contains_key(&software_id) {
                return Err(DirectoryError::Invalid(format!(
                    "software {software_id:?} already exists"
                )));
            }
            state.software.insert(software_id.clone(), software.clone());
            Ok(())
        })?;
        tracing::info!(target: "fiducia::audit", operation = "software.add", software_id = %software.software_id, org_id = %software.org_id, roles = ?software.roles, at = now, "software added; certificates issued");
        Ok(software)
    }

    /// Revokes or reinstates an organisation or a software.
    pub fn set_status(&self, target: &Target, status: Status, now: u64) -> Result<(), DirectoryError> {
        self.update(|state| {
            let slot = match target {
                Target::Organisation(id) => state
                    .organisations
                    .get_mut(id)
                    .map(|o| &mut o.status)
                    .ok_or_else(|| DirectoryError::UnknownOrganisation(id.clone()))?,
                Target::Software(id) => state
                    .software
                    .get_mut(id)
                    .map(|s| &mut s.status)
                    .ok_or_else(|| DirectoryError::UnknownSoftware(id.clone()))?,
            };
            *slot = status;
            Ok(())
        })?;
        tracing::info!(target: "fiducia::audit", operation = "status.set", target = ?target, status = status.as_str(), at = now, "status changed");
        Ok(())
    }

    /// Revokes a transport certificate of `software_id`: the one with
    /// `x5t_s256`, or its current one. It is then listed at
    /// `/software/{software_id}/revoked-certificates` and refused at the SSA
    /// endpoint; revoking it again changes nothing.
    pub fn revoke_certificate(
        &self,
        software_id: &str,
        x5t_s256: Option<&str>,
        now: u64,
    ) -> Result<RevokedCertificate, DirectoryError> {
        let revoked = self.update(|state| {
            let software = state
                .software
                .get_mut(software_id)
                .ok_or_else(|| DirectoryError::UnknownSoftware(software_id.to_owned()))?;
            let x5t = x5t_s256.unwrap_or(&software.transport_x5t_s256).to_owned();
            if let Some(done) = software.revoked_certificates.iter().find(|r| r.x5t_s256 == x5t) {
                return Ok(done.clone());
            }
            let revoked = RevokedCertificate {
                x5t_s256: x5t,
                revoked_at: now,
            };
            software.revoked_certificates.push(revoked.clone());
            Ok(revoked)
        })?;
        tracing::info!(target: "fiducia::audit", operation = "certificate.revoke", software_id, x5t_s256 = %revoked.x5t_s256, at = now, "transport certificate revoked");
        Ok(revoked)
    }

    /// Issues `software_id` a new transport certificate (the files in its
    /// folder replaced, its JWKS updated, the SSA endpoint now wanting it);
    /// the previous one is not revoked by this. Returns its `x5t#S256`.
    pub fn renew_certificate(&self, software_id: &str, now: u64) -> Result<String, DirectoryError> {
        let state = self.state()?;
        let software = state
            .software
            .get(software_id)
            .ok_or_else(|| DirectoryError::UnknownSoftware(software_id.to_owned()))?;
        let org = state
            .organisations
            .get(&software.org_id)
            .ok_or_else(|| DirectoryError::UnknownOrganisation(software.org_id.clone()))?;
        let (jwk, x5t) = credentials::renew_transport(
            &state.settings.ca_dir,
            &self.software_dir(software_id),
            org,
            software_id,
        )?;
        self.update(|state| {
            let software = state
                .software
                .get_mut(software_id)
                .ok_or_else(|| DirectoryError::UnknownSoftware(software_id.to_owned()))?;
            software.transport_jwk = jwk;
            software.transport_x5t_s256 = x5t.clone();
            Ok(())
        })?;
        tracing::info!(target: "fiducia::audit", operation = "certificate.renew", software_id, x5t_s256 = %x5t, at = now, "transport certificate renewed");
        Ok(x5t)
    }

    /// Signs a fresh SSA for `software_id` at `now` and records its `jti`. With
    /// `certificate` (the `x5t#S256` of the caller's transport certificate) the caller must
    /// be that software; without it the operator asks (`fiducia directory ssa`).
    pub async fn issue_ssa(
        &self,
        software_id: &str,
        certificate: Option<&str>,
        now: u64,
    ) -> Result<(String, SsaClaims), DirectoryError> {
        let claims = self.prepare_ssa(software_id, certificate, now)?;
        self.sign_ssa(claims).await
    }

    /// The blocking half of [`Directory::issue_ssa`]: checks the caller and the statuses,
    /// builds the claims and records the `jti` (expired records are dropped).
    pub fn prepare_ssa(
        &self,
        software_id: &str,
        certificate: Option<&str>,
        now: u64,
    ) -> Result<SsaClaims, DirectoryError> {
        self.update(|state| {
            let software = state
                .software
                .get(software_id)
                .ok_or_else(|| DirectoryError::UnknownSoftware(software_id.to_owned()))?;
            if certificate.is_some_and(|x5t| x5t != software.transport_x5t_s256 || software.is_revoked(x5t)) {
                return Err(DirectoryError::WrongCertificate(software_id.to_owned()));
            }
            let org = state
                .organisations
                .get(&software.org_id)
                .ok_or_else(|| DirectoryError::UnknownOrganisation(software.org_id.clone()))?;
            // A UUID v4 collides with nothing in practice; the recorded ones are checked anyway.
            let mut jti = uuid::Uuid::new_v4().to_string();
            while state.issued.iter().any(|issued| issued.jti == jti) {
                jti = uuid::Uuid::new_v4().to_string();
            }
            let claims = ssa::ssa_claims(&state.settings, org, software, now, jti)?;
            state.issued.retain(|issued| issued.exp > now);
            state.issued.push(IssuedSsa {
                jti: claims.jti.clone(),
                software_id: claims.software_id.clone(),
                iat: claims.iat,
                exp: claims.exp,
            });
            Ok(claims)
        })
    }

    /// The signing half of [`Directory::issue_ssa`].
    pub async fn sign_ssa(&self, claims: SsaClaims) -> Result<(String, SsaClaims), DirectoryError> {
        let jws = ssa::sign_ssa(self.signer.as_ref(), &claims).await?;
        tracing::info!(target: "fiducia::audit", operation = "ssa.issue", software_id = %claims.software_id, jti = %claims.jti, exp = claims.exp, at = claims.iat, "SSA issued");
        Ok((jws, claims))
    }
}

/// Ids appear in URLs and folder names: 1 to 64 of letters, digits, '-', '_', '.', not
/// starting with '.'.
fn check_id(field: &str, id: &str) -> Result<(), DirectoryError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    match ok {
        true => Ok(()),
        false => Err(DirectoryError::Invalid(format!(
            "{field} {id:?}: 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'"
        ))),
    }
}
