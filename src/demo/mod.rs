//! `fiducia demo payment`: a fintech's first payment against a running
//! sandbox, every step over the real endpoints. It reads the sandbox data
//! directory (`endpoints.json`, the sample software's directory
//! credentials), then:
//!
//! 1. gets a software statement from the directory (`onboarding.rs`);
//! 2. registers a new client with it (RFC 7591, `tls_client_auth`);
//! 3. gets a client_credentials token (`payments`, and `accounts` when the
//!    client may read accounts; `consent.rs`);
//! 4. when it may: creates an account access consent, has the customer
//!    authorise it and reads the balances with that token;
//! 5. creates a domestic payment consent and has the customer authorise
//!    it: pushed authorization request naming the consent, then a person
//!    in a browser, or with `--user` and `--password` the scripted browser
//!    (`authorize.rs`, `browser.rs`); the code exchange (`token.rs`);
//! 6. submits the payment through the API gateway with that token (which
//!    it spends: one payment per consent), reads the payment's status with
//!    the client's token and the new balance with the account access
//!    token (`payment.rs`).
//!
//! Each step prints a line (`report.rs`); a failure names its step and
//! what the server answered.

mod authorize;
mod browser;
mod consent;
mod flow;
mod form;
mod http;
mod onboarding;
mod payment;
mod report;
mod setup;
mod token;

use report::Report;
use std::path::PathBuf;

/// `fiducia demo`.
#[derive(Debug, clap::Subcommand)]
pub enum DemoCommand {
    /// A fintech's first payment in a running sandbox: onboard by DCR,
    /// create an account access and a payment consent, have the customer
    /// authorise them, submit the payment through the API gateway and show
    /// the new balance.
    Payment(PaymentArgs),
}

/// What `fiducia demo payment` pays and how.
#[derive(Debug, Clone, clap::Args)]
pub struct PaymentArgs {
    /// The sandbox data directory (`fiducia sandbox --data DIR`, running).
    #[arg(long, value_name = "DIR", default_value = ".fiducia")]
    pub data: PathBuf,
    /// A sandbox customer (e.g. alice): sign in and approve without a
    /// browser. Without it the demo prints the authorization URL and waits
    /// for the code on stdin.
    #[arg(long, value_name = "USER", requires = "password")]
    pub user: Option<String>,
    /// The customer's password (or FIDUCIA_DEMO_PASSWORD).
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "FIDUCIA_DEMO_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// The amount (Open Banking decimal text).
    #[arg(long, default_value = "10.00")]
    pub amount: String,
    /// ISO 4217 currency; the customer's account in it pays.
    #[arg(long, default_value = "EUR")]
    pub currency: String,
    /// The creditor's IBAN (another bank's by default; a sandbox
    /// customer's IBAN pays that customer).
    #[arg(long, value_name = "IBAN", default_value = "GB33BUKB20201555555555")]
    pub creditor_iban: String,
    /// The creditor's name.
    #[arg(long, value_name = "NAME", default_value = "Demo Merchant Ltd")]
    pub creditor_name: String,
    /// The payment reference (up to 35 characters).
    #[arg(long, default_value = "Fiducia demo")]
    pub reference: String,
    /// Print a JSON summary on stdout (the step lines go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also print secrets: tokens, the PKCE verifier, the registration access token.
    #[arg(long)]
    pub verbose: bool,
}

/// Runs a demo.
pub async fn run(command: DemoCommand) -> anyhow::Result<()> {
    match command {
        DemoCommand::Payment(args) => {
            let mut report = Report::new(args.json, args.verbose);
            let outcome = flow::payment(&args, &mut report).await;
            if let Err(e) = &outcome {
                report.record("error", format!("{e:#}"));
            }
            report.finish();
            outcome
        }
    }
}
