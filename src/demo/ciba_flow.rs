//! The steps of `fiducia demo ciba-payment` in order (the list is in
//! `mod.rs`), each printed as it ends and named in its error. The consent
//! API, the gateway and the balance reading are the redirect demo's
//! (`consent.rs`, `settle.rs`, `payment.rs`); what differs is how the
//! customer authorises: a backchannel request, their phone, and polling.

use super::args::CibaPaymentArgs;
use super::backchannel::{self, Ask};
use super::ciba_client::{CibaClient, pairs};
use super::report::Report;
use super::{ciba_poll, consent, payment, phone, settle, setup, token};
use anyhow::Context;
use std::time::Instant;

/// The whole decoupled payment.
pub(super) async fn payment(args: &CibaPaymentArgs, report: &mut Report) -> anyhow::Result<()> {
    let setup = setup::Setup::load(&args.data)
        .await
        .context("reading the sandbox")?;
    let client = CibaClient::load(&args.data).context("reading the sandbox")?;
    let order = &args.order;
    report.say(format!(
        "Fiducia demo: a {} {} decoupled (CIBA) payment in the sandbox at {}, approved on {}'s phone",
        order.amount, order.currency, setup.sandbox.issuer, args.user
    ));
    report.record("client_id", client.client_id.as_str());

    let auth = client
        .authentication(&setup.op.issuer)
        .await
        .context("step 1 (client token)")?;
    let cc_token = consent::client_token(&setup, &pairs(&auth), "payments accounts")
        .await
        .context("step 1 (client token)")?;
    report.step(
        "client token",
        format!(
            "{} (private_key_jwt, certificate-bound): client_credentials, scope payments accounts",
            client.client_id
        ),
    );
    report.secret("access_token", &cc_token);

    let key = uuid::Uuid::new_v4().to_string();
    let (account_consent, status) = consent::create_account_access(&setup, &cc_token, &key)
        .await
        .context("step 2 (account access consent)")?;
    report.step(
        "account consent",
        format!(
            "{account_consent} {status}: read accounts and balances (to show the balance before and after)"
        ),
    );
    report.record("account_access_consent_id", account_consent.as_str());
    let accounts = decoupled(args, report, &setup, &client, "openid accounts", &account_consent).await?;
    let before = payment::Gateway::new(&setup, &accounts.token_type, &accounts.access_token)
        .balances(&order.currency)
        .await
        .with_context(|| format!("step {} (balances)", report.current()))?;
    for balance in &before {
        report.detail(format!(
            "balance {} ({}): {} {}",
            balance.account_id, balance.identification, balance.amount, balance.currency
        ));
    }

    let request = consent::consent_request(order, &consent::instruction_id());
    let key = uuid::Uuid::new_v4().to_string();
    let consent = consent::create_payment(&setup, &cc_token, &request, &key)
        .await
        .with_context(|| format!("step {} (payment consent)", report.current() + 1))?;
    report.step(
        "payment consent",
        format!(
            "{} {}: {} {} to {} ({})",
            consent.id,
            consent.status,
            order.amount,
            order.currency,
            order.creditor_name,
            order.creditor_iban
        ),
    );
    report.record("consent_id", consent.id.as_str());
    let tokens = decoupled(args, report, &setup, &client, "openid payments", &consent.id).await?;

    let step = report.current() + 1;
    settle::pay(
        order,
        report,
        &setup,
        &consent,
        &tokens,
        &cc_token,
        Some(&accounts),
        &before,
        step,
    )
    .await
}

/// The customer authorises consent `consent_id` out of band: the signed
/// backchannel request, a first poll (pending), the approval on the phone,
/// polling to tokens; the ID token checked to name the consent.
async fn decoupled(
    args: &CibaPaymentArgs,
    report: &mut Report,
    setup: &setup::Setup,
    client: &CibaClient,
    scope: &str,
    consent_id: &str,
) -> anyhow::Result<token::Tokens> {
    let binding_message = args
        .binding_message
        .clone()
        .unwrap_or_else(backchannel::binding_code);
    let ask = Ask {
        user: &args.user,
        scope,
        binding_message: &binding_message,
        consent_id,
    };
    let step = report.current() + 1;
    let started_at = Instant::now();
    let started = backchannel::request(setup, client, &ask)
        .await
        .with_context(|| format!("step {step} (backchannel authentication request)"))?;
    report.step(
        "backchannel request",
        format!(
            "auth_req_id {} for {} (login_hint), scope {scope}, consent {consent_id}",
            started.auth_req_id, args.user
        ),
    );
    report.detail(format!(
        "binding message \"{binding_message}\" (shown on the till and on the phone); expires in {} s, poll every {} s",
        started.expires_in, started.interval
    ));
    report.record(
        &format!("auth_req_id_{}", scope.trim_start_matches("openid ")),
        started.auth_req_id.as_str(),
    );
    let first = ciba_poll::poll_once(setup, client, &started.auth_req_id)
        .await
        .with_context(|| format!("step {step} (first poll)"))?;
    report.detail(format!(
        "first poll: {}",
        match first {
            ciba_poll::Answer::Pending => "authorization_pending (the customer has not decided)",
            ciba_poll::Answer::SlowDown => "slow_down",
            ciba_poll::Answer::Tokens(_) => "tokens already",
        }
    ));

    let step = step + 1;
    let shown = phone::pending(setup, &args.user, &args.password, &started.auth_req_id)
        .await
        .with_context(|| format!("step {step} (the customer's phone)"))?;
    phone::approve(setup, &args.user, &args.password, &started.auth_req_id)
        .await
        .with_context(|| format!("step {step} (the customer's phone: approval)"))?;
    report.step(
        "customer's phone",
        format!(
            "{} approves on the sandbox customer device {}",
            args.user,
            phone::device_url(setup)?
        ),
    );
    report.detail(format!("the phone shows: {shown}"));
    report.detail(
        "(this is what the customer's phone does: the device signs the decision to the OP over mTLS)",
    );

    let step = step + 1;
    let polled = match first {
        ciba_poll::Answer::Tokens(body) => ciba_poll::Polled {
            body,
            polls: 0,
            pending: 0,
            slowed: 0,
            interval: started.interval,
        },
        ciba_poll::Answer::Pending | ciba_poll::Answer::SlowDown => {
            let interval = match first {
                ciba_poll::Answer::SlowDown => started.interval + ciba_poll::SLOW_DOWN_STEP_SECS,
                _ => started.interval,
            };
            ciba_poll::until_tokens(
                setup,
                client,
                &started.auth_req_id,
                interval,
                started_at,
                started.expires_in,
            )
            .await
            .with_context(|| format!("step {step} (polling the token endpoint)"))?
        }
    };
    let tokens = token::tokens(setup, &polled.body, &client.client_id, None)
        .await
        .with_context(|| format!("step {step} (the token response)"))?;
    let claim = |name: &str| tokens.id_token_claims.get(name).and_then(|v| v.as_str());
    // UK OBIE: the ID token names the consent the customer authorised.
    if claim("openbanking_intent_id") != Some(consent_id) {
        anyhow::bail!(
            "step {step} (the token response): the ID token does not name the consent {consent_id}"
        );
    }
    report.step(
        "tokens (poll)",
        format!(
            "{} token (certificate-bound), scope {}, {} s, after {} more poll(s) ({} pending, {} slow_down; interval {} s)",
            tokens.token_type,
            tokens.scope,
            tokens.expires_in,
            polled.polls,
            polled.pending,
            polled.slowed,
            polled.interval
        ),
    );
    report.detail(format!(
        "ID token checked: sub {}, openbanking_intent_id {consent_id}",
        claim("sub").unwrap_or("?")
    ));
    report.secret("access_token", &tokens.access_token);
    Ok(tokens)
}
