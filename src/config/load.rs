//! Reading the file and applying `FIDUCIA_<SECTION>__<FIELD>` overrides.

use super::Config;
use std::fmt;
use std::path::{Path, PathBuf};

/// Prefix of the environment variables that override config fields.
pub const ENV_PREFIX: &str = "FIDUCIA_";

/// Why the configuration was refused: one line that names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the offending field (`server.listen`), or the file.
    pub field: String,
    /// The start-up check that failed (`parse`, `fapi_profile`, ...).
    pub check: &'static str,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

impl ConfigError {
    /// An error in `field`, found by the check `check`.
    pub fn new(field: impl Into<String>, check: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            check,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "config error in `{}` ({}): {}",
            self.field, self.check, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// Reads `path` (when given), applies the process environment and returns the
/// typed config with the directory relative paths are resolved against.
pub fn load(path: Option<&Path>) -> Result<(Config, PathBuf), ConfigError> {
    let (text, base_dir) = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new(
                    path.display().to_string(),
                    "read",
                    format!("cannot read the config file: {e}"),
                )
            })?;
            let base = path
                .parent()
                .map(Path::to_path_buf)
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from("."));
            (text, base)
        }
        None => (String::new(), PathBuf::from(".")),
    };
    let config = load_from_str(&text, std::env::vars())?;
    Ok((config, base_dir))
}

/// Parses TOML `text`, then applies overrides from `env` (name, value) pairs.
pub fn load_from_str(
    text: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError::new(toml_error_field(&e), "parse", one_line(e.message()))
    })?;
    for (name, value) in env {
        apply_env_override(&mut table, &name, &value)?;
    }
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(toml::Value::Table(table), &mut track);
    <Config as serde::Deserialize>::deserialize(de).map_err(|e| {
        let path = track.path().to_string();
        let field = if path == "." { "config".to_string() } else { path };
        ConfigError::new(field, "parse", one_line(&e.to_string()))
    })
}

/// `FIDUCIA_SERVER__LISTEN=...` sets `server.listen`. Variables without `__`
/// (such as `FIDUCIA_CONFIG`) are not overrides and are left alone.
fn apply_env_override(table: &mut toml::Table, name: &str, raw: &str) -> Result<(), ConfigError> {
    let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
        return Ok(());
    };
    if !rest.contains("__") {
        return Ok(());
    }
    let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::new(
            name,
            "env",
            "malformed override name: expected FIDUCIA_<SECTION>__<FIELD>",
        ));
    }
    let value = parse_env_value(raw);
    let mut node = table;
    let (last, sections) = match path.split_last() {
        Some(split) => split,
        None => return Ok(()),
    };
    for section in sections {
        let entry = node
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ConfigError::new(
                    path.join("."),
                    "env",
                    format!("{name} addresses a field inside `{section}`, which is not a section"),
                ));
            }
        };
    }
    node.insert(last.clone(), value);
    Ok(())
}

/// A TOML value when the text is one (`true`, `8443`, `["a"]`, `"quoted"`),
/// else the text as a string.
fn parse_env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

fn toml_error_field(e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => format!("config (bytes {}..{})", span.start, span.end),
        None => "config".into(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FapiProfile, LogFormat};

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_file_gives_the_documented_defaults() {
        let config = load_from_str("", env(&[])).unwrap();
        assert_eq!(config.server.issuer, "https://localhost:8443");
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(config.fapi.profile, FapiProfile::Fapi2Security);
        assert_eq!(config.fapi.pkce_methods, vec!["S256".to_string()]);
    }

    #[test]
    fn environment_overrides_the_file_with_typed_values() {
        let text = "[server]\nlisten = \"127.0.0.1:1\"\nhttp3 = true\n";
        let config = load_from_str(
            text,
            env(&[
                ("FIDUCIA_SERVER__LISTEN", "0.0.0.0:443"),
                ("FIDUCIA_SERVER__HTTP3", "false"),
                ("FIDUCIA_SERVER__TRUSTED_PROXIES", r#"["10.0.0.1"]"#),
                ("FIDUCIA_LOG__FORMAT", "json"),
                ("FIDUCIA_CONFIG", "ignored.toml"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(config.server.listen.to_string(), "0.0.0.0:443");
        assert!(!config.server.http3);
        assert_eq!(config.server.trusted_proxies.len(), 1);
        assert_eq!(config.log.format, LogFormat::Json);
    }

    #[test]
    fn unknown_field_is_named() {
        let err = load_from_str("[server]\nlisten_port = 1\n", env(&[])).unwrap_err();
        assert_eq!(err.field, "server.listen_port");
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn unknown_environment_field_is_named() {
        let err = load_from_str("", env(&[("FIDUCIA_SERVER__LISTNE", "x")])).unwrap_err();
        assert_eq!(err.field, "server.listne");
    }

    #[test]
    fn wrong_type_names_the_field_in_one_line() {
        let err = load_from_str("[server]\nlisten = \"not an address\"\n", env(&[])).unwrap_err();
        assert_eq!(err.field, "server.listen");
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn bad_toml_is_a_parse_error() {
        let err = load_from_str("[server\n", env(&[])).unwrap_err();
        assert_eq!(err.check, "parse");
    }
}
