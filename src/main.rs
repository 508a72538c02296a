//! The `fiducia` command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use fiducia::config::{self, ValidatedConfig};
use fiducia::pki::{self, ClientCertSpec, PkiInitOptions};
use fiducia::signing::cli::KeysCommand;
use fiducia::{sandbox, server, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc malloc: per-thread free lists, no
/// `malloc_consolidate` on the request path (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process (Linux `PR_SET_THP_DISABLE`,
/// what mimalloc's `MIMALLOC_ALLOW_THP=0` does), unless that variable is
/// set: with them the allocator's arenas are backed by 2 MiB pages and the
/// resident memory runs 20-30 MiB higher for no CPU gain measured
/// (docs/PERFORMANCE.md, "Transparent huge pages off").
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // Best effort: a kernel without the flag keeps its default.
        let _ = nix::sys::prctl::set_thp_disable(true);
    }
}

/// Fiducia: an OpenID Provider for open banking (FAPI 2.0, FAPI 1.0 Advanced,
/// DCR, CIBA, eKYC) with keys in an HSM.
#[derive(Parser)]
#[command(name = "fiducia", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the OP: the TLS listener (HTTP/1.1, HTTP/2, HTTP/3), the optional
    /// mTLS alias listener and the admin listener. SIGTERM or SIGINT drains
    /// in-flight requests (server.shutdown_grace_ms) and exits 0.
    Serve {
        /// Configuration file (TOML). Every field can be overridden with
        /// FIDUCIA_<SECTION>__<FIELD> environment variables.
        #[arg(long, short, env = "FIDUCIA_CONFIG", value_name = "FILE")]
        config: PathBuf,
    },
    /// Run the API gateway: an mTLS reverse proxy in front of the bank API
    /// that checks access tokens (introspection or JWT), their binding,
    /// scopes and payment consent. Reads the file's [gateway] and [log]
    /// sections only; SIGTERM or SIGINT drains and exits 0.
    Gateway {
        /// Configuration file (TOML) with a [gateway] section. Fields can be
        /// overridden with FIDUCIA_GATEWAY__<FIELD> environment variables.
        #[arg(long, short, env = "FIDUCIA_CONFIG", value_name = "FILE")]
        config: PathBuf,
    },
    /// Run the sandbox customer device: the customer's phone in the CIBA
    /// decoupled flow. It receives the OP's signed requests, shows them on
    /// a web page and a JSON API, and sends the customer's decision to the
    /// OP over mTLS. Reads the file's [device] and [log] sections only;
    /// SIGTERM or SIGINT drains and exits 0.
    Device {
        /// Configuration file (TOML) with a [device] section. Fields can be
        /// overridden with FIDUCIA_DEVICE__<FIELD> environment variables.
        #[arg(long, short, env = "FIDUCIA_CONFIG", value_name = "FILE")]
        config: PathBuf,
    },
    /// Check a configuration file (with environment overrides applied) and
    /// print the effective configuration as TOML.
    CheckConfig {
        /// Configuration file (TOML).
        #[arg(long, short, env = "FIDUCIA_CONFIG", value_name = "FILE")]
        config: PathBuf,
    },
    /// Signing keys in the PKCS#11 token (HSM): generate, list, activate,
    /// retire, rotate, destroy, export-jwks. The token, module and PIN come
    /// from the config's [signing] section (PIN from pin_file or
    /// FIDUCIA_SIGNING__PIN, never from the command line).
    Keys {
        /// Configuration file (TOML).
        #[arg(long, short, env = "FIDUCIA_CONFIG", value_name = "FILE", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Customer accounts in the store: import (JSON Lines), list, show,
    /// disable, enable, set-password. The store is the config's [store];
    /// stop the OP first (the embedded store is one process's).
    Users {
        /// Configuration file (TOML).
        #[arg(long, short, env = "FIDUCIA_CONFIG", value_name = "FILE", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: fiducia::login::customers::cli::UsersCommand,
    },
    /// The Config API of a running OP, over TLS: keys, the effective
    /// configuration, the audit trail (prints JSON; exits 2 with the
    /// problem's text when refused).
    Admin(fiducia::admin_cli::AdminArgs),
    /// The audit trail in the store: verify (every hash link and
    /// checkpoint signature; names the first bad record), export --since
    /// (JSON Lines for a SIEM). The store is the config's [store]; with the
    /// embedded store stop the OP first (it is one process's).
    Audit {
        /// Configuration file (TOML).
        #[arg(long, short, env = "FIDUCIA_CONFIG", value_name = "FILE", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: fiducia::signing::audit_cli::AuditCommand,
    },
    /// Development and sandbox certificates.
    Pki {
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// The sandbox regulatory directory: organisations, software, their
    /// certificates, statuses and signed software statement assertions (SSAs).
    Directory(fiducia::directory::cli::DirectoryArgs),
    /// Demonstrations against a running sandbox: `fiducia demo payment`
    /// plays a fintech's first payment from onboarding to the new balance.
    Demo {
        #[command(subcommand)]
        command: fiducia::demo::DemoCommand,
    },
    /// Start the sandbox: on first run, write a config and a development PKI
    /// into the data directory and register a sample organisation and software
    /// in the sandbox directory; then serve the OP, the directory (port
    /// 8445), the API gateway (8446), the sample bank API behind it
    /// (8447), the customer device (8448) and the bank's login-and-consent
    /// app (8449), and print their URLs and the
    /// CA path.
    Sandbox {
        /// Where the sandbox keeps its config, certificates and keys.
        #[arg(long, value_name = "DIR", default_value = ".fiducia")]
        data: PathBuf,
        /// Where the sandbox directory listens; its URLs are
        /// https://localhost:<port>.
        #[arg(
            long,
            value_name = "ADDR",
            env = "FIDUCIA_DIRECTORY_LISTEN",
            default_value = sandbox::SANDBOX_DIRECTORY_LISTEN
        )]
        directory_listen: std::net::SocketAddr,
        /// Where the API gateway listens (fintechs call it); its URL is
        /// https://localhost:<port>.
        #[arg(
            long,
            value_name = "ADDR",
            env = "FIDUCIA_SANDBOX_GATEWAY_LISTEN",
            default_value = sandbox::SANDBOX_GATEWAY_LISTEN
        )]
        gateway_listen: std::net::SocketAddr,
        /// The gateway's plain-HTTP admin listener.
        #[arg(
            long,
            value_name = "ADDR",
            env = "FIDUCIA_SANDBOX_GATEWAY_ADMIN_LISTEN",
            default_value = sandbox::SANDBOX_GATEWAY_ADMIN_LISTEN
        )]
        gateway_admin_listen: std::net::SocketAddr,
        /// Where the sample bank API listens (only the gateway may call it).
        #[arg(
            long,
            value_name = "ADDR",
            env = "FIDUCIA_SANDBOX_BANK_LISTEN",
            default_value = sandbox::SANDBOX_BANK_LISTEN
        )]
        bank_listen: std::net::SocketAddr,
        /// Where the customer device listens (its page, its JSON API and
        /// the OP's CIBA notifications); its URL is https://localhost:<port>.
        #[arg(
            long,
            value_name = "ADDR",
            env = "FIDUCIA_SANDBOX_DEVICE_LISTEN",
            default_value = sandbox::SANDBOX_DEVICE_LISTEN
        )]
        device_listen: std::net::SocketAddr,
        /// Where the bank's login-and-consent app listens (the OP sends
        /// the browser of client sandbox-fintech-app there); its URL is
        /// https://localhost:<port>/login.
        #[arg(
            long,
            value_name = "ADDR",
            env = "FIDUCIA_SANDBOX_LOGIN_APP_LISTEN",
            default_value = sandbox::SANDBOX_LOGIN_APP_LISTEN
        )]
        login_app_listen: std::net::SocketAddr,
        /// Run the OP as N `fiducia serve` nodes behind HAProxy (TCP
        /// passthrough on the issuer's listeners, health checks on each
        /// node's /readyz) sharing one PostgreSQL server kept in
        /// <DIR>/cluster/postgres. Needs the Debian packages `haproxy` and
        /// `postgresql`. HTTP/3 is not balanced. A node that exits is
        /// started again (rolling restarts: SIGTERM one node at a time; pids
        /// in <DIR>/cluster/node-<n>.pid).
        #[arg(long, value_name = "N")]
        nodes: Option<usize>,
        /// With --nodes: HAProxy sends a PROXY protocol v2 header on every
        /// connection and the nodes require one from 127.0.0.1
        /// ([server] proxy_protocol, trusted_proxies).
        #[arg(
            long,
            value_name = "BOOL",
            env = "FIDUCIA_SANDBOX_PROXY_PROTOCOL",
            default_value_t = sandbox::cluster::DEFAULT_PROXY_PROTOCOL,
            action = clap::ArgAction::Set
        )]
        proxy_protocol: bool,
        /// With --nodes: each node's [server] drain_delay_ms (0: not set),
        /// how long a SIGTERM-ed node keeps serving with /readyz at 503
        /// before its graceful shutdown.
        #[arg(
            long,
            value_name = "MS",
            env = "FIDUCIA_SANDBOX_DRAIN_DELAY_MS",
            default_value_t = sandbox::cluster::DEFAULT_DRAIN_DELAY_MS
        )]
        drain_delay_ms: u64,
    },
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Create a development CA, a server certificate and client transport
    /// certificates (keys are written with mode 0600).
    Init {
        /// Output directory: ca.pem, ca.key, server.pem, server.key,
        /// clients/<software_id>.pem and .key.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Subject alternative name of the server certificate (DNS name or IP
        /// address); repeat for more. Default: localhost, 127.0.0.1, ::1.
        #[arg(long = "san", value_name = "NAME")]
        sans: Vec<String>,
        /// A client transport certificate to issue, as
        /// software_id=ID,org_id=ORG[,org=NAME][,c=CC][,org_identifier=OFBBR-ORG]
        /// (subject CN=software_id, OU=org_id, O, C, and organizationIdentifier
        /// 2.5.4.97 when given). Repeat for more.
        #[arg(long = "client", value_name = "SPEC")]
        clients: Vec<String>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(config_error) = e.downcast_ref::<config::ConfigError>() {
                eprintln!("fiducia: {config_error}");
            } else {
                eprintln!("fiducia: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { config } => {
            let validated = load_config(&config)?;
            reexec_with_softhsm_conf(validated.get().signing.softhsm_conf.as_deref())?;
            telemetry::init(&validated.get().log);
            runtime()?.block_on(async {
                let signal = shutdown_signal()?;
                let handle = server::start(validated).await?;
                signal.await;
                handle.shutdown().await;
                Ok(())
            })
        }
        Command::Gateway { config } => {
            let (raw, base) = config::load(Some(&config))?;
            let gateway = raw
                .gateway
                .ok_or_else(|| {
                    config::ConfigError::new("gateway", "gateway", "the file has no [gateway] section")
                })?
                .validate(&base)?;
            telemetry::init(&raw.log);
            runtime()?.block_on(async {
                let signal = shutdown_signal()?;
                let handle = fiducia::gateway::start(gateway).await?;
                signal.await;
                handle.shutdown().await;
                Ok(())
            })
        }
        Command::Device { config } => {
            let (raw, base) = config::load(Some(&config))?;
            let device = raw
                .device
                .ok_or_else(|| {
                    config::ConfigError::new("device", "device", "the file has no [device] section")
                })?
                .validate(&base)?;
            telemetry::init(&raw.log);
            runtime()?.block_on(async {
                let signal = shutdown_signal()?;
                let device = sandbox::device::start(device).await?;
                println!(
                    "Fiducia sandbox customer device: https://localhost:{}/",
                    device.addr.port()
                );
                signal.await;
                device.shutdown().await;
                Ok(())
            })
        }
        Command::Keys { config, command } => {
            let config = config.context("--config FILE (or FIDUCIA_CONFIG) names the token to manage")?;
            let validated = load_config(&config)?;
            reexec_with_softhsm_conf(validated.get().signing.softhsm_conf.as_deref())?;
            telemetry::init(&validated.get().log);
            fiducia::signing::cli::run(&validated, command)
        }
        Command::Users { config, command } => {
            let config = config.context("--config FILE (or FIDUCIA_CONFIG) names the store")?;
            let validated = load_config(&config)?;
            telemetry::init(&validated.get().log);
            runtime()?.block_on(fiducia::login::customers::cli::run(&validated, command))
        }
        Command::Admin(args) => runtime()?.block_on(fiducia::admin_cli::run(args)),
        Command::Audit { config, command } => {
            let config = config.context("--config FILE (or FIDUCIA_CONFIG) names the store")?;
            let validated = load_config(&config)?;
            reexec_with_softhsm_conf(validated.get().signing.softhsm_conf.as_deref())?;
            telemetry::init(&validated.get().log);
            let intact = runtime()?.block_on(fiducia::signing::audit_cli::run(&validated, command))?;
            if !intact {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Directory(args) => {
            telemetry::init(&config::LogConfig::default());
            runtime()?.block_on(async {
                let signal = shutdown_signal()?;
                fiducia::directory::cli::run(args, async {
                    signal.await;
                    Ok(())
                })
                .await
            })
        }
        Command::Demo { command } => runtime()?.block_on(fiducia::demo::run(command)),
        Command::CheckConfig { config } => {
            let validated = load_config(&config)?;
            println!("{}", toml::to_string(validated.get())?);
            Ok(())
        }
        Command::Pki {
            command:
                PkiCommand::Init {
                    out,
                    sans,
                    clients,
                    force,
                },
        } => {
            let clients = clients
                .iter()
                .map(|spec| ClientCertSpec::parse(spec))
                .collect::<Result<Vec<_>, _>>()?;
            let sans = if sans.is_empty() {
                vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
            } else {
                sans
            };
            let paths = pki::init(&PkiInitOptions {
                out_dir: out,
                server_sans: sans,
                clients,
                force,
            })?;
            println!("CA certificate:     {}", paths.ca_cert.display());
            println!("CA key:             {}", paths.ca_key.display());
            println!("server certificate: {}", paths.server_cert.display());
            println!("server key:         {}", paths.server_key.display());
            for client in &paths.clients {
                println!(
                    "client {}: {} (key {})",
                    client.software_id,
                    client.cert.display(),
                    client.key.display()
                );
            }
            Ok(())
        }
        Command::Sandbox {
            data,
            directory_listen,
            gateway_listen,
            gateway_admin_listen,
            bank_listen,
            device_listen,
            login_app_listen,
            nodes,
            proxy_protocol,
            drain_delay_ms,
        } => {
            reexec_with_softhsm_conf(Some(&sandbox::softhsm_conf(&data)))?;
            let (layout, validated) = sandbox::prepare(
                &data,
                &sandbox::directory_url(directory_listen),
                device_listen,
                login_app_listen,
            )?;
            telemetry::init(&validated.get().log);
            runtime()?.block_on(async {
                let signal = shutdown_signal()?;
                let op = match nodes {
                    None => SandboxOp::Node(Box::new(server::start(validated.clone()).await?)),
                    Some(nodes) => {
                        let options = sandbox::cluster::ClusterOptions {
                            nodes,
                            proxy_protocol,
                            drain_delay_ms,
                        };
                        SandboxOp::Cluster(sandbox::cluster::start(&layout, &validated, &options).await?)
                    }
                };
                let op_lines = match &op {
                    SandboxOp::Node(handle) => sandbox::node_lines(handle),
                    SandboxOp::Cluster(cluster) => cluster.banner_lines(),
                };
                let directory = sandbox::start_directory(&layout, directory_listen).await?;
                let bank = sandbox::start_bank_and_gateway(
                    &layout,
                    &validated,
                    gateway_listen,
                    gateway_admin_listen,
                    bank_listen,
                )
                .await?;
                let device = sandbox::start_device(&layout, &validated, device_listen).await?;
                let login_app = sandbox::start_login_app(&layout, &validated, login_app_listen).await?;
                let mut endpoints = sandbox::SandboxEndpoints::of(&layout, &validated, &directory, &bank)?;
                endpoints.device_url = sandbox::device_url(device.addr);
                endpoints.login_app_url = sandbox::login_app_url(login_app.addr);
                endpoints.write(&layout.data_dir)?;
                println!(
                    "{}",
                    sandbox::banner(
                        &layout,
                        &validated,
                        &op_lines,
                        &directory,
                        &bank,
                        device.addr,
                        login_app.addr
                    )?
                );
                signal.await;
                login_app.shutdown().await;
                device.shutdown().await;
                bank.shutdown().await;
                directory.server.shutdown().await;
                match op {
                    SandboxOp::Node(handle) => handle.shutdown().await,
                    SandboxOp::Cluster(cluster) => cluster.shutdown().await,
                }
                Ok(())
            })
        }
    }
}

/// The sandbox's OP: one in-process node, or a cluster of child processes.
enum SandboxOp {
    Node(Box<server::ServerHandle>),
    Cluster(sandbox::cluster::Cluster),
}

/// SoftHSM reads SOFTHSM2_CONF once, when loaded: when the config (or the
/// sandbox) names another file than the environment does, run again with it
/// in the environment.
fn reexec_with_softhsm_conf(conf: Option<&std::path::Path>) -> anyhow::Result<()> {
    let Some(conf) = conf else { return Ok(()) };
    let conf = std::path::absolute(conf).unwrap_or_else(|_| conf.to_path_buf());
    if fiducia_hsm::pkcs11::softhsm::softhsm_module().is_none()
        || std::env::var_os("SOFTHSM2_CONF").map(PathBuf::from) == Some(conf.clone())
    {
        return Ok(());
    }
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().context("cannot find the fiducia executable")?;
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("SOFTHSM2_CONF", conf)
        .exec();
    Err(error).context("cannot re-execute fiducia with SOFTHSM2_CONF")
}

fn load_config(path: &std::path::Path) -> anyhow::Result<ValidatedConfig> {
    let (raw, base) = config::load(Some(path))?;
    Ok(config::validate(raw, &base)?)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("fiducia")
        .build()
        .context("cannot start the tokio runtime")
}

/// Listens for SIGTERM and SIGINT from now on (before start-up, so that a
/// signal sent as soon as the process serves is not the default action),
/// and resolves on the first.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    Ok(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "shutting down gracefully");
    })
}
