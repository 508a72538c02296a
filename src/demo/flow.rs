//! The steps of `fiducia demo payment` in order, each printed as it ends
//! and named in its error (the step list is in `mod.rs`).

use super::args::PaymentArgs;
use super::report::Report;
use super::{authorize, consent, onboarding, payment, settle, setup, token};
use anyhow::Context;

/// The whole payment, step by step.
pub(super) async fn payment(args: &PaymentArgs, report: &mut Report) -> anyhow::Result<()> {
    let mut setup = setup::Setup::load(&args.sandbox.data)
        .await
        .context("reading the sandbox")?;
    report.say(format!(
        "Fiducia demo: a {} {} payment in the sandbox at {}",
        args.order.amount, args.order.currency, setup.sandbox.issuer
    ));

    let client = match args.login_app {
        true => {
            let client = super::login_app_client::use_static_client(&mut setup, &args.sandbox.data)
                .context("step 2 (the login app's client)")?;
            report.step(
                "login app client",
                format!(
                    "{} (tls_client_auth; its customers sign in at the bank's own login app {})",
                    client.client_id, setup.sandbox.login_app_url
                ),
            );
            client
        }
        false => onboard(&setup, report).await?,
    };
    report.record("client_id", client.client_id.as_str());
    pay(args, report, &setup, &client).await
}

/// Steps 1 and 2: a software statement, and a client registered with it.
async fn onboard(setup: &setup::Setup, report: &mut Report) -> anyhow::Result<onboarding::Registration> {
    let statement = onboarding::statement(setup)
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

    let client = onboarding::register(setup, &statement)
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
    Ok(client)
}

/// Continues [`payment`] with `client`.
async fn pay(
    args: &PaymentArgs,
    report: &mut Report,
    setup: &setup::Setup,
    client: &onboarding::Registration,
) -> anyhow::Result<()> {
    // The balance is read under an account access consent when the client may read accounts.
    let reads_accounts = client.scopes.iter().any(|s| s == "accounts");
    let cc_scope = if reads_accounts {
        "payments accounts"
    } else {
        "payments"
    };
    let cc_token = consent::client_token(setup, &[("client_id", client.client_id.as_str())], cc_scope)
        .await
        .context("step 3 (client token)")?;
    report.step(
        "client token",
        format!("client_credentials, scope {cc_scope}, certificate-bound"),
    );
    report.secret("access_token", &cc_token);

    let accounts = match reads_accounts {
        true => Some(account_access(args, report, setup, client, &cc_token).await?),
        false => None,
    };
    let before = match &accounts {
        Some(tokens) => payment::Gateway::new(setup, &tokens.token_type, &tokens.access_token)
            .balances(&args.order.currency)
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

    let request = consent::consent_request(&args.order, &consent::instruction_id());
    let key = uuid::Uuid::new_v4().to_string();
    let consent = consent::create_payment(setup, &cc_token, &request, &key)
        .await
        .context("step 5 (payment consent)")?;
    report.step(
        "payment consent",
        format!(
            "{} {}: {} {} to {} ({})",
            consent.id,
            consent.status,
            args.order.amount,
            args.order.currency,
            args.order.creditor_name,
            args.order.creditor_iban
        ),
    );
    report.record("consent_id", consent.id.as_str());
    let tokens = authorize_consent(args, report, setup, client, "openid payments", &consent.id, 5).await?;

    settle::pay(
        &args.order,
        report,
        setup,
        &consent,
        &tokens,
        &cc_token,
        accounts.as_ref(),
        &before,
        6,
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
    let customer = args.sandbox.customer();
    let redirect = authorize::redirect_back(setup, &pushed, &customer, report)
        .await
        .with_context(|| format!("step {step} (authorization)"))?;
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
