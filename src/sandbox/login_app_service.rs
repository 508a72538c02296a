//! The sandbox's login-and-consent app (`login_app/`) on its own port
//! (8449, 127.0.0.1), with the sandbox CA's server certificate and its own
//! client certificate from the sandbox CA (`pki/clients/sandbox-login.pem`,
//! subject [`LOGIN_APP_SUBJECT_DN`]) for the OP's interaction API. The OP
//! knows it as the `[[resource_servers]]` entry [`LOGIN_APP_ID`] with an
//! `interaction_login_url`, and hands it the interactions of the client
//! [`LOGIN_APP_CLIENT_ID`] (`interaction_app`); every other sandbox client
//! keeps the built-in pages. Its customer table is the OP's seed
//! customers: username, password, `sub` (their `account_id`), TOTP secret.

use super::layout::SandboxLayout;
use super::login_app::{self, AppCustomer, LoginAppConfig, LoginAppServer, OpApiConfig};
use crate::config::ValidatedConfig;
use crate::pki::{self, CA_CERT_FILE, ClientCertSpec, SERVER_CERT_FILE, SERVER_KEY_FILE};
use crate::protocol::paths;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the app listens.
pub const SANDBOX_LOGIN_APP_LISTEN: &str = "127.0.0.1:8449";
/// Its id at the OP (`[[resource_servers]]`) and its certificate's CN.
pub const LOGIN_APP_ID: &str = "sandbox-login";
/// The subject of its client certificate.
pub const LOGIN_APP_SUBJECT_DN: &str = "CN=sandbox-login,OU=fiducia-sandbox-bank,O=Fiducia Sandbox Bank,C=GB";
/// The sandbox client whose interactions go to the app.
pub const LOGIN_APP_CLIENT_ID: &str = "sandbox-fintech-app";

/// The app's entries in the sandbox config (`config/sandbox.toml` holds
/// the same text; a data directory made before the app gets it appended).
pub(super) const LOGIN_APP_ENTRIES: &str = "
# The sandbox's login-and-consent app (`fiducia sandbox` runs it on 8449;
# the URL's port follows --login-app-listen): an interaction app, calling
# the interaction API with its certificate pki/clients/sandbox-login.pem.
[[resource_servers]]
id = \"sandbox-login\"
tls_client_auth_subject_dn = \"CN=sandbox-login,OU=fiducia-sandbox-bank,O=Fiducia Sandbox Bank,C=GB\"
interaction_login_url = \"https://localhost:8449/login\"

# The sample fintech again, as a second client whose customers sign in and
# consent at the bank's own app above instead of the built-in pages
# (`scripts/sandbox-flow.sh --client-id sandbox-fintech-app`).
[[clients]]
client_id = \"sandbox-fintech-app\"
client_name = \"Sandbox Fintech Ltd (bank app login)\"
redirect_uris = [\"https://localhost:8443/sandbox/callback\"]
token_endpoint_auth_method = \"tls_client_auth\"
tls_client_auth_subject_dn = \"CN=sandbox-fintech,OU=0015800001041RHAAY,O=Sandbox Fintech Ltd,C=GB\"
scopes = [\"openid\", \"profile\", \"email\", \"offline_access\", \"accounts\", \"payments\"]
authorization_details_types = [\"payment_initiation\", \"account_information\"]
interaction_app = \"sandbox-login\"
";

/// Adds the app's entries to a sandbox config made before the app existed.
pub fn ensure_in_config(config_file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_file)
        .with_context(|| format!("cannot read {}", config_file.display()))?;
    if !text.contains(&format!("id = \"{LOGIN_APP_ID}\"")) {
        tracing::info!(config = %config_file.display(), "adding the sandbox login app and its client");
        std::fs::write(config_file, format!("{text}{LOGIN_APP_ENTRIES}"))
            .with_context(|| format!("cannot write {}", config_file.display()))?;
    }
    Ok(())
}

/// The app's origin when it listens on `listen`.
pub fn login_app_url(listen: SocketAddr) -> String {
    format!("https://localhost:{}", listen.port())
}

/// Points the app's `interaction_login_url` at `listen` (the sandbox
/// config names port 8449).
pub fn point_at_login_app(config: &mut crate::config::Config, listen: SocketAddr) {
    for rs in &mut config.resource_servers {
        if rs.id == LOGIN_APP_ID
            && rs
                .interaction_login_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://localhost:"))
        {
            rs.interaction_login_url = Some(format!("{}{}", login_app_url(listen), login_app::LOGIN_PATH));
        }
    }
}

/// Issues the app's client certificate from the sandbox CA once; its paths.
fn certificate(pki_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let clients = pki_dir.join(pki::CLIENTS_DIR);
    let (cert, key) = (
        clients.join(format!("{LOGIN_APP_ID}.pem")),
        clients.join(format!("{LOGIN_APP_ID}.key")),
    );
    if !cert.exists() {
        pki::issue_client(
            pki_dir,
            &ClientCertSpec {
                software_id: LOGIN_APP_ID.into(),
                org_id: "fiducia-sandbox-bank".into(),
                org_name: "Fiducia Sandbox Bank".into(),
                country: "GB".into(),
                organization_identifier: None,
                uid: None,
            },
        )?;
    }
    Ok((cert, key))
}

/// The app's settings for the OP `config`, its files under `pki_dir`.
pub fn app_config(
    config: &ValidatedConfig,
    pki_dir: &Path,
    listen: SocketAddr,
) -> anyhow::Result<LoginAppConfig> {
    let (client_cert, client_key) = certificate(pki_dir)?;
    let url = |path: &str| {
        config
            .mtls_endpoint_url(path)
            .unwrap_or_else(|| config.endpoint_url(path))
    };
    let customers = config
        .get()
        .login
        .seed_users
        .iter()
        .map(|u| {
            let totp_secret = match &u.totp_secret {
                Some(secret) => Some(
                    crate::protocol::totp::base32_decode(secret.expose())
                        .with_context(|| format!("the TOTP secret of {} is not base32", u.username))?,
                ),
                None => None,
            };
            Ok(AppCustomer {
                username: u.username.clone(),
                password: u.password.expose().to_string(),
                sub: u.account_id.clone(),
                name: u.name.clone(),
                totp_secret,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(LoginAppConfig {
        listen,
        cert: pki_dir.join(SERVER_CERT_FILE),
        key: pki_dir.join(SERVER_KEY_FILE),
        op: OpApiConfig {
            read: url(paths::INTERACTION_API_READ),
            login: url(paths::INTERACTION_API_LOGIN),
            consent: url(paths::INTERACTION_API_CONSENT),
            abandon: url(paths::INTERACTION_API_ABANDON),
            client_cert,
            client_key,
            ca: vec![pki_dir.join(CA_CERT_FILE)],
            timeout_ms: 5000,
        },
        op_issuer: config.issuer().to_string(),
        customers,
        session_ttl_secs: 600,
        max_sessions: 10_000,
        max_failures: 5,
    })
}

/// Issues the app's certificate (once) and starts the app on `listen`.
pub async fn start_login_app(
    layout: &SandboxLayout,
    config: &ValidatedConfig,
    listen: SocketAddr,
) -> anyhow::Result<LoginAppServer> {
    let pki_dir = std::path::absolute(layout.data_dir.join("pki"))?;
    login_app::start(app_config(config, &pki_dir, listen)?).await
}

/// The banner line of the app listening on `addr`.
pub fn login_app_banner(addr: SocketAddr) -> String {
    format!(
        "  login app:     {url}{path} (the bank's own login and consent, via the interaction API as {LOGIN_APP_ID}; client {LOGIN_APP_CLIENT_ID} goes there, every other client to the built-in pages)",
        url = login_app_url(addr),
        path = login_app::LOGIN_PATH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_runs_one_client_through_the_app_and_the_rest_built_in() {
        assert!(
            super::super::layout::SANDBOX_TOML.contains(LOGIN_APP_ENTRIES.trim_start()),
            "config/sandbox.toml holds the app's entries"
        );
        let mut raw = crate::config::load_from_str(super::super::layout::SANDBOX_TOML, Vec::new()).unwrap();
        point_at_login_app(&mut raw, "127.0.0.1:18449".parse().unwrap());
        let validated = crate::config::validate(raw, Path::new(".")).unwrap();
        let config = validated.get();
        let servers = &config.resource_servers;
        let app = crate::oauth::interaction_app::for_client(config, servers, LOGIN_APP_CLIENT_ID).unwrap();
        assert_eq!(app.id, LOGIN_APP_ID);
        assert_eq!(
            app.interaction_login_url.as_deref(),
            Some("https://localhost:18449/login")
        );
        assert_eq!(app.tls_client_auth_subject_dn, LOGIN_APP_SUBJECT_DN);
        assert!(crate::oauth::interaction_app::for_client(config, servers, "sandbox-fintech").is_none());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fiducia.toml");
        std::fs::write(&file, "[server]\n").unwrap();
        ensure_in_config(&file).unwrap();
        ensure_in_config(&file).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.matches("[[resource_servers]]").count(), 1, "appended once");
    }
}
