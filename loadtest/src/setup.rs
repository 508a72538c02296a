//! What a run needs to know about the OP: a config file of the load tester's
//! own, or (`--sandbox DIR`) what `fiducia sandbox` wrote into its data directory.

use crate::jose::Alg;
use anyhow::{Context, anyhow};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The setup file (TOML). Relative paths are relative to the file.
///
/// ```toml
/// issuer = "https://op.example"
/// ca = "ca.pem"
/// password_hash = "argon2id m=7168 KiB t=5 p=1"   # stated in the output
/// [mtls]                  # cc-mtls, handshake, flow-mtls
/// client_id = "fintech-1"
/// cert = "fintech.pem"
/// key = "fintech.key"
/// redirect_uri = "https://fintech.example/cb"   # flow-mtls only
/// [pkjwt]                 # cc-pkjwt, flow
/// client_id = "fintech-2"
/// key = "fintech-2.key"   # PKCS#8: P-256, Ed25519 or RSA (2048+)
/// alg = "ES256"           # of the key: ES256 (default), EdDSA or PS256; also the DPoP proofs'
/// kid = "k1"              # optional
/// redirect_uri = "https://fintech.example/cb"
/// [ciba]                  # ciba, ciba-pending (poll mode; needs [mtls] too)
/// client_id = "fintech-3"             # private_key_jwt
/// mtls_client_id = "fintech-4"        # optional: tls_client_auth with [mtls]'s certificate
/// key = "fintech-3.key"   # signs the requests (and fintech-3's assertions)
/// alg = "ES256"
/// kid = "k1"              # optional
/// scope = "openid"        # optional (default `openid`)
/// [[users]]               # flow, flow-mtls, ciba, ciba-pending (login_hint)
/// username = "alice"
/// password = "..."
/// [browser]               # flow, flow-mtls: the OP's login and consent forms
/// username_field = "username"         # default; the login form's user name field
/// password_field = "password"         # default; the login form is the one that has it
/// csrf_field = "csrf"                 # optional: the forms must carry this field
/// login_form = "#signin"              # optional: `#id`, or a submit button `name` / `name=value`
/// consent_form = "#consent"           # optional: `#id`; default the form with approve_button
/// approve_button = "decision=approve" # default; the consent form's approving submit button
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// The OP's issuer; discovery is fetched from it (OIDC Discovery §4).
    pub issuer: String,
    /// The CA that signed the OP's server certificate.
    pub ca: PathBuf,
    /// The OP's password-hash setting, for the report (the OP does not publish it).
    #[serde(default)]
    pub password_hash: Option<String>,
    /// A `tls_client_auth` client (RFC 8705 §2.1).
    #[serde(default)]
    pub mtls: Option<MtlsClient>,
    /// A `private_key_jwt` client (RFC 7523 §2.2).
    #[serde(default)]
    pub pkjwt: Option<PkjwtClient>,
    /// A CIBA poll client (OpenID Connect CIBA Core §7, §10.1).
    #[serde(default)]
    pub ciba: Option<CibaClient>,
    /// Customers who log in during `flow` and `flow-mtls` (the `login_hint`
    /// of `ciba` and `ciba-pending`), used in turn.
    #[serde(default)]
    pub users: Vec<User>,
    /// Scope of the `flow` and `flow-mtls` authorization requests. Default `openid profile email`.
    #[serde(default = "default_scope")]
    pub scope: String,
    /// How the customer's browser finds the login and consent forms.
    #[serde(default)]
    pub browser: BrowserConfig,
}

/// How `flow` and `flow-mtls` find the OP's login and consent forms
/// (`scenario/browser`). The defaults are Fiducia's pages. Every field of a
/// form the OP sends (hidden ones: a CSRF token of any name) is submitted
/// back as a browser would, so `csrf_field` is a check, not a need.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserConfig {
    /// The login form's user name field. Default `username`.
    pub username_field: String,
    /// The login form's password field; without `login_form` the login
    /// form is the first form that has it. Default `password`.
    pub password_field: String,
    /// When set, the login and consent forms must carry a non-empty field
    /// of this name (the OP's CSRF defence is there). Default none; the
    /// sandbox's `csrf`.
    pub csrf_field: Option<String>,
    /// Which form is the login form: `#id`, or the form with the submit
    /// button `name` (or `name=value`), which then submits it. Default the
    /// first form with `password_field`, submitted with its first submit button.
    pub login_form: Option<FormSelector>,
    /// Which form is the consent form: `#id` (a button selector is the same
    /// as `approve_button`). Default the first form with `approve_button`.
    pub consent_form: Option<FormSelector>,
    /// The consent form's approving submit button, `name=value` (or `name`).
    /// Default `decision=approve`.
    pub approve_button: Button,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        Self {
            username_field: "username".into(),
            password_field: "password".into(),
            csrf_field: None,
            login_form: None,
            consent_form: None,
            approve_button: Button {
                name: "decision".into(),
                value: Some("approve".into()),
            },
        }
    }
}

/// A form named by its `id` or by a submit button it has.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum FormSelector {
    Id(String),
    Button(Button),
}

impl TryFrom<String> for FormSelector {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.strip_prefix('#') {
            Some("") => Err("a form selector `#` needs an id".into()),
            Some(id) => Ok(Self::Id(id.to_string())),
            None => Button::try_from(s).map(Self::Button),
        }
    }
}

/// A submit button: its `name`, and its `value` when given (`name=value`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Button {
    pub name: String,
    pub value: Option<String>,
}

impl TryFrom<String> for Button {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (s.as_str(), None),
        };
        match name.is_empty() {
            true => Err(format!("button `{s}`: `name` or `name=value`")),
            false => Ok(Self {
                name: name.to_string(),
                value,
            }),
        }
    }
}

impl std::fmt::Display for Button {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A client authenticating with its transport certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtlsClient {
    pub client_id: String,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Where `flow-mtls` asks the customer to be sent back to.
    #[serde(default)]
    pub redirect_uri: Option<String>,
}

/// A client authenticating with a signed assertion.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PkjwtClient {
    pub client_id: String,
    pub key: PathBuf,
    /// The key's algorithm; the DPoP proofs use it too (FAPI 2.0 §5.4.1).
    #[serde(default = "default_alg", deserialize_with = "alg_name")]
    pub alg: Alg,
    #[serde(default)]
    pub kid: Option<String>,
    pub redirect_uri: String,
}

/// A CIBA poll client: its signed authentication requests (CIBA Core
/// §7.1.1) and private_key_jwt assertions use `key`; `mtls_client_id`, a
/// `tls_client_auth` client with the same request key, authenticates with
/// the `[mtls]` certificate instead (`--ciba-auth tls-client-auth`). Its
/// requests and polls go to the mTLS aliases with that certificate either
/// way, so its tokens are certificate-bound (RFC 8705 §3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CibaClient {
    pub client_id: String,
    #[serde(default)]
    pub mtls_client_id: Option<String>,
    pub key: PathBuf,
    #[serde(default = "default_alg", deserialize_with = "alg_name")]
    pub alg: Alg,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default = "default_ciba_scope")]
    pub scope: String,
}

fn default_ciba_scope() -> String {
    "openid".into()
}

/// A customer's credentials.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub username: String,
    pub password: String,
}

fn default_scope() -> String {
    "openid profile email".into()
}

fn default_alg() -> Alg {
    Alg::Es256
}

fn alg_name<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Alg, D::Error> {
    let name = String::deserialize(deserializer)?;
    <Alg as clap::ValueEnum>::from_str(&name, false)
        .map_err(|_| serde::de::Error::custom(format!("alg `{name}`: ES256, EdDSA or PS256")))
}

impl Setup {
    /// Reads a setup file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut setup: Setup =
            toml::from_str(&text).with_context(|| format!("bad setup file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        setup.ca = base.join(&setup.ca);
        if let Some(m) = setup.mtls.as_mut() {
            m.cert = base.join(&m.cert);
            m.key = base.join(&m.key);
        }
        if let Some(p) = setup.pkjwt.as_mut() {
            p.key = base.join(&p.key);
        }
        if let Some(c) = setup.ciba.as_mut() {
            c.key = base.join(&c.key);
        }
        Ok(setup)
    }

    /// Reads a `fiducia sandbox` data directory: issuer, seed users and the
    /// load-test clients from its `fiducia.toml`, the CA, the fintech's
    /// certificate and the private_key_jwt client's key for `alg` from
    /// `pki/`. The password-hash setting is the config's, overridden by
    /// `FIDUCIA_LOGIN__ARGON2_*` in `op_env` (the OP's environment) when given.
    pub fn from_sandbox(dir: &Path, op_env: &[(String, String)], alg: Alg) -> anyhow::Result<Self> {
        let file = dir.join("fiducia.toml");
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "cannot read {} (run `fiducia sandbox --data {}` first)",
                file.display(),
                dir.display()
            )
        })?;
        let config: toml::Value = toml::from_str(&text).with_context(|| format!("bad {}", file.display()))?;
        let env = |name: &str| op_env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let issuer = env("FIDUCIA_SERVER__ISSUER")
            .or_else(|| config.get("server")?.get("issuer")?.as_str().map(String::from))
            .ok_or_else(|| anyhow!("{}: no server.issuer", file.display()))?;
        let login = config.get("login");
        let users = login
            .and_then(|l| l.get("seed_users"))
            .and_then(|u| u.as_array())
            .map(|users| {
                users
                    .iter()
                    .filter_map(|u| {
                        Some(User {
                            username: u.get("username")?.as_str()?.to_string(),
                            password: u.get("password")?.as_str()?.to_string(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let argon2 = |field: &str, default: i64| {
            env(&format!("FIDUCIA_LOGIN__{}", field.to_uppercase()))
                .and_then(|v| v.parse().ok())
                .or_else(|| login?.get(field)?.as_integer())
                .unwrap_or(default)
        };
        let password_hash = format!(
            "argon2id m={} KiB t={} p={}",
            argon2("argon2_memory_kib", 19456),
            argon2("argon2_iterations", 2),
            argon2("argon2_parallelism", 1)
        );
        let redirect = |client_id: &str| -> Option<String> {
            config
                .get("clients")?
                .as_array()?
                .iter()
                .find(|c| c.get("client_id").and_then(|v| v.as_str()) == Some(client_id))?
                .get("redirect_uris")?
                .as_array()?
                .first()?
                .as_str()
                .map(String::from)
        };
        let pkjwt_redirect = redirect(SANDBOX_PKJWT)
            .ok_or_else(|| anyhow!("{}: no client {SANDBOX_PKJWT} (a data dir from an older fiducia: start over with a fresh one)", file.display()))?;
        let clients = dir.join("pki").join("clients");
        let jwks = std::fs::read_to_string(clients.join(format!("{SANDBOX_PKJWT}.jwks.json")))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        // The sandbox's JWKS holds a key per algorithm, told apart by `kty`.
        let kid = jwks.as_ref().and_then(|j| {
            j["keys"].as_array()?.iter().find(|k| k["kty"] == alg.kty())?["kid"]
                .as_str()
                .map(String::from)
        });
        let ciba_kid = jwks.as_ref().and_then(|j| {
            j["keys"].as_array()?.iter().find(|k| k["kty"] == "EC")?["kid"]
                .as_str()
                .map(String::from)
        });
        // The CIBA clients' requests are ES256 (their registered
        // backchannel_authentication_request_signing_alg).
        let ciba = config
            .get("clients")
            .and_then(|c| c.as_array())
            .is_some_and(|c| {
                c.iter()
                    .any(|c| c.get("client_id").and_then(|v| v.as_str()) == Some(SANDBOX_CIBA))
            })
            .then(|| CibaClient {
                client_id: SANDBOX_CIBA.into(),
                mtls_client_id: Some(SANDBOX_CIBA_MTLS.into()),
                key: clients.join(sandbox_key_file(Alg::Es256)),
                alg: Alg::Es256,
                kid: ciba_kid,
                scope: default_ciba_scope(),
            });
        let key = clients.join(sandbox_key_file(alg));
        if !key.exists() {
            return Err(anyhow!(
                "{}: no {} key (a data dir from an older fiducia: start over with a fresh one)",
                key.display(),
                alg.as_str()
            ));
        }
        Ok(Self {
            issuer,
            ca: dir.join("pki").join("ca.pem"),
            password_hash: Some(password_hash),
            mtls: Some(MtlsClient {
                client_id: SANDBOX_MTLS.into(),
                cert: clients.join("sandbox-fintech.pem"),
                key: clients.join("sandbox-fintech.key"),
                redirect_uri: redirect(SANDBOX_MTLS),
            }),
            pkjwt: Some(PkjwtClient {
                client_id: SANDBOX_PKJWT.into(),
                key,
                alg,
                kid,
                redirect_uri: pkjwt_redirect,
            }),
            ciba,
            users,
            scope: default_scope(),
            // Fiducia's pages, whose CSRF field is checked as it always was.
            browser: BrowserConfig {
                csrf_field: Some("csrf".into()),
                ..BrowserConfig::default()
            },
        })
    }
}

/// The sandbox's load-test clients (`src/sandbox/loadtest.rs` of the OP).
pub const SANDBOX_MTLS: &str = "sandbox-loadtest-mtls";
pub const SANDBOX_PKJWT: &str = "sandbox-loadtest-pkjwt";
pub const SANDBOX_CIBA: &str = "sandbox-loadtest-ciba";
pub const SANDBOX_CIBA_MTLS: &str = "sandbox-loadtest-ciba-mtls";

/// The sandbox's private_key_jwt key file for `alg`, in `pki/clients/`.
fn sandbox_key_file(alg: Alg) -> String {
    match alg {
        Alg::Es256 => format!("{SANDBOX_PKJWT}.key"),
        Alg::EdDsa => format!("{SANDBOX_PKJWT}-eddsa.key"),
        Alg::Ps256 => format!("{SANDBOX_PKJWT}-ps256.key"),
    }
}

/// `NAME=value` pairs of a process's environment (`/proc/PID/environ`).
pub fn process_env(pid: u32) -> Vec<(String, String)> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|bytes| {
            bytes
                .split(|b| *b == 0)
                .filter_map(|kv| {
                    let kv = String::from_utf8_lossy(kv);
                    kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "issuer = \"https://op.test\"\nca = \"ca.pem\"\n";

    #[test]
    fn the_browser_table_defaults_to_fiducias_pages() {
        let setup: Setup = toml::from_str(BASE).unwrap();
        let b = setup.browser;
        assert_eq!(
            (b.username_field.as_str(), b.password_field.as_str()),
            ("username", "password")
        );
        assert_eq!(b.approve_button.to_string(), "decision=approve");
        assert_eq!((b.csrf_field, b.login_form, b.consent_form), (None, None, None));
    }

    #[test]
    fn the_browser_table_names_other_fields_forms_and_buttons() {
        let text = format!(
            "{BASE}[browser]\nusername_field = \"user\"\npassword_field = \"pass\"\n\
             csrf_field = \"authenticity_token\"\nlogin_form = \"commit=Sign in\"\n\
             consent_form = \"#consent\"\napprove_button = \"action=accept\"\n"
        );
        let b = toml::from_str::<Setup>(&text).unwrap().browser;
        assert_eq!(b.csrf_field.as_deref(), Some("authenticity_token"));
        assert_eq!(
            b.login_form,
            Some(FormSelector::Button(Button {
                name: "commit".into(),
                value: Some("Sign in".into())
            }))
        );
        assert_eq!(b.consent_form, Some(FormSelector::Id("consent".into())));
        assert_eq!(b.approve_button.to_string(), "action=accept");
        for bad in [
            "login_form = \"#\"",
            "approve_button = \"=x\"",
            "user_field = \"u\"",
        ] {
            let text = format!("{BASE}[browser]\n{bad}\n");
            assert!(toml::from_str::<Setup>(&text).is_err(), "{bad}");
        }
    }
}
