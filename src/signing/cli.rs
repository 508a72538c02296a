//! `fiducia keys ...`: key lifecycle commands for the security team. They
//! act on the PKCS#11 token named in the config's `[signing]` section; each
//! writes an audit line (who, what, kid, when) and none prints a PIN.

use super::{rotation_policy, token_config};
use crate::clock::{Clock, SystemClock};
use crate::config::{SigningBackend, ValidatedConfig};
use anyhow::Context;
use clap::Subcommand;
use fiducia_hsm::JoseAlg;
use fiducia_hsm::pkcs11::admin::KeyAdmin;
use fiducia_hsm::pkcs11::lifecycle::KeyRecord;

/// Default RSA modulus size for PS256 keys.
const DEFAULT_RSA_BITS: u64 = 3072;

/// The key commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a key inside the token (state `next`: published, not signing).
    Generate {
        /// ES256, PS256 or EdDSA.
        #[arg(long)]
        alg: JoseAlg,
        /// RSA modulus size for PS256 (at least 2048).
        #[arg(long, default_value_t = DEFAULT_RSA_BITS)]
        bits: u64,
    },
    /// List keys: kid, alg, state, created, activated, retire-after.
    List,
    /// Make a `next` key active (it must have been made at least
    /// signing.key_refresh_secs + signing.jwks_cache_ttl_secs ago, so every
    /// node has published it for the JWKS cache time, unless it is the
    /// algorithm's first key);
    /// the active key of its algorithm starts retiring.
    Activate {
        /// The key id.
        kid: String,
    },
    /// Take a key out of the JWKS: a `next` key, or a `retiring` key once its
    /// tokens have expired. Its objects stay in the token until `destroy`.
    Retire {
        /// The key id.
        kid: String,
    },
    /// One rotation step: retire keys whose time has come, activate the
    /// waiting `next` key when it has been published long enough, and
    /// generate a new `next` key. Run it on a schedule.
    Rotate {
        /// ES256, PS256 or EdDSA.
        #[arg(long)]
        alg: JoseAlg,
        /// RSA modulus size for a new PS256 key.
        #[arg(long, default_value_t = DEFAULT_RSA_BITS)]
        bits: u64,
    },
    /// Destroy a retired key's objects in the token. Irreversible.
    Destroy {
        /// The key id.
        kid: String,
    },
    /// Print the JWKS the OP publishes now.
    ExportJwks,
}

/// Runs a key command against the configured token.
pub fn run(config: &ValidatedConfig, command: KeysCommand) -> anyhow::Result<()> {
    let signing = &config.get().signing;
    if signing.backend != SigningBackend::Pkcs11 {
        anyhow::bail!(
            "signing.backend is `software`: key commands manage PKCS#11 keys (set backend = \"pkcs11\")"
        );
    }
    let admin = KeyAdmin::new(token_config(signing)?, rotation_policy(signing));
    let who = operator();
    let now = SystemClock.now_unix();
    match command {
        KeysCommand::Generate { alg, bits } => {
            let record = admin.generate(alg, bits, &who, now)?;
            println!("generated {} {} (next)", record.alg(), record.kid());
        }
        KeysCommand::List => print_table(&admin.load()?.records),
        KeysCommand::Activate { kid } => {
            admin.activate(&kid, &who, now)?;
            println!("activated {kid}");
        }
        KeysCommand::Retire { kid } => {
            admin.retire(&kid, &who, now)?;
            println!("retired {kid}");
        }
        KeysCommand::Rotate { alg, bits } => {
            let outcome = admin.rotate(alg, bits, &who, now)?;
            for kid in &outcome.retired {
                println!("retired {kid}");
            }
            if let Some(kid) = &outcome.retiring {
                println!("retiring {kid}");
            }
            if let Some(kid) = &outcome.activated {
                println!("activated {kid}");
            }
            if outcome.needs_next {
                println!("generated a new next {alg} key");
            }
        }
        KeysCommand::Destroy { kid } => {
            admin.destroy(&kid, &who, now)?;
            println!("destroyed {kid}");
        }
        KeysCommand::ExportJwks => {
            println!(
                "{}",
                serde_json::to_string_pretty(&admin.export_jwks(now)?).context("JWKS")?
            );
        }
    }
    Ok(())
}

/// Who runs the command, for the audit line.
fn operator() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .or_else(|| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata("/proc/self")
                .ok()
                .map(|m| format!("uid:{}", m.uid()))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn print_table(records: &[KeyRecord]) {
    let time = |t: Option<u64>| t.map_or_else(|| "-".to_string(), format_unix);
    println!(
        "{:<43}  {:<5}  {:<8}  {:<20}  {:<20}  retire-after",
        "kid", "alg", "state", "created", "activated"
    );
    for r in records {
        println!(
            "{:<43}  {:<5}  {:<8}  {:<20}  {:<20}  {}",
            r.kid(),
            r.alg().as_str(),
            r.state.as_str(),
            format_unix(r.created),
            time(r.activated),
            time(r.retire_after)
        );
    }
}

fn format_unix(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
}
