//! `fiducia demo payment --login-app`: the payment authorised at the
//! bank's own login-and-consent app (`sandbox::login_app`) instead of the
//! OP's pages. The sandbox's client `sandbox-fintech-app` is handed to
//! that app (its `interaction_app`); it is in the sandbox's config, so the
//! demo uses it as it stands (no software statement, no registration),
//! authenticating with the sample fintech's certificate
//! `pki/clients/sandbox-fintech.pem` (`tls_client_auth`, RFC 8705 §2.1) as
//! `scripts/sandbox-flow.sh` does.

use super::http::Web;
use super::onboarding::Registration;
use super::setup::Setup;
use crate::sandbox::LOGIN_APP_CLIENT_ID;
use anyhow::Context;
use std::path::Path;

/// The sample fintech's certificate the sandbox's static clients name.
const CERT: &str = "pki/clients/sandbox-fintech.pem";
/// Its key.
const KEY: &str = "pki/clients/sandbox-fintech.key";

/// The client of the data directory's config whose interactions go to the
/// login app, with `setup` switched to its certificate.
pub fn use_static_client(setup: &mut Setup, data: &Path) -> anyhow::Result<Registration> {
    let file = data.join("fiducia.toml");
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let config: toml::Value =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", file.display()))?;
    let entry = config
        .get("clients")
        .and_then(toml::Value::as_array)
        .and_then(|clients| {
            clients
                .iter()
                .find(|c| c.get("client_id").and_then(toml::Value::as_str) == Some(LOGIN_APP_CLIENT_ID))
        })
        .with_context(|| {
            format!(
                "{} has no client {LOGIN_APP_CLIENT_ID}: start the sandbox once to add it",
                file.display()
            )
        })?;
    let strings = |name: &str| -> Vec<String> {
        entry
            .get(name)
            .and_then(toml::Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let redirect_uri = strings("redirect_uris")
        .into_iter()
        .next()
        .context("the client has no redirect URI")?;
    let (cert, key) = (data.join(CERT), data.join(KEY));
    setup.fintech = Web::new(&setup.sandbox.ca, Some((&cert, &key)))?;
    setup.transport = (cert, key);
    Ok(Registration {
        client_id: LOGIN_APP_CLIENT_ID.to_string(),
        scopes: strings("scopes"),
        redirect_uri,
        access_token: String::new(),
    })
}
