//! `fiducia demo payment` against a fresh `fiducia sandbox` process: the
//! demo onboards a new client by DCR (RFC 7591), creates UK OBIE account
//! access and payment consents, has a sandbox customer authorise each with
//! the scripted browser (PAR, PKCE, `openbanking_intent_id` as an
//! essential claim, OIDC Core §5.5), exchanges the codes for
//! certificate-bound tokens (RFC 8705 §3) and pays through the API
//! gateway; the bank's ledger shows the money moved. `fiducia demo
//! ciba-payment` does the same out of band (CIBA) with the customer device;
//! `fiducia demo ekyc` asks for the customer's verified identity.

use super::process::{signal, spawn_sandbox, wait_exit};
use super::support::*;
use fiducia::sandbox::bank::{amount, sample_iban};
use nix::sys::signal::Signal;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The balance of `account_id` in the sandbox bank's ledger file.
fn ledger_balance(data: &std::path::Path, account_id: &str) -> i64 {
    let ledger: Value =
        serde_json::from_slice(&std::fs::read(data.join("bank/ledger.json")).unwrap()).unwrap();
    ledger["accounts"][account_id]["balance"]
        .as_i64()
        .unwrap_or_else(|| panic!("no account {account_id} in the ledger"))
}

/// `fiducia demo <demo> --data data --user alice --password ... --json`
/// with `args`; its stderr (the step lines) and stdout, once it has
/// succeeded.
fn run_demo_as_alice(data: &std::path::Path, demo: &str, args: &[&str]) -> (String, String) {
    let output = Command::new(fiducia_bin())
        .args(["demo", demo, "--data"])
        .arg(data)
        .args(["--user", "alice", "--password", "wonderland-123"])
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let lines = String::from_utf8(output.stderr).unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{lines}\n{stdout}");
    (lines, stdout)
}

/// `fiducia demo <demo>` as alice paying Bob `amount` EUR with `extra`
/// arguments.
fn alice_pays_bob(data: &std::path::Path, demo: &str, amount: &str, extra: &[&str]) -> (String, String) {
    let bob_iban = sample_iban(3);
    let mut args = vec![
        "--amount",
        amount,
        "--currency",
        "EUR",
        "--creditor-iban",
        &bob_iban,
        "--creditor-name",
        "Bob Builder",
    ];
    args.extend_from_slice(extra);
    run_demo_as_alice(data, demo, &args)
}

#[test]
fn demo_payment_as_a_sandbox_customer_moves_money_and_prints_the_new_balance() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let mut sandbox = spawn_sandbox(&data);
    // Alice pays Bob from her EUR account (both are sandbox customers; Bob's
    // EUR account is the second customer's first sample IBAN).
    let (lines, stdout) = alice_pays_bob(&data, "payment", "12.34", &[]);
    for step in [
        "software statement",
        "registered client",
        "client token",
        "account consent",
        "payment consent",
        "alice signs in and approves",
        "ID token checked",
        "payment status",
        "balance",
    ] {
        assert!(lines.contains(step), "no `{step}` line: {lines}");
    }
    // Nothing secret without --verbose.
    assert!(!lines.contains("wonderland-123") && !stdout.contains("wonderland-123"));
    assert!(!lines.contains("access_token:"), "{lines}");

    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(summary["consent_id"].as_str().unwrap().starts_with("pdc-"));
    assert!(summary["payment_id"].as_str().unwrap().starts_with("dp-"));
    assert_eq!(summary["payment_status"], "AcceptedSettlementCompleted");
    // OBIE Payment Initiation API v3.1: a consent authorises one payment.
    assert_eq!(summary["consent_status"], "Consumed");
    assert_eq!(summary["debtor_account_id"], "sandbox-alice-eur");
    assert_eq!(summary["balance_before"], "1000.00");
    assert_eq!(summary["balance_after"], "987.66");
    assert!(
        lines.contains("sandbox-alice-eur: 1000.00 EUR -> 987.66 EUR"),
        "{lines}"
    );

    // The ledger moved the money: Alice debited, Bob credited.
    assert_eq!(
        ledger_balance(&data, "sandbox-alice-eur"),
        amount::parse("987.66").unwrap()
    );
    assert_eq!(
        ledger_balance(&data, "sandbox-bob-eur"),
        amount::parse("262.34").unwrap()
    );

    // The same sandbox, `fiducia demo ekyc`: verified claims (OpenID Connect
    // for Identity Assurance 1.0) reach the fintech in the ID token and
    // from userinfo.
    demo_ekyc_prints_verified_claims(&data);

    signal(&sandbox.0, Signal::SIGINT);
    assert_eq!(wait_exit(&mut sandbox.0, Duration::from_secs(10)).code(), Some(0));
}

/// `fiducia demo ekyc` as alice against a running sandbox: the step lines,
/// and a summary holding what the fintech received, verified under the
/// sandbox's trust framework, with nothing secret printed.
fn demo_ekyc_prints_verified_claims(data: &std::path::Path) {
    let (lines, stdout) = run_demo_as_alice(data, "ekyc", &[]);
    for step in [
        "registered client",
        "authorization request",
        "alice signs in and approves",
        "customer approved",
        "ID token",
        "userinfo",
        "What the fintech received from userinfo",
    ] {
        assert!(lines.contains(step), "no `{step}` line: {lines}");
    }
    assert!(!lines.contains("wonderland-123") && !stdout.contains("wonderland-123"));
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    let in_id_token = &summary["id_token_verified_claims"];
    let first = if in_id_token.is_array() {
        &in_id_token[0]
    } else {
        in_id_token
    };
    assert!(first["verification"]["trust_framework"].is_string(), "{summary}");
    assert!(first["claims"]["family_name"].is_string(), "{summary}");
    let userinfo = &summary["userinfo"]["verified_claims"];
    let set = if userinfo.is_array() {
        &userinfo[0]
    } else {
        userinfo
    };
    for claim in ["given_name", "family_name", "birthdate"] {
        assert!(set["claims"][claim].is_string(), "{claim}: {summary}");
    }
    assert!(
        set["verification"]["evidence"][0]["type"] == "document",
        "{summary}"
    );
    // Only what was asked: no e-mail, no phone in userinfo.
    assert!(summary["userinfo"].get("email").is_none(), "{summary}");
}

/// Without `--user` the demo prints the authorization URL (RFC 9126 §4:
/// `client_id` and the pushed `request_uri`) for a person's browser and
/// waits for the code on stdin; with stdin closed it stops at that step,
/// naming it.
#[test]
fn demo_payment_without_a_user_prints_the_authorization_url_and_waits_for_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let mut sandbox = spawn_sandbox(&data);
    let output = Command::new(fiducia_bin())
        .args(["demo", "payment", "--data"])
        .arg(&data)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("/authorize?client_id=") && stdout.contains("request_uri=urn"),
        "{stdout}"
    );
    assert!(
        stderr.contains("step 4") && stderr.contains("no code was given"),
        "{stderr}"
    );

    signal(&sandbox.0, Signal::SIGINT);
    assert_eq!(wait_exit(&mut sandbox.0, Duration::from_secs(10)).code(), Some(0));
}

/// `fiducia demo ciba-payment` against a fresh sandbox: the sandbox's CIBA
/// fintech (FAPI CIBA poll mode, private_key_jwt over mTLS) creates the
/// consents, sends signed backchannel authentication requests naming each
/// (CIBA Core §7.1.1, `openbanking_intent_id`), the customer approves on
/// the sandbox customer device's JSON API, the fintech polls the token
/// endpoint with the CIBA grant (§10.1, §11) and pays through the gateway;
/// the ledger shows the money moved.
#[test]
fn demo_ciba_payment_moves_money_after_the_customer_approves_on_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let mut sandbox = spawn_sandbox(&data);
    let (lines, stdout) = alice_pays_bob(&data, "ciba-payment", "7.50", &["--binding-message", "TILL 42"]);
    for step in [
        "client token",
        "account consent",
        "backchannel request",
        "binding message \"TILL 42\"",
        "first poll: authorization_pending",
        "customer's phone",
        "Sandbox Till Payments Ltd asks \"TILL 42\"",
        "Amount: 7.50 EUR",
        "this is what the customer's phone does",
        "tokens (poll)",
        "ID token checked",
        "payment consent",
        "payment status",
    ] {
        assert!(lines.contains(step), "no `{step}` line: {lines}");
    }
    assert!(!lines.contains("wonderland-123") && !stdout.contains("wonderland-123"));
    assert!(!lines.contains("access_token:"), "{lines}");

    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["client_id"], "sandbox-ciba-fintech");
    assert!(summary["consent_id"].as_str().unwrap().starts_with("pdc-"));
    assert!(!summary["auth_req_id_payments"].as_str().unwrap().is_empty());
    assert!(summary["payment_id"].as_str().unwrap().starts_with("dp-"));
    assert_eq!(summary["payment_status"], "AcceptedSettlementCompleted");
    assert_eq!(summary["consent_status"], "Consumed");
    assert_eq!(summary["debtor_account_id"], "sandbox-alice-eur");
    // Money moved: before minus the amount is after.
    let before = amount::parse(summary["balance_before"].as_str().unwrap()).unwrap();
    let after = amount::parse(summary["balance_after"].as_str().unwrap()).unwrap();
    assert_eq!(before - amount::parse("7.50").unwrap(), after);
    assert_eq!(ledger_balance(&data, "sandbox-alice-eur"), after);
    assert_eq!(
        ledger_balance(&data, "sandbox-bob-eur"),
        amount::parse("257.50").unwrap()
    );

    signal(&sandbox.0, Signal::SIGINT);
    assert_eq!(wait_exit(&mut sandbox.0, Duration::from_secs(10)).code(), Some(0));
}
