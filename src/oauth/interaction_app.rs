//! Handing an interaction to the bank's own login and consent app (an
//! interaction app: a `[[resource_servers]]` entry with an
//! `interaction_login_url`, `config/interaction_apps.rs`): which app runs
//! a client's interactions, the URL the browser is sent to, the cookie
//! that binds the interaction to that browser, and the app's
//! authentication at the interaction API.
//!
//! The app authenticates as every resource server does
//! (`oauth::resource_server`: a certificate that chains to
//! `tls.client_ca` with the configured subject DN, RFC 8705 §2.1); here it
//! is found by its certificate alone, since the API's bodies are JSON
//! without a `client_id`, and only an entry with an `interaction_login_url`
//! may call it.

use crate::config::{Config, ResourceServerConfig};
use crate::oauth::caller::Caller;
use crate::protocol::client_auth::subject_dn_matches;

/// The cookie that binds an app's interaction to the browser sent to the
/// app: `__Host-` prefixed, so Secure, Path=/ and no Domain (RFC 6265bis
/// §4.1.3.2), and set HttpOnly, SameSite=Lax (`http::browser::set_cookie`).
/// It holds 256 random bits; the interaction keeps only its SHA-256.
pub const BROWSER_COOKIE: &str = "__Host-fiducia-interaction";

/// The query parameter of the login URL that carries the interaction id.
pub const ID_PARAM: &str = "interaction_id";

/// The interaction app that runs `client_id`'s interactions: the static
/// client's `interaction_app` (`"built-in"`: none), else `[login]
/// interaction_app`; `None`: the built-in pages.
pub fn for_client<'a>(
    config: &Config,
    servers: &'a [ResourceServerConfig],
    client_id: &str,
) -> Option<&'a ResourceServerConfig> {
    let own = config
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
        .and_then(|c| c.interaction_app.as_deref());
    let app = match own {
        Some(crate::config::BUILT_IN_INTERACTION) => return None,
        Some(app) => app,
        None => config.login.interaction_app.as_deref()?,
    };
    servers
        .iter()
        .find(|rs| rs.id == app && rs.interaction_login_url.is_some())
}

/// Where the browser is sent: the app's login URL with the interaction id
/// added to its query.
pub fn login_url(app: &ResourceServerConfig, id: &str) -> String {
    let base = app.interaction_login_url.as_deref().unwrap_or_default();
    crate::protocol::form::with_query(base, &[(ID_PARAM, id)])
}

/// Why a caller of the interaction API is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRefusal {
    /// No certificate, or one that does not chain to `tls.client_ca`.
    NoCertificate,
    /// The certificate is no interaction app's.
    NotAnApp,
}

/// The interaction app whose certificate the caller presented (RFC 8705
/// §2.1: chain to `tls.client_ca`, subject DN by RFC 4517
/// distinguishedNameMatch). A resource server without an
/// `interaction_login_url` (the API gateway) is [`AppRefusal::NotAnApp`].
pub fn authenticate<'a>(
    servers: &'a [ResourceServerConfig],
    caller: &Caller,
) -> Result<&'a ResourceServerConfig, AppRefusal> {
    let cert = caller.client_cert.as_ref().ok_or(AppRefusal::NoCertificate)?;
    if !cert.chain_verified() {
        return Err(AppRefusal::NoCertificate);
    }
    let found = servers
        .iter()
        .filter(|rs| rs.interaction_login_url.is_some())
        .find(|rs| subject_dn_matches(&rs.tls_client_auth_subject_dn, cert.leaf()).unwrap_or(false));
    match found {
        Some(app) => Ok(app),
        None => {
            tracing::warn!(target: "fiducia::audit", "interaction API call without an interaction app's certificate");
            Err(AppRefusal::NotAnApp)
        }
    }
}

/// The interaction apps' request budgets on this node, one token bucket
/// per app (`interaction_requests_per_second`, `interaction_burst`), as
/// each client has one for PAR and the token endpoint.
#[derive(Debug, Default)]
pub struct AppBudgets {
    buckets: std::sync::Mutex<std::collections::HashMap<String, crate::actors::token_bucket::TokenBucket>>,
}

impl AppBudgets {
    /// Takes one request of `app`'s budget at `now`, or says when to retry.
    pub fn take(
        &self,
        app: &ResourceServerConfig,
        now: std::time::Instant,
    ) -> Result<(), crate::actors::token_bucket::RateLimited> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets
            .entry(app.id.clone())
            .or_insert_with(|| {
                crate::actors::token_bucket::TokenBucket::new(
                    app.interaction_requests_per_second,
                    app.interaction_burst,
                    now,
                )
            })
            .take(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An app past its burst waits for the rate (RFC 6585 §4: 429 with
    /// `Retry-After`); another app's budget is its own.
    #[test]
    fn each_app_has_its_own_budget() {
        let app = |id: &str| ResourceServerConfig {
            id: id.into(),
            tls_client_auth_subject_dn: format!("CN={id}"),
            interaction_login_url: Some("https://login.example/".into()),
            interaction_requests_per_second: 1,
            interaction_burst: 2,
            jwks_file: None,
            jwks_uri: None,
            revocation_notice_url: None,
        };
        let (a, b) = (app("a"), app("b"));
        let budgets = AppBudgets::default();
        let now = std::time::Instant::now();
        assert!(budgets.take(&a, now).is_ok() && budgets.take(&a, now).is_ok());
        assert_eq!(
            budgets.take(&a, now),
            Err(crate::actors::token_bucket::RateLimited(1))
        );
        assert!(budgets.take(&b, now).is_ok());
        assert!(budgets.take(&a, now + std::time::Duration::from_secs(1)).is_ok());
    }
}
