//! `fiducia users ...`: customer accounts in the store named by the
//! config's `[store]`, with the `[login]` argon2id settings.
//!
//! The embedded store is one process's: a running OP holds fjall's lock
//! file, and opening it here fails before anything in the directory is
//! written (`store::embedded`), with "the store is in use by a running OP;
//! stop it first". A running OP's customers are changed through the
//! Config API's `/customers` (`service.rs`, `fiducia admin customers`).

use super::{check, manage, writer};
use crate::clock::{Clock, SystemClock};
use crate::config::ValidatedConfig;
use crate::login::password::PasswordHasher;
use crate::login::users::Users;
use crate::store::repo::{GrantRevocation, Repo};
use anyhow::Context;
use clap::Subcommand;
use std::io::Read;
use std::path::PathBuf;

/// Prints a line to standard output; a closed pipe (`| head`) ends the
/// output quietly instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// The customer account commands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Import customers from a JSON Lines file (one customer per line;
    /// README.md "Customer accounts"). Every line is checked before
    /// anything is written; a file with any problem imports nothing.
    Import {
        /// The file (`-` for standard input).
        file: PathBuf,
        /// Check the file against the store and stop before writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List customers: username, sub, name, disabled, verified claim sets.
    List {
        /// Most customers to list.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Start after this username (the last one of the previous page).
        #[arg(long, value_name = "USERNAME")]
        after: Option<String>,
    },
    /// Print one customer as JSON (the password hash redacted).
    Show {
        /// The username.
        username: String,
    },
    /// Disable a customer: they can no longer sign in and every grant,
    /// code and token issued for them is revoked.
    Disable {
        /// The username.
        username: String,
    },
    /// Enable a disabled customer (revoked grants stay revoked).
    Enable {
        /// The username.
        username: String,
    },
    /// Set a customer's password, read from standard input (never from the
    /// command line); one trailing newline is dropped.
    SetPassword {
        /// The username.
        username: String,
    },
    /// Print the username that links a customer to the `[login.upstream]`
    /// OpenID Provider's `sub` (`login::upstream_link`): a customer given
    /// this username (e.g. by `import`) signs in there. Needs no store.
    UpstreamLink {
        /// The provider's `sub` of the customer.
        sub: String,
    },
    /// The customer's second factor (TOTP, RFC 6238).
    Totp {
        /// What to do.
        #[command(subcommand)]
        command: TotpCommand,
    },
}

/// `fiducia users totp ...`.
#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// Enrol a new TOTP secret for the customer (replacing any enrolled
    /// one) and print it once, as an `otpauth://` URI and as base32, for
    /// the customer's authenticator app (HMAC-SHA-1, 6 digits, 30 s).
    Enrol {
        /// The username.
        username: String,
    },
    /// Remove the customer's TOTP factor (payments and requests demanding
    /// SCA are then refused until a new one is enrolled).
    Remove {
        /// The username.
        username: String,
    },
}

/// Runs `command` against the configured store.
pub async fn run(config: &ValidatedConfig, command: UsersCommand) -> anyhow::Result<()> {
    let config = config.get();
    if let UsersCommand::UpstreamLink { sub } = &command {
        say!("{}", upstream_link(config, sub)?);
        return Ok(());
    }
    let store = crate::store::open(&config.store)
        .await
        .context("cannot open the store")?;
    let result = with_store(config, store.clone(), command).await;
    store.close().await;
    result
}

/// The link username of the configured upstream provider's `sub`.
fn upstream_link(config: &crate::config::Config, sub: &str) -> anyhow::Result<String> {
    let upstream = config
        .login
        .upstream
        .as_ref()
        .context("no [login.upstream] is configured")?;
    Ok(crate::login::upstream_link::link_username(&upstream.issuer, sub))
}

async fn with_store(
    config: &crate::config::Config,
    store: crate::store::kv::Store,
    command: UsersCommand,
) -> anyhow::Result<()> {
    let repo = Repo::open(store).await.context("the store")?;
    let hasher = PasswordHasher::from_config(&config.login).context("the [login] argon2 settings")?;
    let users = Users::new(repo, hasher);
    let now = SystemClock.now_unix();
    let no_such = |username: &str| anyhow::anyhow!("no customer with the username `{username}`");
    match command {
        UsersCommand::Import { file, dry_run } => import(config, &users, &file, dry_run, now).await,
        UsersCommand::List { limit, after } => {
            let rows = manage::list(&users, after.as_deref(), limit, now).await?;
            say!(
                "{:<32}  {:<36}  {:<32}  {:<8}  verified",
                "username",
                "sub",
                "name",
                "disabled"
            );
            for r in &rows {
                say!(
                    "{:<32}  {:<36}  {:<32}  {:<8}  {}",
                    r.username,
                    r.sub,
                    r.name,
                    if r.disabled { "yes" } else { "no" },
                    r.verified_sets
                );
            }
            Ok(())
        }
        UsersCommand::Show { username } => {
            let user = users
                .find_any_by_username(&username, now)
                .await?
                .ok_or_else(|| no_such(&username))?;
            say!("{}", serde_json::to_string_pretty(&manage::shown(&user))?);
            Ok(())
        }
        UsersCommand::Disable { username } => {
            let revocation = GrantRevocation {
                cause: crate::store::repo::RevocationCause::CustomerDisabled,
                now,
                keep_secs: config.tokens.revocation_marker_secs(),
            };
            let revoked = manage::disable(&users, &username, revocation)
                .await?
                .ok_or_else(|| no_such(&username))?;
            tracing::info!(target: "fiducia::audit", username = %username, revoked, "customer disabled");
            say!("disabled {username}; revoked {revoked} grants, codes, tokens and pending requests");
            Ok(())
        }
        UsersCommand::Enable { username } => {
            if !manage::enable(&users, &username, now).await? {
                return Err(no_such(&username));
            }
            tracing::info!(target: "fiducia::audit", username = %username, "customer enabled");
            say!("enabled {username}");
            Ok(())
        }
        UsersCommand::SetPassword { username } => {
            let mut password = String::new();
            std::io::stdin()
                .take(crate::protocol::credentials::MAX_PASSWORD_BYTES as u64 + 3)
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password
                .strip_suffix('\n')
                .map(|p| p.strip_suffix('\r').unwrap_or(p))
                .unwrap_or(&password);
            if !manage::set_password(&users, &username, password, now).await? {
                return Err(no_such(&username));
            }
            tracing::info!(target: "fiducia::audit", username = %username, "customer password set");
            say!("password set for {username}");
            Ok(())
        }
        UsersCommand::Totp {
            command: TotpCommand::Enrol { username },
        } => {
            let Some(secret) = manage::enrol_totp(&users, &username, now).await? else {
                return Err(no_such(&username));
            };
            // The one place the secret is ever shown: for the customer's
            // authenticator. The audit line names the account only.
            tracing::info!(target: "fiducia::audit", username = %username, fingerprint = %crate::protocol::totp::fingerprint(&secret), "customer TOTP factor enrolled");
            let label = &config.login.totp.issuer_label;
            say!(
                "{}",
                crate::protocol::totp::otpauth_uri(label, &username, &secret)
            );
            say!(
                "secret (base32): {}",
                crate::protocol::totp::base32_encode(&secret)
            );
            Ok(())
        }
        UsersCommand::Totp {
            command: TotpCommand::Remove { username },
        } => {
            if !manage::remove_totp(&users, &username, now).await? {
                return Err(no_such(&username));
            }
            tracing::info!(target: "fiducia::audit", username = %username, "customer TOTP factor removed");
            say!("TOTP factor removed for {username}");
            Ok(())
        }
        UsersCommand::UpstreamLink { sub } => {
            say!("{}", upstream_link(config, &sub)?);
            Ok(())
        }
    }
}

async fn import(
    config: &crate::config::Config,
    users: &Users,
    file: &std::path::Path,
    dry_run: bool,
    now: u64,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let parsed = if file.as_os_str() == "-" {
        check::parse_file(std::io::stdin().lock(), &config.login)
    } else {
        let opened = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        check::parse_file(std::io::BufReader::with_capacity(1 << 20, opened), &config.login)
    }
    .with_context(|| format!("cannot read {}", file.display()))?;
    let checked = parsed?;
    check::against_store(users.repo(), &checked, now).await??;
    let count = checked.len();
    eprintln!(
        "checked {count} customers in {:.1} s: no problems",
        started.elapsed().as_secs_f64()
    );
    if dry_run {
        say!("dry run: {count} customers would be imported");
        return Ok(());
    }
    // As many hashes in flight as the hasher's queue holds, at most 256.
    let parallel = config.login.argon2_queue_depth.clamp(1, 256);
    let written = writer::write(users, checked, parallel, now, |done| {
        if done % 10_000 < writer::BATCH_RECORDS {
            eprintln!("  {done} written");
        }
    })
    .await?;
    let revocation = GrantRevocation {
        cause: crate::store::repo::RevocationCause::CustomerDisabled,
        now,
        keep_secs: config.tokens.revocation_marker_secs(),
    };
    for account_id in &written.newly_disabled {
        manage::revoke_all(users, account_id, revocation).await?;
    }
    tracing::info!(target: "fiducia::audit", created = written.created, updated = written.updated, disabled = written.newly_disabled.len(), "customers imported");
    say!(
        "imported {count} customers ({} new, {} updated) in {} transactions, {:.1} s",
        written.created,
        written.updated,
        written.batches,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    /// `users upstream-link`: the username `login::upstream_link` links to
    /// the configured provider's `sub`; without `[login.upstream]`, an error.
    #[test]
    fn the_upstream_link_is_the_configured_providers() {
        let text = "[login.upstream]\nissuer = \"https://idp.example\"\nclient_id = \"op\"\n";
        let config = crate::config::load_from_str(text, Vec::new()).unwrap();
        assert_eq!(
            super::upstream_link(&config, "123").unwrap(),
            crate::login::upstream_link::link_username("https://idp.example", "123")
        );
        let none = crate::config::load_from_str("", Vec::new()).unwrap();
        assert!(super::upstream_link(&none, "123").is_err());
    }
}
