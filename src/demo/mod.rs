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
//! With `--login-app` steps 1 and 2 give way to the sandbox's client
//! `sandbox-fintech-app`, whose customers sign in and consent at the
//! bank's own login app (`login_app_client.rs`; the scripted browser
//! follows the OP to the app and back).
//!
//! `fiducia demo ciba-payment` is the decoupled version (CIBA Core 1.0,
//! FAPI CIBA; `ciba_flow.rs`), played by the sandbox's CIBA fintech
//! (`ciba_client.rs`: private_key_jwt over mutual TLS):
//!
//! 1. a client_credentials token (`payments accounts`);
//! 2. an account access consent, authorised out of band: a signed
//!    backchannel authentication request naming it (`backchannel.rs`), a
//!    first poll (`authorization_pending`), the customer's approval on the
//!    sandbox customer device (`phone.rs`), polling the token endpoint at
//!    the interval (`ciba_poll.rs`); then the balances;
//! 3. a domestic payment consent, authorised the same way;
//! 4. the payment, its status and the new balance through the gateway
//!    (`settle.rs`, shared with `fiducia demo payment`).
//!
//! `fiducia demo ekyc` asks for the customer's verified identity (OpenID
//! Connect for Identity Assurance 1.0; `ekyc.rs`): registration, a pushed
//! request with a `claims` request and a purpose, the customer's approval,
//! the ID token and userinfo, printed.
//!
//! Each step prints a line (`report.rs`); a failure names its step and
//! what the server answered.

mod args;
mod authorize;
mod backchannel;
mod browser;
mod ciba_client;
mod ciba_flow;
mod ciba_poll;
mod consent;
mod ekyc;
mod flow;
mod form;
mod http;
mod login_app_client;
mod onboarding;
mod payment;
mod phone;
mod report;
mod settle;
mod setup;
mod token;

pub use args::{CibaPaymentArgs, EkycArgs, PaymentArgs, PaymentOrder};
use report::Report;

/// `fiducia demo`.
#[derive(Debug, clap::Subcommand)]
pub enum DemoCommand {
    /// A fintech's first payment in a running sandbox: onboard by DCR,
    /// create an account access and a payment consent, have the customer
    /// authorise them, submit the payment through the API gateway and show
    /// the new balance.
    Payment(PaymentArgs),
    /// The decoupled payment (CIBA): the sandbox's CIBA fintech creates the
    /// consents, asks the bank to authenticate the customer out of band,
    /// the customer approves on their phone (the sandbox customer device),
    /// the fintech polls for the tokens and pays through the API gateway.
    CibaPayment(CibaPaymentArgs),
    /// Verified identity (eKYC, OpenID Connect for Identity Assurance): a
    /// fintech registers, asks for the customer's verified name, birthdate
    /// and address with a purpose, the customer approves, and the demo
    /// prints what the fintech received in the ID token and from userinfo.
    Ekyc(EkycArgs),
}

/// Runs a demo.
pub async fn run(command: DemoCommand) -> anyhow::Result<()> {
    match command {
        DemoCommand::Payment(args) => {
            let mut report = Report::new(args.json, args.verbose);
            let outcome = flow::payment(&args, &mut report).await;
            finish(report, outcome)
        }
        DemoCommand::CibaPayment(args) => {
            let mut report = Report::new(args.json, args.verbose);
            let outcome = ciba_flow::payment(&args, &mut report).await;
            finish(report, outcome)
        }
        DemoCommand::Ekyc(args) => {
            let mut report = Report::new(args.json, args.verbose);
            let outcome = ekyc::verified_identity(&args, &mut report).await;
            finish(report, outcome)
        }
    }
}

/// Records a failure in the summary and prints it.
fn finish(mut report: Report, outcome: anyhow::Result<()>) -> anyhow::Result<()> {
    if let Err(e) = &outcome {
        report.record("error", format!("{e:#}"));
    }
    report.finish();
    outcome
}
