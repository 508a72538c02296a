//! The sandbox's regulatory directory: `<data>/directory`, sharing the sandbox CA
//! (`<data>/pki`) so the OP trusts the transport certificates it issues and clients that
//! trust the sandbox CA trust the directory's TLS, on its own port (8445, the OP has 8443
//! and its mTLS alias 8444), with the sample organisation and software registered.

use super::layout::{SAMPLE_ORG_ID, SAMPLE_SOFTWARE_ID, SandboxLayout};
use crate::clock::{Clock, SystemClock};
use crate::directory::server::{self, DirectoryServer};
use crate::directory::{Directory, DirectoryOptions, NewOrganisation, NewSoftware, state::Profile};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Where the sandbox directory listens.
pub const SANDBOX_DIRECTORY_LISTEN: &str = "127.0.0.1:8445";
/// The sample software's redirect URI (the OP's sandbox callback page).
pub const SAMPLE_REDIRECT_URI: &str = "https://localhost:8443/sandbox/callback";

/// Points the OP's `[[registration.trusted_directories]]` entry for the
/// sandbox directory (its default issuer, `https://localhost:8445` in
/// `config/sandbox.toml`) at `public_url`: its JWKS, status and revocation
/// endpoints follow `--directory-listen`.
pub fn point_at_directory(config: &mut crate::config::Config, public_url: &str) {
    let base = crate::directory::DEFAULT_PUBLIC_URL;
    for d in &mut config.registration.trusted_directories {
        if d.issuer != crate::directory::DEFAULT_ISSUER {
            continue;
        }
        for url in [
            d.jwks_uri.as_mut(),
            d.status_endpoint.as_mut(),
            d.revocation_endpoint.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(rest) = url.strip_prefix(base) {
                *url = format!("{}{rest}", public_url.trim_end_matches('/'));
            }
        }
    }
}

/// The sandbox directory's public URL when it listens on `listen`.
pub fn directory_url(listen: SocketAddr) -> String {
    format!("https://localhost:{}", listen.port())
}

/// A running sandbox directory.
pub struct SandboxDirectory {
    /// The directory.
    pub directory: Arc<Directory>,
    /// Its server.
    pub server: DirectoryServer,
}

/// Opens the sandbox directory in `data_dir/directory` with the sandbox CA, reached at
/// `public_url`, and registers the sample organisation and software once.
pub fn prepare_directory(data_dir: &Path, ca_dir: &Path, public_url: &str) -> anyhow::Result<Directory> {
    let directory = Directory::open(
        &data_dir.join("directory"),
        &DirectoryOptions {
            public_url: Some(public_url.into()),
            ca_dir: Some(std::path::absolute(ca_dir)?),
            ..DirectoryOptions::default()
        },
    )?;
    let now = SystemClock.now_unix();
    let state = directory.state()?;
    if !state.organisations.contains_key(SAMPLE_ORG_ID) {
        directory.add_organisation(
            NewOrganisation {
                org_id: Some(SAMPLE_ORG_ID.into()),
                org_name: "Sandbox Fintech Ltd".into(),
                country: Some("GB".into()),
                profile: Profile::Uk,
            },
            now,
        )?;
    }
    if !state.software.contains_key(SAMPLE_SOFTWARE_ID) {
        directory.add_software(
            NewSoftware {
                org_id: SAMPLE_ORG_ID.into(),
                software_id: Some(SAMPLE_SOFTWARE_ID.into()),
                client_name: "Sandbox Fintech".into(),
                redirect_uris: vec![SAMPLE_REDIRECT_URI.into()],
                roles: vec!["AISP".into(), "PISP".into()],
            },
            now,
        )?;
    }
    Ok(directory)
}

/// Starts the sandbox directory on `listen` (URLs `https://localhost:<port>`) with the
/// sandbox's CA ([`super::prepare`] made it).
pub async fn start_directory(layout: &SandboxLayout, listen: SocketAddr) -> anyhow::Result<SandboxDirectory> {
    let public_url = directory_url(listen);
    let directory = Arc::new(prepare_directory(
        &layout.data_dir,
        &layout.data_dir.join("pki"),
        &public_url,
    )?);
    let server = server::start(directory.clone(), listen).await?;
    Ok(SandboxDirectory { directory, server })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_config_trusts_its_directory_where_it_listens() {
        let mut config =
            crate::config::load_from_str(crate::sandbox::layout::SANDBOX_TOML, Vec::new()).unwrap();
        let listen: SocketAddr = "127.0.0.1:18445".parse().unwrap();
        point_at_directory(&mut config, &directory_url(listen));
        let r = &config.registration;
        assert!(r.enabled && r.danger_allow_localhost_redirects);
        let d = &r.trusted_directories[0];
        assert_eq!(d.issuer, crate::directory::DEFAULT_ISSUER);
        assert_eq!(d.jwks_uri.as_deref(), Some("https://localhost:18445/jwks"));
        assert_eq!(
            d.status_endpoint.as_deref(),
            Some("https://localhost:18445/software/{software_id}/status")
        );
        assert_eq!(
            d.revocation_endpoint.as_deref(),
            Some("https://localhost:18445/software/{software_id}/revoked-certificates")
        );
    }
}
