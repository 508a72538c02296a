//! `[gateway]` loading and its start-up checks.

use super::{TokenValidation, load_from_str};
use std::path::Path;

const ROUTE: &str =
    "[[gateway.routes]]\nname = \"accounts\"\npath_prefix = \"/accounts\"\nscopes = [\"accounts\"]\n";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_relative_paths_and_environment_overrides() {
    let text = format!("[gateway]\ncert = \"gw.pem\"\n{ROUTE}");
    let config = load_from_str(
        &text,
        env(&[
            ("FIDUCIA_GATEWAY__OP__CACHE_TTL_SECS", "5"),
            (
                "FIDUCIA_GATEWAY__UPSTREAM__BASE_URL",
                "https://bank.internal:9443/api",
            ),
            ("FIDUCIA_GATEWAY__OP__TOKEN_VALIDATION", "jwt"),
        ]),
    )
    .unwrap();
    let gateway = config
        .gateway
        .unwrap()
        .validate(Path::new("/etc/fiducia"))
        .unwrap();
    assert_eq!(gateway.op.cache_ttl_secs, 5);
    assert_eq!(gateway.op.token_validation, TokenValidation::Jwt);
    assert_eq!(gateway.upstream.base_url, "https://bank.internal:9443/api");
    assert_eq!(gateway.cert, Path::new("/etc/fiducia/gw.pem"));
    assert_eq!(gateway.burst, 100);
    assert_eq!(gateway.dpop_jtis_per_client, 10_000);
    assert_eq!(gateway.routes[0].scopes, vec!["accounts".to_string()]);
}

#[test]
fn the_op_ignores_a_missing_section() {
    assert!(load_from_str("", env(&[])).unwrap().gateway.is_none());
}

#[test]
fn bad_sections_are_refused_with_the_field_named() {
    let cases = [
        ("[gateway]\n".to_string(), "gateway.routes"),
        (
            format!("[gateway]\n[gateway.upstream]\nbase_url = \"http://bank\"\n{ROUTE}"),
            "gateway.upstream.base_url",
        ),
        (
            format!("[gateway]\n[gateway.op]\ncache_ttl_secs = 3600\n{ROUTE}"),
            "gateway.op.cache_ttl_secs",
        ),
        (
            format!("[gateway]\ndpop_jtis_per_client = 0\n{ROUTE}"),
            "gateway.dpop_jtis_per_client",
        ),
        (
            "[gateway]\n[[gateway.routes]]\nname = \"x\"\npath_prefix = \"accounts\"\n".to_string(),
            "gateway.routes[0].path_prefix",
        ),
        (
            "[gateway]\n[[gateway.routes]]\nname = \"x\"\npath_prefix = \"/a\"\nmethods = [\"G ET\"]\n"
                .to_string(),
            "gateway.routes[0].methods",
        ),
    ];
    for (text, field) in cases {
        let raw = load_from_str(&text, env(&[])).unwrap();
        let err = raw.gateway.unwrap().validate(Path::new(".")).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
    let err = load_from_str("[gateway]\nlisten_port = 1\n", env(&[])).unwrap_err();
    assert_eq!(err.field, "gateway.listen_port");
}
