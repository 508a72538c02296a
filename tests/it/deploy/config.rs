//! The ConfigMap's `fiducia.toml` through the binary's loader, with the
//! Deployment's environment: a production config, every `FIDUCIA_*`
//! variable a real override.

use super::*;

#[test]
fn the_configmap_is_a_production_config_the_loader_accepts() {
    let all = all();
    let config = production_config(&all);
    let table = as_toml(&config);
    let file = "configmap.yaml: fiducia.toml";
    // RFC 8414 §2: the issuer is an https URL with a host; a real one.
    let issuer: hyper::Uri = config
        .server
        .issuer
        .parse()
        .unwrap_or_else(|e| panic!("{file}: server.issuer: {e}"));
    assert_eq!(issuer.scheme_str(), Some("https"), "{file}: server.issuer");
    assert!(
        !matches!(issuer.host(), Some("localhost" | "127.0.0.1") | None),
        "{file}: server.issuer is a development host"
    );
    assert!(
        !config.server.sandbox_callback,
        "{file}: server.sandbox_callback is development only"
    );
    assert!(
        !config.tls.dev_generate,
        "{file}: tls.dev_generate is development only"
    );
    assert!(
        config.login.seed_users.is_empty(),
        "{file}: login.seed_users in production"
    );
    assert!(
        config.clients.is_empty(),
        "{file}: static sandbox clients in production"
    );
    assert_eq!(
        config.signing.backend,
        fiducia::config::SigningBackend::Pkcs11,
        "{file}: signing.backend"
    );
    assert!(
        config.signing.pin.expose().is_empty(),
        "{file}: the PIN comes from pin_file, not the file"
    );
    assert!(
        !config.admin.listen.ip().is_loopback(),
        "{file}: admin.listen must be reachable by the kubelet's probes"
    );
    assert!(
        !config.server.listen.ip().is_loopback(),
        "{file}: server.listen must be reachable from the Service"
    );
    // Many replicas share one store: the PostgreSQL backend, its URL from
    // the Secret through FIDUCIA_STORE__POSTGRES_URL (never in the file).
    assert_eq!(
        toml_at(&table, "store.backend").and_then(toml::Value::as_str),
        Some("postgres"),
        "{file}: store.backend"
    );
    assert!(
        !config_text(&all).contains("postgres_url ="),
        "{file}: postgres_url is a secret"
    );
    assert!(
        toml_at(&table, "store.postgres_url")
            .and_then(toml::Value::as_str)
            .is_some_and(|u| !u.is_empty()),
        "{file}: store.postgres_url is not set by the Deployment's environment"
    );
    assert_eq!(
        toml_at(&table, "store.postgres_sslmode").and_then(toml::Value::as_str),
        Some("verify-full"),
        "{file}: store.postgres_sslmode"
    );
}

/// README "Configuration": `FIDUCIA_<SECTION>__<FIELD>` overrides a field;
/// its value is read as TOML when it parses as TOML, else as a string.
fn expected_override(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[test]
fn every_fiducia_variable_is_a_config_override_that_takes_effect() {
    let all = all();
    let (deployment, _, container) = op_container(&all);
    let env = environment(&all, deployment, container);
    let text = config_text(&all);
    let fiducia_vars: Vec<&(String, String)> =
        env.iter().filter(|(n, _)| n.starts_with("FIDUCIA_")).collect();
    assert!(
        !fiducia_vars.is_empty(),
        "{DEPLOYMENT}: the PostgreSQL URL comes through the environment"
    );
    for (name, raw) in fiducia_vars {
        let path = name
            .strip_prefix("FIDUCIA_")
            .filter(|rest| rest.contains("__"))
            .unwrap_or_else(|| panic!("{DEPLOYMENT}: env {name} is not FIDUCIA_<SECTION>__<FIELD>"))
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(".");
        // Unknown fields are refused by the loader (deny_unknown_fields).
        let config = fiducia::config::load_from_str(&text, vec![(name.clone(), raw.clone())])
            .unwrap_or_else(|e| panic!("{DEPLOYMENT}: env {name} is refused: {e}"));
        let table = as_toml(&config);
        let got = toml_at(&table, &path)
            .unwrap_or_else(|| panic!("{DEPLOYMENT}: env {name} sets nothing at {path}"));
        // A Secret field serialises redacted (config::Secret).
        let redacted = toml::Value::String("<redacted>".into());
        assert!(
            *got == expected_override(raw) || *got == redacted,
            "{DEPLOYMENT}: env {name}: {path} is {got}, not {raw}"
        );
    }
}
