//! Named start-up cross-checks (STYLE.md §11). Each check looks at the whole
//! config and refuses a combination that cannot work or that the chosen
//! profile forbids; the first failure stops start-up with one line.

use super::load::ConfigError;
use super::{Config, FapiProfile, SenderConstraint};
use std::path::Path;

/// A configuration that passed every check, with relative paths resolved and
/// the issuer split into what the router and metadata need.
#[derive(Debug, Clone)]
pub struct ValidatedConfig {
    config: Config,
    issuer: String,
    issuer_path: String,
    mtls_base_url: Option<String>,
}

impl ValidatedConfig {
    /// The checked configuration (paths absolute or relative to the working
    /// directory).
    pub fn get(&self) -> &Config {
        &self.config
    }

    /// The issuer identifier without a trailing slash.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Path component of the issuer (`""` or `/op`); routes live under it.
    pub fn issuer_path(&self) -> &str {
        &self.issuer_path
    }

    /// Absolute URL of an endpoint on the main listener (`path` starts with `/`).
    pub fn endpoint_url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// The same over `config`: the file with the sections an operator
    /// changed live (`oauth/live_sections`), already checked as at
    /// start-up. The issuer and the listeners' URLs stay the file's, which
    /// no live section changes.
    pub fn with_config(&self, config: Config) -> Self {
        Self {
            config,
            ..self.clone()
        }
    }

    /// Absolute URL of an endpoint on the mTLS alias listener, if configured.
    pub fn mtls_endpoint_url(&self, path: &str) -> Option<String> {
        self.mtls_base_url
            .as_ref()
            .map(|base| format!("{base}{}{path}", self.issuer_path))
    }
}

type Check = fn(&Config) -> Result<(), ConfigError>;

/// The checks, in the order they run.
const CHECKS: &[Check] = &[
    check_issuer_url,
    check_fapi_profile,
    check_sender_constraints,
    check_mtls_aliases,
    check_limits,
    check_tls_files,
    check_signing,
    check_clients,
    super::resource_servers::check_resource_servers,
    super::interaction_apps::check_interaction_apps,
    check_access_token_audience,
    check_refresh_tokens,
    check_store,
    check_login,
    super::registration::check_registration,
    super::consents::check_consents,
    super::ciba::check_ciba,
    super::audit::check_audit,
    super::config_api::check_config_api,
];

/// Resolves relative paths against `base_dir`, runs every named check and
/// returns the validated config or the first failure.
pub fn validate(mut config: Config, base_dir: &Path) -> Result<ValidatedConfig, ConfigError> {
    resolve_paths(&mut config, base_dir);
    for check in CHECKS {
        check(&config)?;
    }
    let issuer = config.server.issuer.trim_end_matches('/').to_string();
    let issuer_path = issuer_path_of(&issuer);
    let mtls_base_url = config
        .server
        .mtls_base_url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_string());
    Ok(ValidatedConfig {
        config,
        issuer,
        issuer_path,
        mtls_base_url,
    })
}

/// Every named check's failure on `config` (paths already resolved), in
/// check order, one per check: what a live change of a section
/// (`oauth/live_sections`) is refused for, with the messages start-up
/// gives.
pub fn problems(config: &Config) -> Vec<ConfigError> {
    CHECKS.iter().filter_map(|check| check(config).err()).collect()
}

fn resolve_paths(config: &mut Config, base: &Path) {
    let join = |p: &mut std::path::PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    join(&mut config.tls.cert);
    join(&mut config.tls.key);
    config.tls.client_ca.iter_mut().for_each(join);
    for client in &mut config.clients {
        if let Some(p) = client.jwks_file.as_mut() {
            join(p);
        }
    }
    for p in [
        &mut config.signing.software_key_file,
        &mut config.signing.pin_file,
        &mut config.signing.pkcs11_module,
        &mut config.signing.softhsm_conf,
        &mut config.store.postgres_password_file,
        &mut config.store.postgres_ca_file,
    ]
    .into_iter()
    .flatten()
    {
        join(p);
    }
    join(&mut config.store.path);
    super::config_api::resolve_paths(config, &join);
    for d in &mut config.registration.trusted_directories {
        if let Some(p) = d.jwks_file.as_mut() {
            join(p);
        }
    }
    for rs in &mut config.resource_servers {
        if let Some(p) = rs.jwks_file.as_mut() {
            join(p);
        }
    }
}

fn issuer_path_of(issuer: &str) -> String {
    let after_scheme = issuer.split_once("://").map(|(_, rest)| rest).unwrap_or(issuer);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].to_string(),
        None => String::new(),
    }
}

/// RFC 8414 §2 / OIDC Discovery §3: the issuer is an https URL with no query
/// or fragment.
fn check_issuer_url(config: &Config) -> Result<(), ConfigError> {
    const FIELD: &str = "server.issuer";
    let issuer = &config.server.issuer;
    let uri: http::Uri = issuer
        .parse()
        .map_err(|e| ConfigError::new(FIELD, "issuer_url", format!("`{issuer}` is not a URL: {e}")))?;
    if uri.scheme_str() != Some("https") {
        return Err(ConfigError::new(
            FIELD,
            "issuer_url",
            "the issuer must use https (RFC 8414 §2)",
        ));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ConfigError::new(FIELD, "issuer_url", "the issuer has no host"));
    }
    if issuer.contains('?') || issuer.contains('#') {
        return Err(ConfigError::new(
            FIELD,
            "issuer_url",
            "the issuer must have no query or fragment (RFC 8414 §2)",
        ));
    }
    Ok(())
}

/// FAPI 2.0 Security Profile §5.3.2.2: PAR and PKCE with S256 only.
/// FAPI 1.0 Advanced §5.2.2: PKCE, when used, with S256.
fn check_fapi_profile(config: &Config) -> Result<(), ConfigError> {
    let fapi = &config.fapi;
    if fapi.pkce_methods.iter().any(|m| m != "S256") || fapi.pkce_methods.is_empty() {
        return Err(ConfigError::new(
            "fapi.pkce_methods",
            "fapi_profile",
            "FAPI allows PKCE with S256 only: set pkce_methods = [\"S256\"] (FAPI 2.0 §5.3.2.2, RFC 7636 §7.2)",
        ));
    }
    let fapi2 = matches!(
        fapi.profile,
        FapiProfile::Fapi2Security | FapiProfile::Fapi2MessageSigning
    );
    if fapi2 && !fapi.require_pushed_authorization_requests {
        return Err(ConfigError::new(
            "fapi.require_pushed_authorization_requests",
            "fapi_profile",
            "FAPI 2.0 requires pushed authorization requests (FAPI 2.0 §5.3.2.2, RFC 9126)",
        ));
    }
    if fapi.profile == FapiProfile::Fapi1Advanced
        && !FapiProfile::Fapi1Advanced.allows_alg(config.signing.alg)
    {
        return Err(ConfigError::new(
            "signing.alg",
            "fapi_profile",
            "FAPI 1.0 Advanced allows PS256 or ES256 only (FAPI 1.0 Part 2 §8.6)",
        ));
    }
    Ok(())
}

/// FAPI 2.0 §5.3.2.1: only sender-constrained access tokens (DPoP or mTLS);
/// FAPI 1.0 Advanced §5.2.2-5 binds them with mTLS. Certificate-bound tokens
/// need CAs to verify client certificates against (RFC 8705 §3).
fn check_sender_constraints(config: &Config) -> Result<(), ConfigError> {
    const FIELD: &str = "fapi.sender_constraints";
    let constraints = &config.fapi.sender_constraints;
    if constraints.is_empty() {
        return Err(ConfigError::new(
            FIELD,
            "sender_constraints",
            "FAPI requires sender-constrained access tokens: list dpop and/or mtls (FAPI 2.0 §5.3.2.1)",
        ));
    }
    if config.fapi.profile == FapiProfile::Fapi1Advanced && !constraints.contains(&SenderConstraint::Mtls) {
        return Err(ConfigError::new(
            FIELD,
            "sender_constraints",
            "FAPI 1.0 Advanced binds access tokens with mTLS: include mtls (FAPI 1.0 Advanced §5.2.2)",
        ));
    }
    if constraints.contains(&SenderConstraint::Mtls) && config.tls.client_ca.is_empty() {
        return Err(ConfigError::new(
            "tls.client_ca",
            "sender_constraints",
            "mtls sender constraint needs at least one client CA bundle (RFC 8705 §3)",
        ));
    }
    Ok(())
}

/// RFC 8705 §5: the alias listener needs its public URL and its own port.
fn check_mtls_aliases(config: &Config) -> Result<(), ConfigError> {
    let server = &config.server;
    match (&server.mtls_listen, &server.mtls_base_url) {
        (Some(_), None) => Err(ConfigError::new(
            "server.mtls_base_url",
            "mtls_aliases",
            "mtls_listen is set, so mtls_base_url (the alias listener's public https URL) is required",
        )),
        (None, Some(_)) => Err(ConfigError::new(
            "server.mtls_listen",
            "mtls_aliases",
            "mtls_base_url is set but there is no mtls_listen address to serve it",
        )),
        (Some(addr), Some(url)) => {
            if *addr == server.listen && addr.port() != 0 {
                return Err(ConfigError::new(
                    "server.mtls_listen",
                    "mtls_aliases",
                    "the mTLS alias listener needs a port of its own",
                ));
            }
            if !url.starts_with("https://") {
                return Err(ConfigError::new(
                    "server.mtls_base_url",
                    "mtls_aliases",
                    "must be an https URL",
                ));
            }
            if config.tls.client_ca.is_empty() {
                return Err(ConfigError::new(
                    "tls.client_ca",
                    "mtls_aliases",
                    "the mTLS alias listener needs client CA bundles",
                ));
            }
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

fn check_limits(config: &Config) -> Result<(), ConfigError> {
    let server = &config.server;
    if server.max_body_bytes == 0 || server.max_body_bytes > 16 * 1024 * 1024 {
        return Err(ConfigError::new(
            "server.max_body_bytes",
            "limits",
            "must be between 1 and 16777216",
        ));
    }
    if server.header_read_timeout_ms == 0 {
        return Err(ConfigError::new(
            "server.header_read_timeout_ms",
            "limits",
            "must be positive",
        ));
    }
    if server.http3_max_connections == 0 {
        return Err(ConfigError::new(
            "server.http3_max_connections",
            "limits",
            "must be positive",
        ));
    }
    if server.http3_max_connections_per_address == 0
        || server.http3_max_connections_per_address > server.http3_max_connections
    {
        return Err(ConfigError::new(
            "server.http3_max_connections_per_address",
            "limits",
            "must be between 1 and server.http3_max_connections",
        ));
    }
    if server.body_read_timeout_ms == 0 {
        return Err(ConfigError::new(
            "server.body_read_timeout_ms",
            "limits",
            "must be positive",
        ));
    }
    check_admission(server)
}

/// The admission gate's bounds (`http::admission`): at least one request
/// in flight, and a queue-wait bound a client can tell from a hang.
fn check_admission(server: &super::ServerConfig) -> Result<(), ConfigError> {
    const MAX_COUNT: usize = 65_536;
    if !(1..=MAX_COUNT).contains(&server.admission_max_in_flight) {
        return Err(ConfigError::new(
            "server.admission_max_in_flight",
            "limits",
            "must be between 1 and 65536",
        ));
    }
    if server.admission_max_waiting > MAX_COUNT {
        return Err(ConfigError::new(
            "server.admission_max_waiting",
            "limits",
            "must be between 0 and 65536",
        ));
    }
    if !(1..=60_000).contains(&server.admission_queue_wait_ms) {
        return Err(ConfigError::new(
            "server.admission_queue_wait_ms",
            "limits",
            "must be between 1 and 60000",
        ));
    }
    if !(1..=server.admission_queue_wait_ms).contains(&server.admission_overload_queue_wait_ms) {
        return Err(ConfigError::new(
            "server.admission_overload_queue_wait_ms",
            "limits",
            "must be between 1 and server.admission_queue_wait_ms",
        ));
    }
    Ok(())
}

/// Certificate files must exist unless `tls.dev_generate` will create them.
fn check_tls_files(config: &Config) -> Result<(), ConfigError> {
    if config.tls.dev_generate {
        return Ok(());
    }
    let files = [("tls.cert", &config.tls.cert), ("tls.key", &config.tls.key)]
        .into_iter()
        .chain(config.tls.client_ca.iter().map(|p| ("tls.client_ca", p)));
    for (field, path) in files {
        if !path.is_file() {
            return Err(ConfigError::new(
                field,
                "tls_files",
                format!(
                    "{} does not exist; create a development PKI with `fiducia pki init --out DIR` or set tls.dev_generate = true",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// RFC 9700 §4.14.2: refresh tokens expire, and the idle timeout is
/// within the lifetime (otherwise it would never apply).
fn check_refresh_tokens(config: &Config) -> Result<(), ConfigError> {
    let tokens = &config.tokens;
    if tokens.refresh_token_ttl_secs == 0 {
        return Err(ConfigError::new(
            "tokens.refresh_token_ttl_secs",
            "refresh_tokens",
            "must be at least 1 (RFC 9700 §4.14.2)",
        ));
    }
    if tokens.refresh_token_idle_secs == 0 || tokens.refresh_token_idle_secs > tokens.refresh_token_ttl_secs {
        return Err(ConfigError::new(
            "tokens.refresh_token_idle_secs",
            "refresh_tokens",
            "must be between 1 and tokens.refresh_token_ttl_secs (RFC 9700 §4.14.2)",
        ));
    }
    // FAPI 2.0 SP §5.3.2.1 item 10: rotation only if a retry with the
    // previous refresh token succeeds; the window stays short, since inside
    // it a reuse is taken for a retry rather than a leak.
    if tokens.refresh_token_retry_grace_secs > MAX_REFRESH_RETRY_GRACE_SECS
        || tokens.refresh_token_retry_grace_secs >= tokens.refresh_token_idle_secs
    {
        return Err(ConfigError::new(
            "tokens.refresh_token_retry_grace_secs",
            "refresh_tokens",
            format!(
                "must be at most {MAX_REFRESH_RETRY_GRACE_SECS} and below tokens.refresh_token_idle_secs (FAPI 2.0 SP §5.3.2.1 item 10)"
            ),
        ));
    }
    let fapi2 = matches!(
        config.fapi.profile,
        FapiProfile::Fapi2Security | FapiProfile::Fapi2MessageSigning
    );
    if fapi2 && tokens.rotate_refresh_tokens && tokens.refresh_token_retry_grace_secs == 0 {
        return Err(ConfigError::new(
            "tokens.refresh_token_retry_grace_secs",
            "refresh_tokens",
            "must be at least 1 with tokens.rotate_refresh_tokens under a FAPI 2.0 profile: a client that lost a refresh response must be able to retry (FAPI 2.0 SP §5.3.2.1 item 10)",
        ));
    }
    Ok(())
}

/// Longest `tokens.refresh_token_retry_grace_secs`.
const MAX_REFRESH_RETRY_GRACE_SECS: u64 = 300;

/// RFC 9068 §2.2 / RFC 7519 §4.1.3: `aud` of JWT access tokens is a
/// non-empty identifier of the resource servers (a URI or an id), no spaces.
fn check_access_token_audience(config: &Config) -> Result<(), ConfigError> {
    match config.tokens.access_token_audience.as_deref() {
        Some(aud) if aud.is_empty() || aud.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            return Err(ConfigError::new(
                "tokens.access_token_audience",
                "access_token_audience",
                "must be a non-empty identifier without spaces (RFC 9068 §2.2), or unset for the issuer",
            ));
        }
        _ => {}
    }
    for client in &config.clients {
        match (
            client.access_token_audience.as_deref(),
            client.access_token_format,
        ) {
            (None, _) => {}
            (Some(_), super::AccessTokenFormat::Opaque) => {
                return Err(ConfigError::new(
                    format!("clients.{}.access_token_audience", client.client_id),
                    "access_token_audience",
                    "only for access_token_format = \"jwt\" (an opaque token carries no `aud`)",
                ));
            }
            (Some(aud), _) if aud.is_empty() || aud.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                return Err(ConfigError::new(
                    format!("clients.{}.access_token_audience", client.client_id),
                    "access_token_audience",
                    "must be a non-empty identifier without spaces (RFC 9068 §2.2)",
                ));
            }
            (Some(_), _) => {}
        }
    }
    Ok(())
}

/// FAPI 2.0 §5.3.2.1: codes live at most 60 s; each `[[clients]]` entry has
/// a unique id and passes the per-client rules (`client_checks.rs`, which
/// the live client documents pass too); the first problem stops start-up.
fn check_clients(config: &Config) -> Result<(), ConfigError> {
    if config.tokens.code_ttl_secs == 0 || config.tokens.code_ttl_secs > 60 {
        return Err(ConfigError::new(
            "tokens.code_ttl_secs",
            "clients",
            "must be between 1 and 60 (FAPI 2.0 §5.3.2.1)",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for client in &config.clients {
        if !seen.insert(client.client_id.as_str()) {
            return Err(ConfigError::new(
                format!("clients.{}.client_id", client.client_id),
                "clients",
                "duplicate client_id",
            ));
        }
        if let Some(first) = super::client_checks::client_problems(config, client)
            .into_iter()
            .next()
        {
            return Err(first);
        }
    }
    Ok(())
}

/// PKCS#11 needs a module, a token and exactly one PIN source; the key
/// timings must be positive and the JWKS cache shorter than a token's life.
fn check_signing(config: &Config) -> Result<(), ConfigError> {
    let signing = &config.signing;
    let positive = [
        ("signing.jwks_cache_ttl_secs", signing.jwks_cache_ttl_secs),
        ("signing.max_token_lifetime_secs", signing.max_token_lifetime_secs),
        ("signing.key_refresh_secs", signing.key_refresh_secs),
        ("signing.queue_capacity", signing.queue_capacity as u64),
    ];
    for (field, value) in positive {
        if value == 0 {
            return Err(ConfigError::new(field, "signing", "must be positive"));
        }
    }
    if signing.backend != super::SigningBackend::Pkcs11 {
        return Ok(());
    }
    if signing.token_label.is_empty() {
        return Err(ConfigError::new(
            "signing.token_label",
            "signing",
            "the PKCS#11 token label is empty",
        ));
    }
    match (&signing.pin_file, signing.pin.expose().is_empty()) {
        (Some(_), false) => Err(ConfigError::new(
            "signing.pin",
            "signing",
            "give the PIN either in pin_file or in pin (FIDUCIA_SIGNING__PIN), not both",
        )),
        (None, true) => Err(ConfigError::new(
            "signing.pin_file",
            "signing",
            "the PKCS#11 backend needs the user PIN: set pin_file, or FIDUCIA_SIGNING__PIN",
        )),
        (Some(path), true) if !path.is_file() => Err(ConfigError::new(
            "signing.pin_file",
            "signing",
            format!("{} does not exist", path.display()),
        )),
        _ => match &signing.pkcs11_module {
            Some(module) if !module.is_file() => Err(ConfigError::new(
                "signing.pkcs11_module",
                "signing",
                format!("{} does not exist", module.display()),
            )),
            Some(_) => Ok(()),
            None if fiducia_hsm::pkcs11::softhsm::softhsm_module().is_none() => Err(ConfigError::new(
                "signing.pkcs11_module",
                "signing",
                "no module given and SoftHSM is not installed (apt-get install softhsm2)",
            )),
            None => Ok(()),
        },
    }
}

/// The store backend must be built in, and its settings usable.
fn check_store(config: &Config) -> Result<(), ConfigError> {
    let store = &config.store;
    if store.backend == super::StoreBackend::Fdb && !cfg!(feature = "fdb") {
        return Err(ConfigError::new(
            "store.backend",
            "store",
            "this build has no FoundationDB support: rebuild with `--features fdb` or use backend = \"embedded\"",
        ));
    }
    if store.fdb_prefix.is_empty() || store.fdb_prefix.starts_with('\u{ff}') {
        return Err(ConfigError::new(
            "store.fdb_prefix",
            "store",
            "must be a non-empty prefix outside FoundationDB's system keys",
        ));
    }
    if !(10..=1000).contains(&store.client_config_poll_ms) {
        return Err(ConfigError::new(
            "store.client_config_poll_ms",
            "store",
            "must be between 10 and 1000: a client change must be in force on every node within one second",
        ));
    }
    let positive = [
        (
            "store.max_batch_transactions",
            store.max_batch_transactions as u64,
        ),
        ("store.cache_mib", store.cache_mib),
        ("store.memtable_mib", store.memtable_mib),
        ("store.memory_budget_mib", store.memory_budget_mib),
        ("store.background_threads", store.background_threads as u64),
        ("store.sweep_interval_secs", store.sweep_interval_secs),
        ("store.timeout_ms", store.timeout_ms),
        ("store.retry_limit", u64::from(store.retry_limit)),
    ];
    for (field, value) in positive {
        if value == 0 {
            return Err(ConfigError::new(field, "store", "must be positive"));
        }
    }
    if store.backend == super::StoreBackend::Postgres {
        check_postgres(store)?;
    }
    Ok(())
}

/// The Postgres backend's connection settings, one message per field. The
/// URL is a secret: no message repeats it.
fn check_postgres(store: &super::StoreConfig) -> Result<(), ConfigError> {
    let fail = |field: &str, message: &str| Err(ConfigError::new(field, "store", message));
    let Some(url) = store.postgres_url.as_ref().filter(|u| !u.expose().is_empty()) else {
        return fail(
            "store.postgres_url",
            "required with backend = \"postgres\" (or set FIDUCIA_STORE__POSTGRES_URL)",
        );
    };
    let parsed = match url.expose().parse::<tokio_postgres::Config>() {
        Ok(parsed) => parsed,
        Err(e) => {
            return fail(
                "store.postgres_url",
                &format!("is not a PostgreSQL connection URL ({e})"),
            );
        }
    };
    if url.expose().contains("sslmode=") {
        return fail(
            "store.postgres_url",
            "must not carry sslmode: set store.postgres_sslmode (disable, require or verify-full)",
        );
    }
    if parsed.get_hosts().is_empty() {
        return fail("store.postgres_url", "must name the server's host");
    }
    if parsed.get_dbname().is_none() {
        return fail("store.postgres_url", "must name the database");
    }
    if store.postgres_password_file.is_some() && parsed.get_password().is_some() {
        return fail(
            "store.postgres_password_file",
            "set, but the URL carries a password too: keep one of them",
        );
    }
    if !(1..=1024).contains(&store.postgres_pool_size) {
        return fail("store.postgres_pool_size", "must be between 1 and 1024");
    }
    if store.postgres_ca_file.is_some() && store.postgres_sslmode != super::PostgresSslMode::VerifyFull {
        return fail(
            "store.postgres_ca_file",
            "only used with postgres_sslmode = \"verify-full\"",
        );
    }
    Ok(())
}

/// argon2id cost within bounds and not below OWASP's minimum, lifetimes
/// positive, seed users well-formed and unique (the rules, and their tests,
/// are in `login.rs` beside the fields).
fn check_login(config: &Config) -> Result<(), ConfigError> {
    match config.login.problem() {
        Some((field, message)) => Err(ConfigError::new(field, "login", message)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_from_str;

    fn validated(text: &str) -> Result<ValidatedConfig, ConfigError> {
        let config = load_from_str(text, Vec::new())?;
        validate(config, Path::new("/etc/fiducia"))
    }

    const DEV: &str = "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n";

    /// Issue 24: a client change is in force on every node within one
    /// second, so the poll of the client configuration generation is
    /// between 10 ms and 1 s; the default is 250 ms and the environment
    /// overrides it.
    #[test]
    fn client_config_poll_is_bounded_by_the_one_second_target() {
        assert_eq!(validated(DEV).unwrap().get().store.client_config_poll_ms, 250);
        for bad in [0, 9, 1001] {
            let e = validated(&format!("{DEV}[store]\nclient_config_poll_ms = {bad}\n")).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.check),
                ("store.client_config_poll_ms", "store")
            );
        }
        let env = vec![(
            "FIDUCIA_STORE__CLIENT_CONFIG_POLL_MS".to_string(),
            "100".to_string(),
        )];
        let config = validate(load_from_str(DEV, env).unwrap(), Path::new("/")).unwrap();
        assert_eq!(config.get().store.client_config_poll_ms, 100);
    }

    /// Admission (`http::admission`, RFC 9110 §15.6.4): documented
    /// defaults, bounds checked, the environment overrides.
    #[test]
    fn admission_bounds_have_defaults_limits_and_env_overrides() {
        let config = validated(DEV).unwrap();
        let defaults = &config.get().server;
        assert_eq!(defaults.admission_max_in_flight, 64);
        assert_eq!(defaults.admission_max_waiting, 1024);
        assert_eq!(defaults.admission_queue_wait_ms, 250);
        assert_eq!(defaults.admission_overload_queue_wait_ms, 50);
        for (field, bad) in [
            ("admission_max_in_flight", 0),
            ("admission_max_in_flight", 65_537),
            ("admission_max_waiting", 65_537),
            ("admission_queue_wait_ms", 0),
            ("admission_queue_wait_ms", 60_001),
            ("admission_overload_queue_wait_ms", 0),
            ("admission_overload_queue_wait_ms", 251),
        ] {
            let e = validated(&format!("{DEV}[server]\n{field} = {bad}\n")).unwrap_err();
            assert_eq!((e.field, e.check), (format!("server.{field}"), "limits"));
        }
        assert!(validated(&format!("{DEV}[server]\nadmission_max_waiting = 0\n")).is_ok());
        let env = vec![(
            "FIDUCIA_SERVER__ADMISSION_QUEUE_WAIT_MS".to_string(),
            "400".to_string(),
        )];
        let config = validate(load_from_str(DEV, env).unwrap(), Path::new("/")).unwrap();
        assert_eq!(config.get().server.admission_queue_wait_ms, 400);
    }

    #[test]
    fn jwt_access_token_audience_is_an_identifier_rfc9068_s2_2() {
        assert!(
            validated(&format!(
                "{DEV}[tokens]\naccess_token_audience = \"https://api.bank.example\"\n"
            ))
            .is_ok()
        );
        let e = validated(&format!("{DEV}[tokens]\naccess_token_audience = \"\"\n")).unwrap_err();
        assert_eq!(e.field, "tokens.access_token_audience");
    }

    /// RFC 9068 §2.2: a client's own `aud` is for its JWT access tokens only.
    #[test]
    fn a_clients_audience_needs_jwt_access_tokens_rfc9068_s2_2() {
        let client = |format: &str, aud: &str| {
            format!(
                "{DEV}[[clients]]\nclient_id = \"ops\"\nclient_name = \"Ops\"\nredirect_uris = [\"https://ops.example/cb\"]\n\
                 token_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=ops\"\n\
                 access_token_format = \"{format}\"\naccess_token_audience = \"{aud}\"\n"
            )
        };
        assert!(validated(&client("jwt", "https://op.example/config-api")).is_ok());
        let e = validated(&client("opaque", "https://op.example/config-api")).unwrap_err();
        assert_eq!(e.field, "clients.ops.access_token_audience");
        let e = validated(&client("jwt", "a b")).unwrap_err();
        assert_eq!(e.field, "clients.ops.access_token_audience");
    }

    #[test]
    fn defaults_with_dev_pki_pass_and_paths_resolve() {
        let v = validated(DEV).unwrap();
        assert_eq!(v.get().tls.cert, Path::new("/etc/fiducia/pki/server.pem"));
        assert_eq!(v.issuer(), "https://localhost:8443");
        assert_eq!(v.endpoint_url("/jwks"), "https://localhost:8443/jwks");
    }

    #[test]
    fn refresh_idle_timeout_within_lifetime_rfc9700_s4_14_2() {
        let err = validated(&format!(
            "{DEV}[tokens]\nrefresh_token_ttl_secs = 60\nrefresh_token_idle_secs = 61\n"
        ))
        .unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.check),
            ("tokens.refresh_token_idle_secs", "refresh_tokens")
        );
    }

    /// FAPI 2.0 SP §5.3.2.1 item 10: with rotation under FAPI 2.0 a retry
    /// window is needed; it stays short and within the idle timeout.
    #[test]
    fn refresh_retry_window_fapi2_sp_5_3_2_1_item_10() {
        let with = |extra: &str| validated(&format!("{DEV}[tokens]\n{extra}"));
        for bad in [
            "refresh_token_retry_grace_secs = 0\n",
            "refresh_token_retry_grace_secs = 301\n",
            "refresh_token_idle_secs = 30\nrefresh_token_retry_grace_secs = 30\n",
        ] {
            let err = with(bad).unwrap_err();
            assert_eq!(
                (err.field.as_str(), err.check),
                ("tokens.refresh_token_retry_grace_secs", "refresh_tokens"),
                "{bad}"
            );
        }
        assert!(with("refresh_token_retry_grace_secs = 0\nrotate_refresh_tokens = false\n").is_ok());
        assert_eq!(with("").unwrap().get().tokens.refresh_token_retry_grace_secs, 60);
    }

    #[test]
    fn registration_needs_well_formed_trusted_directories_rfc7591_s2_3() {
        let dir = |body: &str| {
            format!("{DEV}[registration]\nenabled = true\n[[registration.trusted_directories]]\n{body}")
        };
        let v = validated(&dir(
            "issuer = \"d1\"\njwks_uri = \"https://directory.example/jwks\"\n",
        ))
        .unwrap();
        let r = &v.get().registration;
        assert_eq!(r.ssa_max_age_secs, 300);
        assert!(!r.danger_allow_localhost_redirects);
        assert_eq!(r.status_check_interval_secs, 300);
        let d = &r.trusted_directories[0];
        assert_eq!(d.status_endpoint, None);
        assert_eq!(d.revocation_endpoint, None);
        assert_eq!(
            d.binding(),
            crate::protocol::registration::cert_binding::CertificateBinding::Uk
        );
        assert_eq!(
            d.profile,
            crate::protocol::registration::profile::RegistrationProfile::Uk
        );
        assert_eq!(
            d.role_scopes["AISP"],
            vec!["openid", "accounts", "offline_access"]
        );
        let failures = [
            (
                format!("{DEV}[registration]\nenabled = true\n"),
                "registration.trusted_directories",
            ),
            (
                dir("issuer = \"d1\"\njwks_uri = \"http://directory.example/jwks\"\n"),
                "registration.trusted_directories.d1.jwks_uri",
            ),
            (
                dir("issuer = \"d1\"\n"),
                "registration.trusted_directories.d1.jwks_uri",
            ),
            (
                dir("issuer = \"d1\"\njwks_file = \"missing.json\"\n"),
                "registration.trusted_directories.d1.jwks_file",
            ),
            (
                format!("{DEV}[registration]\nssa_max_age_secs = 0\n"),
                "registration.ssa_max_age_secs",
            ),
            (
                format!("{DEV}[registration]\nstatus_check_interval_secs = 0\n"),
                "registration.status_check_interval_secs",
            ),
            (
                dir(
                    "issuer = \"d1\"\njwks_uri = \"https://d.example/jwks\"\nstatus_endpoint = \"https://d.example/status\"\n",
                ),
                "registration.trusted_directories.d1.status_endpoint",
            ),
            (
                dir(
                    "issuer = \"d1\"\njwks_uri = \"https://d.example/jwks\"\nrevocation_endpoint = \"http://d.example/{software_id}/revoked\"\n",
                ),
                "registration.trusted_directories.d1.revocation_endpoint",
            ),
            // OBIE DCR 3.3: the uk profile binds the certificate.
            (
                dir(
                    "issuer = \"d1\"\njwks_uri = \"https://d.example/jwks\"\ncertificate_binding = \"none\"\n",
                ),
                "registration.trusted_directories.d1.certificate_binding",
            ),
            // Open Finance Brasil DCR 1.0: so does the brazil profile.
            (
                dir(
                    "issuer = \"d1\"\njwks_uri = \"https://d.example/jwks\"\nprofile = \"brazil\"\ncertificate_binding = \"none\"\n",
                ),
                "registration.trusted_directories.d1.certificate_binding",
            ),
        ];
        for (text, field) in failures {
            let err = validated(&text).unwrap_err();
            assert_eq!((err.field.as_str(), err.check), (field, "registration"), "{text}");
        }
        // A relative jwks_file resolves against the config's directory.
        let err = validated(&dir(
            "issuer = \"d1\"\njwks_file = \"dir.json\"\ncertificate_binding = \"brazil\"\n",
        ))
        .unwrap_err();
        assert!(err.message.contains("/etc/fiducia/dir.json"), "{}", err.message);
        // RFC 7591 §2.3: a generic directory binds no certificate by default.
        let v = validated(&dir(
            "issuer = \"d1\"\njwks_uri = \"https://d.example/jwks\"\nprofile = \"generic\"\n",
        ))
        .unwrap();
        let d = &v.get().registration.trusted_directories[0];
        assert_eq!(
            d.binding(),
            crate::protocol::registration::cert_binding::CertificateBinding::None
        );
        // Open Finance Brasil DCR 1.0: a brazil directory binds UID and
        // organizationIdentifier by default.
        let v = validated(&dir(
            "issuer = \"d1\"\njwks_uri = \"https://d.example/jwks\"\nprofile = \"brazil\"\n",
        ))
        .unwrap();
        let d = &v.get().registration.trusted_directories[0];
        assert_eq!(
            d.binding(),
            crate::protocol::registration::cert_binding::CertificateBinding::Brazil
        );
        // Scalar fields take FIDUCIA_REGISTRATION__<FIELD>.
        let env = [
            (
                "FIDUCIA_REGISTRATION__SSA_MAX_AGE_SECS".to_string(),
                "60".to_string(),
            ),
            (
                "FIDUCIA_REGISTRATION__DANGER_ALLOW_LOCALHOST_REDIRECTS".to_string(),
                "true".to_string(),
            ),
            (
                "FIDUCIA_REGISTRATION__STATUS_CHECK_INTERVAL_SECS".to_string(),
                "30".to_string(),
            ),
        ];
        let r = load_from_str(DEV, env).unwrap().registration;
        assert_eq!(
            (
                r.ssa_max_age_secs,
                r.danger_allow_localhost_redirects,
                r.status_check_interval_secs
            ),
            (60, true, 30)
        );
    }

    #[test]
    fn issuer_path_prefixes_endpoints() {
        let v = validated(&format!("{DEV}[server]\nissuer = \"https://bank.example/op/\"\n")).unwrap();
        assert_eq!(v.issuer(), "https://bank.example/op");
        assert_eq!(v.issuer_path(), "/op");
    }

    #[test]
    fn http_issuer_is_refused_rfc8414_s2() {
        let err = validated(&format!("{DEV}[server]\nissuer = \"http://bank.example\"\n")).unwrap_err();
        assert_eq!((err.field.as_str(), err.check), ("server.issuer", "issuer_url"));
    }

    #[test]
    fn fapi2_refuses_plain_pkce_fapi2_s5_3_2_2() {
        let err = validated(&format!("{DEV}[fapi]\npkce_methods = [\"plain\", \"S256\"]\n")).unwrap_err();
        assert_eq!(err.field, "fapi.pkce_methods");
    }

    #[test]
    fn fapi2_requires_par_fapi2_s5_3_2_2() {
        let err = validated(&format!(
            "{DEV}[fapi]\nrequire_pushed_authorization_requests = false\n"
        ))
        .unwrap_err();
        assert_eq!(err.field, "fapi.require_pushed_authorization_requests");
        let ok = validated(&format!(
            "{DEV}[fapi]\nprofile = \"fapi1-advanced\"\nrequire_pushed_authorization_requests = false\n"
        ));
        assert!(ok.is_ok());
    }

    #[test]
    fn id_token_encryption_pair_and_key_oidc_registration_s2() {
        let (_, enc_key) = crate::protocol::jose::jwe::testing::rsa_key(aws_lc_rs::rsa::KeySize::Rsa2048);
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, keys: serde_json::Value| {
            let path = dir.path().join(name);
            std::fs::write(&path, serde_json::json!({ "keys": keys }).to_string()).unwrap();
            path.display().to_string()
        };
        let mut enc = enc_key.clone();
        enc["use"] = "enc".into();
        let mut sig = enc_key.clone();
        sig["use"] = "sig".into();
        let with_enc = write("enc.json", serde_json::json!([enc]));
        let only_sig = write("sig.json", serde_json::json!([sig]));
        let client = |jwks: &str, extra: &str| {
            format!(
                "{DEV}[[clients]]\nclient_id = \"c1\"\nclient_name = \"C\"\nredirect_uris = [\"https://c.example/cb\"]\ntoken_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=c1\"\n{jwks}{extra}"
            )
        };
        let file = |path: &str| format!("jwks_file = \"{path}\"\n");
        let alg = "id_token_encrypted_response_alg = \"RSA-OAEP-256\"\n";
        let enc_only = "id_token_encrypted_response_enc = \"A256GCM\"\n";
        let v = validated(&client(&file(&with_enc), &format!("{alg}{enc_only}"))).unwrap();
        assert_eq!(
            v.get().clients[0]
                .id_token_encryption()
                .map(|e| (e.alg.as_str(), e.enc.as_str())),
            Some(("RSA-OAEP-256", "A256GCM"))
        );
        // enc defaults to A256GCM when only alg is given.
        let v = validated(&client(&file(&with_enc), alg)).unwrap();
        assert_eq!(
            v.get().clients[0].id_token_encryption().map(|e| e.enc.as_str()),
            Some("A256GCM")
        );
        let failures = [
            // enc without alg.
            (
                client(&file(&with_enc), enc_only),
                "clients.c1.id_token_encrypted_response_enc",
            ),
            // No keys at all.
            (client("", alg), "clients.c1.id_token_encrypted_response_alg"),
            // The JWKS file has only a signature key.
            (
                client(&file(&only_sig), alg),
                "clients.c1.id_token_encrypted_response_alg",
            ),
        ];
        for (text, field) in failures {
            let err = validated(&text).unwrap_err();
            assert_eq!((err.field.as_str(), err.check), (field, "clients"), "{text}");
        }
        // Values other than RSA-OAEP, RSA-OAEP-256 and A256GCM do not parse.
        for bad in [
            "id_token_encrypted_response_alg = \"RSA1_5\"\n",
            "id_token_encrypted_response_alg = \"RSA-OAEP\"\nid_token_encrypted_response_enc = \"A128CBC-HS256\"\n",
        ] {
            assert!(
                load_from_str(&client(&file(&with_enc), bad), Vec::new()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn fapi1_clients_need_ps256_or_es256_and_mtls_fapi1_part2_s8_6() {
        let client = |alg: &str| {
            format!(
                "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\nalg = \"{alg}\"\n[[clients]]\nclient_id = \"f1\"\nclient_name = \"F\"\nredirect_uris = [\"https://c.example/cb\"]\ntoken_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=f1\"\nid_token_signed_response_alg = \"{alg}\"\nauthorization_signed_response_alg = \"{alg}\"\nfapi_profile = \"fapi1-advanced\"\n"
            )
        };
        let err = validated(&client("EdDSA")).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.check),
            ("clients.f1.fapi_profile", "fapi_profile")
        );
        assert!(validated(&client("PS256")).is_ok());
        let err = validated("[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\nalg = \"EdDSA\"\n[fapi]\nprofile = \"fapi1-advanced\"\n")
        .unwrap_err();
        assert_eq!(err.field, "signing.alg");
    }

    #[test]
    fn sender_constraint_is_required_fapi2_s5_3_2_1() {
        let err = validated(&format!("{DEV}[fapi]\nsender_constraints = []\n")).unwrap_err();
        assert_eq!(err.field, "fapi.sender_constraints");
        let err = validated(&format!(
            "{DEV}[fapi]\nprofile = \"fapi1-advanced\"\nsender_constraints = [\"dpop\"]\n"
        ))
        .unwrap_err();
        assert_eq!(err.check, "sender_constraints");
    }

    #[test]
    fn mtls_listener_needs_its_url_rfc8705_s5() {
        let err = validated(&format!("{DEV}[server]\nmtls_listen = \"127.0.0.1:8444\"\n")).unwrap_err();
        assert_eq!(err.field, "server.mtls_base_url");
        let v = validated(&format!(
            "{DEV}[server]\nmtls_listen = \"127.0.0.1:8444\"\nmtls_base_url = \"https://mtls.localhost:8444\"\n"
        ))
        .unwrap();
        assert_eq!(
            v.mtls_endpoint_url("/token").as_deref(),
            Some("https://mtls.localhost:8444/token")
        );
    }

    #[test]
    fn store_path_resolves_and_settings_are_checked() {
        let v = validated(DEV).unwrap();
        assert_eq!(v.get().store.path, Path::new("/etc/fiducia/data"));
        let err = validated(&format!("{DEV}[store]\nretry_limit = 0\n")).unwrap_err();
        assert_eq!((err.field.as_str(), err.check), ("store.retry_limit", "store"));
        let err = validated(&format!("{DEV}[store]\nmemtable_mib = 0\n")).unwrap_err();
        assert_eq!(err.field, "store.memtable_mib");
        let err = validated(&format!("{DEV}[store]\nbackground_threads = 0\n")).unwrap_err();
        assert_eq!(err.field, "store.background_threads");
        assert_eq!(v.get().store.background_threads, 1);
        assert!(v.get().store.sync_thread_batch_scheduling, "on by default");
        let sized = validated(&format!("{DEV}[store]\ncache_mib = 16\nmemtable_mib = 16\n")).unwrap();
        assert_eq!(
            (sized.get().store.cache_mib, sized.get().store.memtable_mib),
            (16, 16)
        );
        let fdb = validated(&format!("{DEV}[store]\nbackend = \"fdb\"\n"));
        assert_eq!(fdb.is_ok(), cfg!(feature = "fdb"));
    }

    #[test]
    fn postgres_settings_are_checked_one_field_at_a_time_without_echoing_the_url() {
        let pg = |extra: &str| format!("{DEV}[store]\nbackend = \"postgres\"\n{extra}");
        let ok = validated(&pg(
            "postgres_url = \"postgresql://op:s3cret@db.bank.example:5432/fiducia\"\npostgres_ca_file = \"/etc/fiducia/db-ca.pem\"\n",
        ))
        .unwrap();
        let store = &ok.get().store;
        assert_eq!(store.postgres_pool_size, 16);
        assert_eq!(store.postgres_sslmode, crate::config::PostgresSslMode::VerifyFull);
        assert!(!format!("{store:?}").contains("s3cret"), "the URL is redacted");
        let failures = [
            ("", "store.postgres_url"),
            (
                "postgres_url = \"postgresql://op:s3cret@db/fiducia?bogus=1\"\n",
                "store.postgres_url",
            ),
            (
                "postgres_url = \"postgresql://op:s3cret@db/fiducia?sslmode=require\"\n",
                "store.postgres_url",
            ),
            (
                "postgres_url = \"postgresql://op:s3cret@db\"\n",
                "store.postgres_url",
            ),
            (
                "postgres_url = \"postgresql://op:s3cret@db/fiducia\"\npostgres_password_file = \"/run/pw\"\n",
                "store.postgres_password_file",
            ),
            (
                "postgres_url = \"postgresql://op@db/fiducia\"\npostgres_pool_size = 0\n",
                "store.postgres_pool_size",
            ),
            (
                "postgres_url = \"postgresql://op@db/fiducia\"\npostgres_sslmode = \"disable\"\npostgres_ca_file = \"/ca.pem\"\n",
                "store.postgres_ca_file",
            ),
        ];
        for (extra, field) in failures {
            let err = validated(&pg(extra)).unwrap_err();
            assert_eq!((err.field.as_str(), err.check), (field, "store"), "{extra}");
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
        // The URL (with its password) from the environment instead of the file.
        let env = vec![(
            "FIDUCIA_STORE__POSTGRES_URL".to_string(),
            "postgresql://op:s3cret@db/fiducia".to_string(),
        )];
        let from_env = validate(load_from_str(&pg(""), env).unwrap(), Path::new("/etc/fiducia")).unwrap();
        let url = from_env.get().store.postgres_url.as_ref().map(|u| u.expose());
        assert_eq!(url, Some("postgresql://op:s3cret@db/fiducia"));
        // Relative secret and CA files resolve against the config's directory.
        let files = validated(&pg(
            "postgres_url = \"postgresql://op@db/fiducia\"\npostgres_password_file = \"pg-password\"\npostgres_ca_file = \"db-ca.pem\"\n",
        ))
        .unwrap();
        let store = &files.get().store;
        assert_eq!(
            store.postgres_password_file.as_deref(),
            Some(Path::new("/etc/fiducia/pg-password"))
        );
        assert_eq!(
            store.postgres_ca_file.as_deref(),
            Some(Path::new("/etc/fiducia/db-ca.pem"))
        );
    }

    #[test]
    fn pkcs11_is_the_default_and_needs_a_pin() {
        let err = validated("[tls]\ndev_generate = true\n").unwrap_err();
        assert_eq!((err.field.as_str(), err.check), ("signing.pin_file", "signing"));
        let both = validated(
            "[tls]\ndev_generate = true\n[signing]\npin = \"1\"\npin_file = \"/etc/fiducia/pin\"\n",
        )
        .unwrap_err();
        assert_eq!(both.field, "signing.pin");
    }

    #[test]
    fn missing_certificate_names_the_field() {
        let err = validated("").unwrap_err();
        assert_eq!((err.field.as_str(), err.check), ("tls.cert", "tls_files"));
        assert!(err.message.contains("fiducia pki init"));
    }

    #[test]
    fn jarm_alg_must_be_the_signing_alg_jarm_s3() {
        let client = "[[clients]]\nclient_id = \"c1\"\nclient_name = \"C\"\nredirect_uris = [\"https://c.example/cb\"]\ntoken_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=c1\"\n";
        let v = validated(&format!("{DEV}{client}require_signed_request_object = true\n")).unwrap();
        assert_eq!(
            v.get().clients[0].authorization_signed_response_alg,
            fiducia_hsm::JoseAlg::Es256
        );
        assert!(v.get().clients[0].require_signed_request_object);
        let err = validated(&format!(
            "{DEV}{client}authorization_signed_response_alg = \"PS256\"\n"
        ))
        .unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.check),
            ("clients.c1.authorization_signed_response_alg", "clients")
        );
    }
}
