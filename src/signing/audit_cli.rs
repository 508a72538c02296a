//! `fiducia audit verify|export`: the audit trail in the store named by the
//! config's `[store]`.
//!
//! The embedded store is one process's: a running OP holds fjall's lock
//! file, and opening it here fails before anything is written
//! (`store::embedded`: "the store is in use by a running OP; stop it
//! first"), as for `fiducia users`. Against PostgreSQL or FoundationDB the
//! commands run beside the OPs. Checkpoint signatures are checked against
//! every key the HSM token holds (retired ones included: old checkpoints
//! were signed with them), or the software key, and any `--jwks` files
//! (e.g. JWKS archived with exported records).

use super::{rotation_policy, token_config};
use crate::config::{SigningBackend, ValidatedConfig};
use crate::store::audit::{read, verify};
use anyhow::Context;
use clap::Subcommand;
use fiducia_hsm::pkcs11::admin::KeyAdmin;
use fiducia_hsm::{Jwks, PublicJwk, Signer, SoftwareSigner};
use std::io::Write;
use std::path::PathBuf;

/// The audit trail commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every chain, check every hash link and every checkpoint
    /// signature; name the first bad record of each chain. Exits 1 when
    /// anything is wrong.
    Verify {
        /// Also accept checkpoints signed by the keys of this JWK Set file
        /// (repeatable).
        #[arg(long, value_name = "FILE")]
        jwks: Vec<PathBuf>,
    },
    /// Write the records since a time as JSON Lines, oldest first, each
    /// line a record's canonical bytes (what the next record of its chain
    /// hashes), for a SIEM.
    Export {
        /// RFC 3339 time, e.g. `2026-12-01T00:00:00Z`.
        #[arg(long, value_name = "TIME")]
        since: String,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Runs `command` against the configured store.
pub async fn run(config: &ValidatedConfig, command: AuditCommand) -> anyhow::Result<bool> {
    let c = config.get();
    let store = crate::store::open(&c.store)
        .await
        .context("cannot open the store")?;
    let result = with_store(config, &store, command).await;
    store.close().await;
    result
}

async fn with_store(
    config: &ValidatedConfig,
    store: &crate::store::kv::Store,
    command: AuditCommand,
) -> anyhow::Result<bool> {
    // Refuses a store of another schema version (and migrates an older one,
    // as the OP would on start).
    crate::store::repo::Repo::open(store.clone())
        .await
        .context("the store")?;
    match command {
        AuditCommand::Verify { jwks } => {
            let mut keys = op_keys(config)?;
            for path in &jwks {
                keys.extend(jwks_file(path)?);
            }
            let report = verify::verify(store, &keys).await?;
            let mut out = std::io::stdout().lock();
            for finding in &report.findings {
                let _ = writeln!(out, "{finding}");
            }
            let _ = writeln!(
                out,
                "{}: {} records, {} checkpoints",
                if report.is_intact() { "intact" } else { "TAMPERED" },
                report.records,
                report.checkpoints
            );
            Ok(report.is_intact())
        }
        AuditCommand::Export { since, out } => {
            let since = parse_rfc3339(&since)?;
            let records = read::since(store, since, 0).await?;
            let mut sink: Box<dyn Write> = match &out {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            for record in &records {
                sink.write_all(&record.bytes)?;
                sink.write_all(b"\n")?;
            }
            sink.flush()?;
            Ok(true)
        }
    }
}

/// Unix seconds of an RFC 3339 time.
pub fn parse_rfc3339(text: &str) -> anyhow::Result<u64> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("--since `{text}` is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)"))?;
    u64::try_from(at.unix_timestamp()).context("--since is before 1970")
}

/// Every public key the OP has signed with: all key records of the token
/// (PKCS#11), or the software key from its file.
fn op_keys(config: &ValidatedConfig) -> anyhow::Result<Vec<PublicJwk>> {
    let signing = &config.get().signing;
    match signing.backend {
        SigningBackend::Pkcs11 => {
            let admin = KeyAdmin::new(token_config(signing)?, rotation_policy(signing));
            Ok(admin.load()?.records.into_iter().map(|r| r.jwk).collect())
        }
        SigningBackend::Software => match &signing.software_key_file {
            Some(path) if path.exists() => {
                let pem = std::fs::read_to_string(path)
                    .with_context(|| format!("signing.software_key_file: cannot read {}", path.display()))?;
                let signer = SoftwareSigner::from_pkcs8_pem(signing.alg, &pem)
                    .with_context(|| format!("signing.software_key_file: {}", path.display()))?;
                Ok(vec![signer.public_jwk().clone()])
            }
            // A software key kept only in memory died with its OP.
            _ => Ok(Vec::new()),
        },
    }
}

fn jwks_file(path: &PathBuf) -> anyhow::Result<Vec<PublicJwk>> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let jwks: Jwks =
        serde_json::from_slice(&text).with_context(|| format!("{} is not a JWK Set", path.display()))?;
    Ok(jwks.keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_rfc_3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:01:40Z").unwrap(), 100);
        assert_eq!(parse_rfc3339("2026-12-07T01:00:00+01:00").unwrap(), 1_796_601_600);
        assert!(parse_rfc3339("2026-12-07").is_err());
        assert!(parse_rfc3339("1969-12-31T23:59:59Z").is_err());
    }
}
