//! `fiducia demo ekyc`: a fintech that must know its customer asks the
//! bank for identity data the bank has verified (OpenID Connect for
//! Identity Assurance 1.0), against a running sandbox:
//!
//! 1. a software statement from the directory and a registration (as
//!    `fiducia demo payment` does, `onboarding.rs`);
//! 2. a pushed authorization request (RFC 9126) with a `claims` request
//!    (OIDC Core §5.5): verified given and family name in the ID token;
//!    verified given name, family name, birthdate and address in userinfo,
//!    with how they were verified (trust framework, assurance level, time,
//!    the identity document checked) and a `purpose`;
//! 3. the customer signs in, reads on the consent page what will be shared
//!    and why, and approves;
//! 4. the code exchange (the ID token validated) and a UserInfo request
//!    with the certificate-bound token; what the fintech received is
//!    printed.

use super::args::EkycArgs;
use super::http::expect_json;
use super::report::Report;
use super::{authorize, onboarding, setup, token};
use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The `claims` request: what the fintech asks and why.
pub fn claims_request(purpose: &str) -> Value {
    json!({
        "id_token": {
            "verified_claims": {
                "verification": {"trust_framework": null},
                "claims": {"given_name": null, "family_name": null}
            }
        },
        "userinfo": {
            "verified_claims": {
                "verification": {
                    "trust_framework": null,
                    "assurance_level": null,
                    "time": null,
                    "evidence": [{"type": {"value": "document"}, "document_details": {"type": null}}]
                },
                "claims": {
                    "given_name": {"essential": true, "purpose": purpose},
                    "family_name": {"essential": true, "purpose": purpose},
                    "birthdate": {"essential": true, "purpose": purpose},
                    "address": {"purpose": purpose}
                }
            }
        }
    })
}

/// The whole demo, step by step.
pub(super) async fn verified_identity(args: &EkycArgs, report: &mut Report) -> anyhow::Result<()> {
    let setup = setup::Setup::load(&args.sandbox.data)
        .await
        .context("reading the sandbox")?;
    report.say(format!(
        "Fiducia demo: verified identity (eKYC) in the sandbox at {}",
        setup.sandbox.issuer
    ));
    let statement = onboarding::statement(&setup)
        .await
        .context("step 1 (software statement)")?;
    let client = onboarding::register(&setup, &statement)
        .await
        .context("step 1 (registration)")?;
    report.step(
        "registered client",
        format!("{} (tls_client_auth, certificate-bound tokens)", client.client_id),
    );
    report.secret("registration_access_token", &client.access_token);
    report.record("client_id", client.client_id.as_str());

    let claims = claims_request(&args.purpose).to_string();
    let pushed = authorize::push_claims(&setup, &client.client_id, &client.redirect_uri, "openid", &claims)
        .await
        .context("step 2 (authorization request)")?;
    report.step(
        "authorization request",
        "PAR with a claims request: verified given name, family name, birthdate and address, and how they were verified",
    );
    report.detail(format!("purpose: {}", args.purpose));
    report.secret("code_verifier", &pushed.verifier);

    let customer = args.sandbox.customer();
    let redirect = authorize::redirect_back(&setup, &pushed, &customer, report)
        .await
        .context("step 3 (the customer's approval)")?;
    let code =
        authorize::code_from(&redirect, &pushed, &setup.op.issuer).context("step 3 (authorization)")?;
    report.step(
        "customer approved",
        "the consent page listed the data, its verification and the purpose",
    );

    let tokens = token::exchange(&setup, &client.client_id, &pushed, &code)
        .await
        .context("step 4 (code exchange)")?;
    report.secret("access_token", &tokens.access_token);
    let in_id_token = tokens.id_token_claims.get("verified_claims").cloned();
    report.step(
        "ID token",
        format!(
            "sub {}, signature checked; verified_claims: {}",
            tokens
                .id_token_claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or("?"),
            summary(in_id_token.as_ref())
        ),
    );
    let authorization = format!("{} {}", tokens.token_type, tokens.access_token);
    let response = setup
        .fintech
        .get(&setup.op.userinfo, &[("authorization", authorization.as_str())])
        .await
        .context("step 5 (userinfo)")?;
    let userinfo = expect_json(&response, 200, "the UserInfo endpoint").context("step 5 (userinfo)")?;
    let in_userinfo = userinfo.get("verified_claims").cloned();
    report.step(
        "userinfo",
        format!("verified_claims: {}", summary(in_userinfo.as_ref())),
    );
    if let Some(verified) = &in_userinfo {
        let pretty = serde_json::to_string_pretty(verified).unwrap_or_default();
        report.say(format!("\nWhat the fintech received from userinfo:\n{pretty}\n"));
    }
    report.record(
        "id_token_verified_claims",
        in_id_token.clone().unwrap_or(Value::Null),
    );
    report.record("userinfo", userinfo.clone());
    if in_id_token.is_none() && in_userinfo.is_none() {
        bail!(
            "the bank released no verified claims: this customer has none matching the request (the sandbox's alice and bob have some)"
        );
    }
    Ok(())
}

/// One line about a delivered `verified_claims`: each set's trust
/// framework and claim names.
fn summary(verified: Option<&Value>) -> String {
    let sets: Vec<&Value> = match verified {
        None => return "none".into(),
        Some(Value::Array(sets)) => sets.iter().collect(),
        Some(set) => vec![set],
    };
    sets.iter()
        .map(|set| {
            let framework = set["verification"]["trust_framework"].as_str().unwrap_or("?");
            let names: Vec<&str> = set["claims"]
                .as_object()
                .map(|claims| claims.keys().map(String::as_str).collect())
                .unwrap_or_default();
            format!("{} under {framework}", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's request passes the OP's own check (IDA 1.0 §5).
    #[test]
    fn the_request_is_a_valid_identity_assurance_request() {
        let request = claims_request("To open your account: anti-money laundering rules");
        let parsed = crate::protocol::ekyc::request::parse(&request).unwrap();
        assert!(parsed.asks_verified_claims());
        let summary = crate::protocol::ekyc::summarize(&parsed);
        assert_eq!(
            summary.purposes(),
            ["To open your account: anti-money laundering rules"]
        );
    }

    #[test]
    fn the_summary_names_frameworks_and_claims() {
        let one = json!({"verification": {"trust_framework": "uk_tfida"}, "claims": {"given_name": "A"}});
        assert_eq!(summary(Some(&one)), "given_name under uk_tfida");
        assert_eq!(
            summary(Some(&json!([one, one]))),
            "given_name under uk_tfida; given_name under uk_tfida"
        );
        assert_eq!(summary(None), "none");
    }
}
