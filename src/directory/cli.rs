//! `fiducia directory`: serve the sandbox directory and manage its organisations,
//! software and statuses. Every change writes an audit line (target `fiducia::audit`).

use super::state::{Profile, Status};
use super::{Directory, DirectoryOptions, NewOrganisation, NewSoftware, Target, credentials, server};
use crate::clock::{Clock, SystemClock};
use clap::{Args, Subcommand};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// `fiducia directory` arguments.
#[derive(Debug, Args)]
pub struct DirectoryArgs {
    /// The directory's data directory: its state (directory.json), signing key
    /// (signing.key, mode 0600), CA (pki/) and each software's certificates and keys
    /// (software/<software_id>/). Created on first use.
    #[arg(
        long,
        value_name = "DIR",
        env = "FIDUCIA_DIRECTORY_DATA",
        default_value = ".fiducia-directory",
        global = true
    )]
    pub data: PathBuf,
    #[command(subcommand)]
    pub command: DirectoryCommand,
}

/// The `fiducia directory` commands.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Serve the directory over HTTPS: GET /jwks, GET /organisations/{org_id}/status,
    /// GET /software/{software_id}/status, GET /software/{software_id}/jwks,
    /// GET /software/{software_id}/revoked-certificates and
    /// POST /software/{software_id}/ssa (mutual TLS with the software's transport
    /// certificate). SIGTERM or SIGINT stops it.
    Serve {
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", env = "FIDUCIA_DIRECTORY_LISTEN", default_value = super::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Software statements.
    Software {
        #[command(subcommand)]
        command: SoftwareCommand,
    },
    /// Revoke a software or a whole organisation: its status endpoint says Revoked and it
    /// gets no more SSAs.
    Revoke(TargetArgs),
    /// Make a revoked software or organisation Active again.
    Reinstate(TargetArgs),
    /// Revoke a software's transport certificate (its current one unless
    /// --x5t-s256 names another): listed at
    /// GET /software/{software_id}/revoked-certificates, refused for SSAs.
    RevokeCertificate {
        /// The software.
        #[arg(long, value_name = "ID")]
        software_id: String,
        /// The certificate's x5t#S256 (base64url SHA-256 of its DER).
        #[arg(long, value_name = "THUMBPRINT")]
        x5t_s256: Option<String>,
    },
    /// Issue a software a new transport certificate and key (the files in
    /// <data>/software/<software_id>/ replaced; the old certificate is not
    /// revoked by this).
    RenewCertificate {
        /// The software.
        #[arg(long, value_name = "ID")]
        software_id: String,
    },
    /// Print a fresh SSA for a software (as the operator; no certificate needed).
    Ssa {
        /// The software.
        #[arg(long, value_name = "ID")]
        software_id: String,
    },
    /// Print the directory's settings, organisations and software as JSON.
    List,
}

/// Settings stored in the data directory; given values replace the stored ones.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The SSAs' `iss` (stored; default "Fiducia Sandbox Directory").
    #[arg(long, value_name = "ID", env = "FIDUCIA_DIRECTORY_ISSUER")]
    pub issuer: Option<String>,
    /// The base URL clients reach the directory at; SSAs' software_jwks_endpoint is built
    /// from it (stored; default https://localhost:8445).
    #[arg(long, value_name = "URL", env = "FIDUCIA_DIRECTORY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Lifetime of an SSA in seconds, exp - iat (stored; default 600).
    #[arg(long, value_name = "SECS", env = "FIDUCIA_DIRECTORY_SSA_TTL_SECS")]
    pub ssa_ttl_secs: Option<u64>,
}

/// `fiducia directory org` commands.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Add an organisation (Active).
    Add {
        /// The organisation id (org_id); a new UUID when not given.
        #[arg(long, value_name = "ID")]
        org_id: Option<String>,
        /// The organisation's name (org_name; the O of its certificates).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// ISO 3166 country code (the C of its certificates); GB for uk, BR for brazil
        /// when not given.
        #[arg(long, value_name = "CC")]
        country: Option<String>,
        /// Certificate subject profile: uk (CN=software_id, OU=org_id, O, C) or brazil
        /// (adds UID=software_id and organizationIdentifier OFBBR-<org_id>).
        #[arg(long, value_enum, default_value = "uk")]
        profile: Profile,
    },
}

/// `fiducia directory software` commands.
#[derive(Debug, Subcommand)]
pub enum SoftwareCommand {
    /// Add a software statement (Active) and issue its transport and signing certificates
    /// and keys into <data>/software/<software_id>/ (keys mode 0600).
    Add {
        /// The organisation it belongs to.
        #[arg(long, value_name = "ID")]
        org_id: String,
        /// The software id (software_id; CN or UID of its certificates); a new UUID when
        /// not given.
        #[arg(long, value_name = "ID")]
        software_id: Option<String>,
        /// Display name (software_client_name).
        #[arg(long, value_name = "NAME")]
        client_name: String,
        /// A redirect URI (https); repeat for more (software_redirect_uris).
        #[arg(long = "redirect-uri", value_name = "URL", required = true)]
        redirect_uris: Vec<String>,
        /// A regulatory role, e.g. AISP, PISP, CBPII; repeat for more (software_roles).
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
    },
}

/// Which software or organisation a status change applies to.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// A software statement.
    #[arg(long, value_name = "ID")]
    pub software_id: Option<String>,
    /// An organisation (all its software with it).
    #[arg(long, value_name = "ID")]
    pub org_id: Option<String>,
}

impl TargetArgs {
    fn target(self) -> Target {
        match (self.software_id, self.org_id) {
            (Some(id), _) => Target::Software(id),
            (None, id) => Target::Organisation(id.unwrap_or_default()),
        }
    }
}

/// Runs a `fiducia directory` command; `serve` runs until `shutdown` resolves.
pub async fn run(
    args: DirectoryArgs,
    shutdown: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let clock = SystemClock;
    let options = match &args.command {
        DirectoryCommand::Serve { settings, .. } => DirectoryOptions {
            issuer: settings.issuer.clone(),
            public_url: settings.public_url.clone(),
            ssa_ttl_secs: settings.ssa_ttl_secs,
            ca_dir: None,
        },
        _ => DirectoryOptions::default(),
    };
    let directory = Directory::open(&args.data, &options)?;
    let now = clock.now_unix();
    match args.command {
        DirectoryCommand::Serve { listen, .. } => {
            let directory = Arc::new(directory);
            let server = server::start(directory.clone(), listen).await?;
            println!("{}", banner(&directory, server.addr)?);
            shutdown.await?;
            server.shutdown().await;
        }
        DirectoryCommand::Org {
            command:
                OrgCommand::Add {
                    org_id,
                    name,
                    country,
                    profile,
                },
        } => {
            let org = directory.add_organisation(
                NewOrganisation {
                    org_id,
                    org_name: name,
                    country,
                    profile,
                },
                now,
            )?;
            println!("{}", serde_json::to_string_pretty(&org)?);
        }
        DirectoryCommand::Software {
            command:
                SoftwareCommand::Add {
                    org_id,
                    software_id,
                    client_name,
                    redirect_uris,
                    roles,
                },
        } => {
            let software = directory.add_software(
                NewSoftware {
                    org_id,
                    software_id,
                    client_name,
                    redirect_uris,
                    roles,
                },
                now,
            )?;
            println!(
                "software {} added; its certificates and keys:",
                software.software_id
            );
            for file in credentials::files(&directory.software_dir(&software.software_id)) {
                println!("  {}", file.display());
            }
        }
        DirectoryCommand::Revoke(target) => {
            directory.set_status(&target.target(), Status::Revoked, now)?;
            println!("revoked");
        }
        DirectoryCommand::Reinstate(target) => {
            directory.set_status(&target.target(), Status::Active, now)?;
            println!("reinstated (Active)");
        }
        DirectoryCommand::RevokeCertificate {
            software_id,
            x5t_s256,
        } => {
            let revoked = directory.revoke_certificate(&software_id, x5t_s256.as_deref(), now)?;
            println!("revoked transport certificate {}", revoked.x5t_s256);
        }
        DirectoryCommand::RenewCertificate { software_id } => {
            let x5t = directory.renew_certificate(&software_id, now)?;
            println!("new transport certificate {x5t}");
            for file in credentials::files(&directory.software_dir(&software_id)) {
                println!("  {}", file.display());
            }
        }
        DirectoryCommand::Ssa { software_id } => {
            let (jws, _) = directory.issue_ssa(&software_id, None, now).await?;
            println!("{jws}");
        }
        DirectoryCommand::List => {
            let state = directory.state()?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "settings": state.settings,
                    "organisations": state.organisations,
                    "software": state.software.values().map(|s| serde_json::json!({
                        "software_id": s.software_id, "org_id": s.org_id, "client_name": s.client_name,
                        "status": s.status, "roles": s.roles, "redirect_uris": s.redirect_uris,
                    })).collect::<Vec<_>>(),
                }))?
            );
        }
    }
    Ok(())
}

/// The URLs of a running directory, one per line.
pub fn banner(directory: &Directory, addr: SocketAddr) -> anyhow::Result<String> {
    let settings = directory.state()?.settings;
    let url = settings.public_url.trim_end_matches('/');
    Ok([
        format!("  directory:     {url} (listening on {addr}; SSA iss \"{}\")", settings.issuer),
        format!("    jwks:        {url}/jwks"),
        format!("    SSA:         POST {url}/software/<software_id>/ssa (mTLS: the software's transport certificate)"),
        format!("    status:      {url}/software/<software_id>/status, {url}/organisations/<org_id>/status"),
        format!("    software:    {url}/software/<software_id>/jwks"),
        format!("    revoked:     {url}/software/<software_id>/revoked-certificates"),
        format!("    data:        {}", directory.data_dir().display()),
    ]
    .join("\n"))
}
