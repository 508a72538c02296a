//! `fiducia-loadtest`: a load generator for OpenID Providers. Scenarios use
//! only what the standards publish (discovery, PAR, token, userinfo, RFC 8705
//! aliases), so besides Fiducia it drives any FAPI 2.0 OP whose login and
//! consent pages are HTML forms, their names set in the setup file's
//! `[browser]` table (`scenario/browser/`); `--sandbox DIR` reads a
//! `fiducia sandbox` data dir.

pub mod http;
pub mod jose;
pub mod proc;
pub mod report;
pub mod run;
pub mod scenario;
pub mod setup;
pub mod stats;
pub mod targets;
pub mod verify;

use anyhow::anyhow;
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// Command line of `fiducia-loadtest`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "fiducia-loadtest",
    version,
    about = "Load generator for OpenID Providers (FAPI 2.0)"
)]
pub struct Args {
    /// What one operation is.
    #[arg(long, value_enum)]
    pub scenario: scenario::Scenario,
    /// A setup file (issuer, CA, clients, users); see `setup.rs`.
    #[arg(long, conflicts_with = "sandbox", required_unless_present = "sandbox")]
    pub config: Option<PathBuf>,
    /// A `fiducia sandbox --data` directory instead of a setup file.
    #[arg(long)]
    pub sandbox: Option<PathBuf>,
    /// The algorithm of the client assertions and DPoP proofs (FAPI 2.0
    /// §5.4.1): with --sandbox, the sandbox client's key of that algorithm;
    /// with --config, overrides `[pkjwt] alg` (the key must be of it).
    /// Default ES256.
    #[arg(long, value_enum)]
    pub alg: Option<jose::Alg>,
    /// Override the issuer (e.g. a sandbox started on other ports).
    #[arg(long)]
    pub issuer: Option<String>,
    /// Open loop: operations started per second, whatever the OP does.
    #[arg(long, conflicts_with = "concurrency")]
    pub rate: Option<f64>,
    /// Open loop: clients (each with its kept-alive connections) at most,
    /// all connected before the clock starts; an operation due while all are
    /// busy waits for one, and the wait counts in its latency.
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: usize,
    /// Closed loop: clients, each starting its next operation when one ends (default 16 without --rate).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds run before measuring (not counted).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Stop after this many measured operations.
    #[arg(long)]
    pub requests: Option<u64>,
    /// The OP's process id: report its CPU per operation and memory from /proc.
    #[arg(long)]
    pub op_pid: Option<u32>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
    /// Worker threads of the load generator's runtime (default: one per CPU it may use).
    #[arg(long)]
    pub threads: Option<usize>,
    /// `ciba`, `ciba-pending`: how the CIBA client authenticates
    /// (private_key_jwt, RFC 7523; or its certificate, RFC 8705 §2.1).
    #[arg(long, value_enum, default_value = "private-key-jwt")]
    pub ciba_auth: scenario::ciba::CibaAuth,
    /// `ciba-pending`: requests created (unmeasured, before the clock) and
    /// then polled, each at its interval; at least rate × interval.
    #[arg(long, default_value_t = 1000)]
    pub pending: u64,
    /// `ciba`: milliseconds between the request and the first poll.
    #[arg(long, default_value_t = 100)]
    pub ciba_first_poll_ms: u64,
    /// `ciba`, `ciba-pending`: the requests' `requested_expiry` (CIBA Core
    /// §7.1), seconds; default none (the OP's default expiry).
    #[arg(long)]
    pub requested_expiry: Option<u64>,
    /// A cluster: the OP nodes' (or one balancer's) host names or IP
    /// addresses, repeated or comma-separated, without ports. Connections
    /// go to them in turn, each at the port of the issuer's URL it is for;
    /// TLS (SNI) and requests still name the issuer. Default: the issuer's own address.
    #[arg(long = "target", value_name = "HOST", value_delimiter = ',')]
    pub targets: Vec<String>,
    /// `cc-mtls`, `handshake`, `flow`, `flow-mtls`: keep every access token the OP
    /// acknowledged and introspect each after the run (RFC 7662) as the
    /// client that owns it; the process exits non-zero when any is not active.
    #[arg(long)]
    pub verify: bool,
    /// `--verify`: tokens kept at most; acknowledged tokens past it are
    /// counted and fail the verification.
    #[arg(long, default_value_t = verify::DEFAULT_MAX, requires = "verify")]
    pub verify_max: usize,
    /// `--verify`: introspection requests in flight at most.
    #[arg(long, default_value_t = verify::DEFAULT_CONCURRENCY, requires = "verify")]
    pub verify_concurrency: usize,
    /// `hostile`: only these attacks (their step names, e.g.
    /// `slowloris,h2_rapid_reset`), repeated or comma-separated; default all.
    #[arg(long = "attack", value_name = "NAME", value_delimiter = ',')]
    pub attacks: Vec<String>,
    /// `hostile`: how many times each replay attack replays one captured
    /// assertion, proof, code or refresh token before it captures another
    /// (each capture is a legitimate grant or whole code flow first).
    /// Default 1: a fresh capture for every replay.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replays_per_capture: u32,
}

/// Reads the setup, runs the scenario, returns the report (with `--verify`,
/// its verification).
pub async fn run(args: &Args) -> anyhow::Result<report::Report> {
    run_then_verify(args, std::future::ready).await
}

/// [`run`], handing the kept tokens to `before_verify` between the run and
/// their verification (what it returns is verified): a test invalidates
/// some there to see the verification notice.
pub async fn run_then_verify<F, Fut>(args: &Args, before_verify: F) -> anyhow::Result<report::Report>
where
    F: FnOnce(Vec<verify::KeptToken>) -> Fut,
    Fut: std::future::Future<Output = Vec<verify::KeptToken>>,
{
    if args.verify && args.verify_max == 0 {
        return Err(anyhow!("--verify-max must be at least 1"));
    }
    if args.verify && args.verify_concurrency == 0 {
        return Err(anyhow!("--verify-concurrency must be at least 1"));
    }
    let targets = targets::Targets::new(&args.targets)?;
    let mut setup = match (&args.config, &args.sandbox) {
        (Some(file), _) => setup::Setup::from_file(file)?,
        (None, Some(dir)) => {
            let env = match args.op_pid {
                Some(pid) => setup::process_env(pid),
                None => std::env::vars().collect(),
            };
            setup::Setup::from_sandbox(dir, &env, args.alg.unwrap_or(jose::Alg::Es256))?
        }
        (None, None) => return Err(anyhow!("give --config FILE or --sandbox DIR")),
    };
    if let Some(issuer) = &args.issuer {
        setup.issuer = issuer.clone();
    }
    if let (Some(alg), Some(pkjwt)) = (args.alg, setup.pkjwt.as_mut()) {
        pkjwt.alg = alg;
    }
    // What the OP verified, for the report: the scenarios that sign.
    let signs = matches!(
        args.scenario,
        scenario::Scenario::CcPkjwt | scenario::Scenario::Flow
    );
    let alg = match args.scenario.is_ciba() {
        true => setup.ciba.as_ref().map(|c| c.alg.as_str()),
        false => setup.pkjwt.as_ref().filter(|_| signs).map(|p| p.alg.as_str()),
    };
    let issuer = setup.issuer.clone();
    let password_hash = setup.password_hash.clone();
    let mode = match (args.rate, args.concurrency) {
        (Some(rate), _) if rate > 0.0 => run::Mode::Open {
            rate,
            max_in_flight: args.max_in_flight,
        },
        (Some(_), _) => return Err(anyhow!("--rate must be positive")),
        (None, c) => run::Mode::Closed {
            concurrency: c.unwrap_or(16).max(1),
        },
    };
    let plan = run::Plan {
        mode,
        duration: Duration::from_secs_f64(args.duration.max(0.0)),
        warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
        max_ops: args.requests,
        progress: !args.quiet,
        op_pid: args.op_pid,
        pending: (args.scenario == scenario::Scenario::CibaPending).then_some(args.pending),
    };
    let ciba = scenario::ciba::CibaOptions {
        auth: args.ciba_auth,
        first_poll: Duration::from_millis(args.ciba_first_poll_ms),
        requested_expiry: args.requested_expiry,
    };
    let kept = args.verify.then(|| verify::Kept::new(args.verify_max));
    let mut ctx = scenario::Ctx::new(args.scenario, setup, ciba, targets, kept).await?;
    if args.replays_per_capture > 1 {
        let kit = ctx
            .hostile
            .as_mut()
            .ok_or_else(|| anyhow!("--replays-per-capture is for --scenario hostile"))?;
        kit.captures = scenario::hostile::kit::Captures::new(args.replays_per_capture);
    }
    if !args.attacks.is_empty() {
        let kit = ctx
            .hostile
            .as_mut()
            .ok_or_else(|| anyhow!("--attack is for --scenario hostile"))?;
        kit.attacks = args
            .attacks
            .iter()
            .map(|name| {
                scenario::hostile::Attack::named(name)
                    .ok_or_else(|| anyhow!("--attack: no attack named {name}"))
            })
            .collect::<anyhow::Result<_>>()?;
    }
    let ctx = std::sync::Arc::new(ctx);
    let outcome = run::run(ctx.clone(), &plan).await?;
    let mut report = report::Report::new(
        args.scenario,
        mode,
        &issuer,
        password_hash.filter(|_| args.scenario.is_flow()),
        alg,
        &outcome,
        args.op_pid,
    );
    if let Some(kept) = &ctx.kept {
        let (tokens, not_kept) = kept.take();
        let tokens = before_verify(tokens).await;
        let mut verification = verify::check(ctx.clone(), tokens, args.verify_concurrency).await;
        verification.cap = kept.cap();
        verification.not_kept = not_kept;
        report.verify = Some(verification);
    }
    report.targets = ctx.targets.dialled();
    Ok(report)
}

/// The process's exit status for a finished run: 1 when `--verify` found
/// an acknowledged access token that is not active (or could not check
/// one), else 0.
pub fn exit_code(report: &report::Report) -> i32 {
    match report.verify.as_ref().is_some_and(|v| !v.passed()) {
        true => 1,
        false => 0,
    }
}
