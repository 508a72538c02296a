//! `fiducia demo payment`: a fintech's first payment against a running
//! sandbox, every step over the real endpoints. It reads the sandbox data
//! directory (`endpoints.json`, the sample software's directory
//! credentials), then:
//!
//! 1. gets a software statement from the directory (`onboarding.rs`);
//! 2. registers a new client with it (RFC 7591, `tls_client_auth`);
//! 3. gets a client_credentials token with scope `payments` and
//! 4. creates a domestic payment consent (`consent.rs`);
//! 5. pushes the authorization request naming the consent and has the
//!    customer authorise it: a person in a browser, or with `--user` and
//!    `--password` the scripted browser (`authorize.rs`, `browser.rs`);
//! 6. exchanges the code (`token.rs`);
//! 7. submits the payment through the API gateway, reads its status and
//!    the debtor account's balance (`payment.rs`).
//!
//! Each step prints a line (`report.rs`); a failure names its step and
//! what the server answered.

mod authorize;
mod browser;
mod consent;
mod http;
mod onboarding;
mod payment;
mod report;
mod setup;
mod token;

use anyhow::Context;
use report::Report;
use std::path::PathBuf;

/// `fiducia demo`.
#[derive(Debug, clap::Subcommand)]
pub enum DemoCommand {
    /// A fintech's first payment in a running sandbox: onboard by DCR,
    /// create a payment consent, have the customer authorise it, submit
    /// the payment through the API gateway and show the new balance.
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
            let outcome = payment(&args, &mut report).await;
            if let Err(e) = &outcome {
                report.record("error", format!("{e:#}"));
            }
            report.finish();
            outcome
        }
    }
}

/// The whole payment, step by step.
async fn payment(args: &PaymentArgs, report: &mut Report) -> anyhow::Result<()> {
    let setup = setup::Setup::load(&args.data)
        .await
        .context("reading the sandbox")?;
    report.say(format!(
        "Fiducia demo: a {} {} payment in the sandbox at {}",
        args.amount, args.currency, setup.sandbox.issuer
    ));

    let statement = onboarding::statement(&setup)
        .await
        .context("step 1 (software statement)")?;
    let claim = |name: &str| statement.claims[name].as_str().unwrap_or("?").to_string();
    report.step(
        "software statement",
        format!(
            "{} of {} from {} (roles {})",
            claim("software_id"),
            claim("org_id"),
            setup.sandbox.directory_url,
            statement.claims["software_roles"]
        ),
    );
    report.detail(format!("transport certificate {}", setup.transport.0.display()));

    let client = onboarding::register(&setup, &statement)
        .await
        .context("step 2 (registration)")?;
    report.step(
        "registered client",
        format!(
            "{} (tls_client_auth, certificate-bound tokens; scopes {})",
            client.client_id,
            client.scopes.join(" ")
        ),
    );
    report.secret("registration_access_token", &client.access_token);
    report.record("client_id", client.client_id.as_str());

    let cc_token = consent::client_token(&setup, &client.client_id, "payments")
        .await
        .context("step 3 (client token)")?;
    report.step(
        "client token",
        "client_credentials, scope payments, certificate-bound",
    );
    report.secret("access_token", &cc_token);

    let request = consent::consent_request(args, &consent::instruction_id());
    let key = uuid::Uuid::new_v4().to_string();
    let consent = consent::create(&setup, &cc_token, &request, &key)
        .await
        .context("step 4 (payment consent)")?;
    report.step(
        "payment consent",
        format!(
            "{} {}: {} {} to {} ({})",
            consent.id, consent.status, args.amount, args.currency, args.creditor_name, args.creditor_iban
        ),
    );
    report.record("consent_id", consent.id.as_str());

    // The balance is read with the payment's token when the client may read accounts.
    let scope = match client.scopes.iter().any(|s| s == "accounts") {
        true => "openid payments accounts",
        false => "openid payments",
    };
    let pushed = authorize::push(
        &setup,
        &client.client_id,
        &client.redirect_uri,
        scope,
        &consent.id,
    )
    .await
    .context("step 5 (authorization request)")?;
    report.step("authorization", format!("pushed (PAR, PKCE S256, scope {scope})"));
    report.secret("code_verifier", &pushed.verifier);
    let redirect = match (&args.user, &args.password) {
        (Some(user), Some(password)) => {
            report.detail(format!("signing in as {user} and approving, as a browser would"));
            authorize::as_customer(&setup, &pushed, user, password)
                .await
                .context("step 5 (authorization: the customer's browser)")?
        }
        _ => {
            report.say(format!(
                "\nOpen this URL in a browser within {} s (trust {}):\n\n  {}\n",
                pushed.expires_in,
                setup.sandbox.ca.display(),
                pushed.url
            ));
            report.say("Sign in as a sandbox customer (alice / wonderland-123, bob / builder-456), approve,");
            report.say(
                "then paste the code the callback page shows (or the whole callback URL) here within 60 s:",
            );
            authorize::pasted()
                .await
                .context("step 5 (authorization: the code)")?
        }
    };
    let code =
        authorize::code_from(&redirect, &pushed, &setup.op.issuer).context("step 5 (authorization)")?;
    report.detail("consent approved: code received, state and iss checked");

    let tokens = token::exchange(&setup, &client.client_id, &pushed, &code)
        .await
        .context("step 6 (code exchange)")?;
    report.step(
        "access token",
        format!(
            "{} (certificate-bound), scope {}, expires in {} s",
            tokens.token_type, tokens.scope, tokens.expires_in
        ),
    );
    let claim = |name: &str| tokens.id_token_claims.get(name).and_then(|v| v.as_str());
    // UK OBIE: the ID token names the consent the customer authorised.
    if claim("openbanking_intent_id") != Some(consent.id.as_str()) {
        anyhow::bail!(
            "step 6 (code exchange): the ID token does not name the consent {}",
            consent.id
        );
    }
    report.detail(format!(
        "ID token (signature, iss, aud, exp, nonce checked): sub {}, openbanking_intent_id {}",
        claim("sub").unwrap_or("?"),
        consent.id
    ));
    report.secret("access_token", &tokens.access_token);

    pay(args, report, &setup, &consent, &tokens).await
}

/// Step 7: the payment, its status and the balance, through the gateway.
async fn pay(
    args: &PaymentArgs,
    report: &mut Report,
    setup: &setup::Setup,
    consent: &consent::PaymentConsent,
    tokens: &token::Tokens,
) -> anyhow::Result<()> {
    let gateway = payment::Gateway::new(setup, &tokens.token_type, &tokens.access_token);
    let reads_accounts = tokens.scope.split(' ').any(|s| s == "accounts");
    let before = match reads_accounts {
        true => Some(
            gateway
                .balance(&args.currency)
                .await
                .context("step 7 (balance before)")?,
        ),
        false => None,
    };
    let key = uuid::Uuid::new_v4().to_string();
    let paid = gateway
        .submit(consent, &key)
        .await
        .context("step 7 (payment through the gateway)")?;
    report.step(
        "payment",
        format!("{} {} via {}", paid.id, paid.status, setup.sandbox.gateway_url),
    );
    report.record("payment_id", paid.id.as_str());
    let status = gateway
        .status(&paid.id)
        .await
        .context("step 8 (payment status)")?;
    report.step("payment status", &status);
    report.record("payment_status", status.as_str());
    report.record("amount", args.amount.as_str());
    report.record("currency", args.currency.as_str());
    report.record("creditor_iban", args.creditor_iban.as_str());
    match before {
        Some(before) => {
            let after = gateway
                .balance(&args.currency)
                .await
                .context("step 9 (balance)")?;
            report.step(
                "balance",
                format!(
                    "{}: {} {} -> {} {}",
                    after.account_id, before.amount, before.currency, after.amount, after.currency
                ),
            );
            report.record("debtor_account_id", after.account_id.as_str());
            report.record("balance_before", before.amount.as_str());
            report.record("balance_after", after.amount.as_str());
        }
        None => report.step("balance", "not read: the client may not have the accounts scope"),
    }
    Ok(())
}
