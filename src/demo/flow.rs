//! The steps of `fiducia demo payment` in order, each printed as it ends
//! and named in its error (the step list is in `mod.rs`).

use super::args::PaymentArgs;
use super::report::Report;
use super::{authorize, consent, onboarding, payment, setup, token};
use anyhow::Context;

/// The whole payment, step by step.
pub(super) async fn payment(args: &PaymentArgs, report: &mut Report) -> anyhow::Result<()> {
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

    // The balance is read under an account access consent when the client may read accounts.
    let reads_accounts = client.scopes.iter().any(|s| s == "accounts");
    let cc_scope = if reads_accounts {
        "payments accounts"
    } else {
        "payments"
    };
    let cc_token = consent::client_token(&setup, &client.client_id, cc_scope)
        .await
        .context("step 3 (client token)")?;
    report.step(
        "client token",
        format!("client_credentials, scope {cc_scope}, certificate-bound"),
    );
    report.secret("access_token", &cc_token);

    let accounts = match reads_accounts {
        true => Some(account_access(args, report, &setup, &client, &cc_token).await?),
        false => None,
    };
    let before = match &accounts {
        Some(tokens) => payment::Gateway::new(&setup, &tokens.token_type, &tokens.access_token)
            .balances(&args.currency)
            .await
            .context("step 4 (balances)")?,
        None => Vec::new(),
    };
    for balance in &before {
        report.detail(format!(
            "balance {} ({}): {} {}",
            balance.account_id, balance.identification, balance.amount, balance.currency
        ));
    }

    let request = consent::consent_request(args, &consent::instruction_id());
    let key = uuid::Uuid::new_v4().to_string();
    let consent = consent::create_payment(&setup, &cc_token, &request, &key)
        .await
        .context("step 5 (payment consent)")?;
    report.step(
        "payment consent",
        format!(
            "{} {}: {} {} to {} ({})",
            consent.id, consent.status, args.amount, args.currency, args.creditor_name, args.creditor_iban
        ),
    );
    report.record("consent_id", consent.id.as_str());
    let tokens = authorize_consent(args, report, &setup, &client, "openid payments", &consent.id, 5).await?;

    pay(
        args,
        report,
        &setup,
        &consent,
        &tokens,
        &cc_token,
        accounts.as_ref(),
        &before,
    )
    .await
}

/// Step 4: an account access consent, authorised by the customer; its tokens.
async fn account_access(
    args: &PaymentArgs,
    report: &mut Report,
    setup: &setup::Setup,
    client: &onboarding::Registration,
    cc_token: &str,
) -> anyhow::Result<token::Tokens> {
    let key = uuid::Uuid::new_v4().to_string();
    let (id, status) = consent::create_account_access(setup, cc_token, &key)
        .await
        .context("step 4 (account access consent)")?;
    report.step(
        "account consent",
        format!("{id} {status}: read accounts and balances (to show the balance before and after)"),
    );
    report.record("account_access_consent_id", id.as_str());
    authorize_consent(args, report, setup, client, "openid accounts", &id, 4).await
}

/// The customer authorises consent `consent_id`: PAR, then the scripted
/// browser or a person, the redirect checked, the code exchanged, the ID
/// token checked to name the consent. `step` names the step in errors.
async fn authorize_consent(
    args: &PaymentArgs,
    report: &mut Report,
    setup: &setup::Setup,
    client: &onboarding::Registration,
    scope: &str,
    consent_id: &str,
    step: usize,
) -> anyhow::Result<token::Tokens> {
    let pushed = authorize::push(setup, &client.client_id, &client.redirect_uri, scope, consent_id)
        .await
        .with_context(|| format!("step {step} (authorization request)"))?;
    report.detail(format!("authorization pushed (PAR, PKCE S256, scope {scope})"));
    report.secret("code_verifier", &pushed.verifier);
    let redirect = match (&args.user, &args.password) {
        (Some(user), Some(password)) => {
            report.detail(format!("{user} signs in and approves, as in a browser"));
            authorize::as_customer(setup, &pushed, user, password)
                .await
                .with_context(|| format!("step {step} (authorization: the customer's browser)"))?
        }
        _ => {
            report.say(format!(
                "\nOpen this URL in a browser within {} s (trust {}):\n\n  {}\n",
                pushed.expires_in,
                setup.sandbox.ca.display(),
                pushed.url
            ));
            report.say(format!(
                "Sign in as a sandbox customer (alice or bob; passwords under [[login.seed_users]] in {}), approve,",
                args.data.join("fiducia.toml").display()
            ));
            report.say(
                "then paste the code the callback page shows (or the whole callback URL) here within 60 s:",
            );
            authorize::pasted()
                .await
                .with_context(|| format!("step {step} (authorization: the code)"))?
        }
    };
    let code = authorize::code_from(&redirect, &pushed, &setup.op.issuer)
        .with_context(|| format!("step {step} (authorization)"))?;
    let tokens = token::exchange(setup, &client.client_id, &pushed, &code)
        .await
        .with_context(|| format!("step {step} (code exchange)"))?;
    let claim = |name: &str| tokens.id_token_claims.get(name).and_then(|v| v.as_str());
    // UK OBIE: the ID token names the consent the customer authorised.
    if claim("openbanking_intent_id") != Some(consent_id) {
        anyhow::bail!("step {step} (code exchange): the ID token does not name the consent {consent_id}");
    }
    report.detail(format!(
        "approved by {}: {} token (certificate-bound), scope {}, {} s; ID token checked",
        claim("sub").unwrap_or("?"),
        tokens.token_type,
        tokens.scope,
        tokens.expires_in
    ));
    report.secret("access_token", &tokens.access_token);
    Ok(tokens)
}

/// Steps 6 to 8: the payment, its status and the balance, through the gateway.
#[allow(clippy::too_many_arguments)]
async fn pay(
    args: &PaymentArgs,
    report: &mut Report,
    setup: &setup::Setup,
    consent: &consent::PaymentConsent,
    tokens: &token::Tokens,
    cc_token: &str,
    accounts: Option<&token::Tokens>,
    before: &[payment::Balance],
) -> anyhow::Result<()> {
    let key = uuid::Uuid::new_v4().to_string();
    let paid = payment::Gateway::new(setup, &tokens.token_type, &tokens.access_token)
        .submit(consent, &key)
        .await
        .context("step 6 (payment through the gateway)")?;
    report.step(
        "payment",
        format!("{} {} via {}", paid.id, paid.status, setup.sandbox.gateway_url),
    );
    report.record("payment_id", paid.id.as_str());
    report.record("amount", args.amount.as_str());
    report.record("currency", args.currency.as_str());
    report.record("creditor_iban", args.creditor_iban.as_str());

    // The payment spent the customer's token; the client's own token reads the status.
    let status = payment::Gateway::new(setup, "Bearer", cc_token)
        .status(&paid.id)
        .await
        .context("step 7 (payment status)")?;
    let consent_data = consent::read_payment(setup, cc_token, &consent.id)
        .await
        .context("step 7 (payment consent)")?;
    let consent_status = consent_data["Status"].as_str().unwrap_or("?");
    report.step(
        "payment status",
        format!("{status}; consent {} {consent_status}", consent.id),
    );
    report.record("payment_status", status.as_str());
    report.record("consent_status", consent_status);

    let Some(accounts) = accounts else {
        report.step("balance", "not read: the client may not have the accounts scope");
        return Ok(());
    };
    let after = payment::Gateway::new(setup, &accounts.token_type, &accounts.access_token)
        .balances(&args.currency)
        .await
        .context("step 8 (balance)")?;
    let debtor = payment::debtor(&after, &consent_data)
        .ok_or_else(|| anyhow::anyhow!("step 8 (balance): the debtor account is not among the customer's"))?;
    let was = before
        .iter()
        .find(|b| b.account_id == debtor.account_id)
        .map_or("?", |b| b.amount.as_str());
    report.step(
        "balance",
        format!(
            "{}: {was} {} -> {} {}",
            debtor.account_id, debtor.currency, debtor.amount, debtor.currency
        ),
    );
    report.record("debtor_account_id", debtor.account_id.as_str());
    report.record("balance_before", was);
    report.record("balance_after", debtor.amount.as_str());
    Ok(())
}
