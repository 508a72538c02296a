//! The load tester's browser against a stand-in OP whose pages are not
//! Fiducia's (`stand_in/`): redirect chains of two, other field and button
//! names, cookies scoped by path and domain (RFC 6265), all found through
//! the setup file's `[browser]` table.

// In tests a panic is the assertion (as in tests/it.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod stand_in;

use clap::Parser;
use fiducia_loadtest::{Args, report::Report, run};
use stand_in::{Behaviour, StandIn};
use std::path::Path;

const BROWSER: &str = r#"[browser]
username_field = "user"
password_field = "pass"
csrf_field = "authenticity_token"
login_form = "commit=Sign in"
approve_button = "action=accept"
"#;

async fn load(setup: &Path, scenario: &str, extra: &[&str]) -> Report {
    let mut argv = vec![
        "fiducia-loadtest",
        "--config",
        setup.to_str().unwrap(),
        "--scenario",
        scenario,
        "--target",
        "127.0.0.1",
        "--warmup",
        "0",
        "--quiet",
    ];
    argv.extend_from_slice(extra);
    run(&Args::parse_from(argv)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_and_flow_mtls_drive_an_op_with_other_pages() {
    let op = StandIn::start(Behaviour::Normal).await;
    let setup = op.setup_file("setup.toml", BROWSER);
    for scenario in ["flow", "flow-mtls"] {
        let report = load(&setup, scenario, &["--concurrency", "2", "--duration", "2"]).await;
        assert!(
            report.ok > 0 && report.failed == 0,
            "{scenario}: ok {} failed {}: {:?}; the stand-in saw {:?}",
            report.ok,
            report.failed,
            report.errors,
            op.violations()
        );
        assert_eq!(op.violations(), Vec::<String>::new());
        // The steps keep their names; the redirects count into them.
        let steps: Vec<&str> = report.steps.iter().map(|s| s.step.as_str()).collect();
        for step in [
            "par",
            "authorize",
            "login_page",
            "login",
            "consent_page",
            "consent",
            "token",
            "userinfo",
        ] {
            assert!(steps.contains(&step), "{scenario}: no {step} in {steps:?}");
        }
        for step in &report.steps {
            if step.step != "op" {
                assert_eq!(
                    step.count, report.ok,
                    "{scenario}: one sample of {} per flow",
                    step.step
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_field_names_the_run_fails_naming_the_missing_field() {
    let op = StandIn::start(Behaviour::Normal).await;
    let setup = op.setup_file("fiducia-defaults.toml", "");
    let report = load(&setup, "flow", &["--concurrency", "1", "--requests", "3"]).await;
    assert_eq!((report.ok, report.failed), (0, 3), "{:?}", report.errors);
    let errors: Vec<&String> = report.errors.keys().collect();
    assert_eq!(
        errors,
        ["login_page: unexpected: no form has a `password` field ([browser] password_field)"]
    );

    let only_password = "[browser]\npassword_field = \"pass\"\napprove_button = \"action=accept\"\n";
    let setup = op.setup_file("no-username.toml", only_password);
    let report = load(&setup, "flow", &["--concurrency", "1", "--requests", "2"]).await;
    let errors: Vec<&String> = report.errors.keys().collect();
    assert_eq!(
        errors,
        ["login_page: unexpected: the login form has no `username` field ([browser] username_field)"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_ends_with_too_many_redirects() {
    let op = StandIn::start(Behaviour::RedirectLoop).await;
    let setup = op.setup_file("setup.toml", BROWSER);
    let report = load(&setup, "flow", &["--concurrency", "1", "--requests", "2"]).await;
    assert_eq!((report.ok, report.failed), (0, 2), "{:?}", report.errors);
    let errors: Vec<&String> = report.errors.keys().collect();
    assert_eq!(
        errors,
        ["login_page: unexpected: too many redirects (more than 20)"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_at_the_redirect_uri_fails_named_by_it() {
    let op = StandIn::start(Behaviour::DenyConsent).await;
    let setup = op.setup_file("setup.toml", BROWSER);
    let report = load(&setup, "flow", &["--concurrency", "1", "--requests", "2"]).await;
    assert_eq!((report.ok, report.failed), (0, 2), "{:?}", report.errors);
    let errors: Vec<&String> = report.errors.keys().collect();
    assert_eq!(errors, ["consent: 302 access_denied"]);
    assert_eq!(op.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_op_that_asks_no_consent_sends_the_customer_back_after_the_login() {
    let op = StandIn::start(Behaviour::SkipConsent).await;
    let setup = op.setup_file("setup.toml", BROWSER);
    let report = load(&setup, "flow", &["--concurrency", "1", "--requests", "3"]).await;
    assert_eq!(
        (report.ok, report.failed),
        (3, 0),
        "{:?} {:?}",
        report.errors,
        op.violations()
    );
    let steps: Vec<&str> = report.steps.iter().map(|s| s.step.as_str()).collect();
    assert!(
        !steps.contains(&"consent_page") && !steps.contains(&"consent"),
        "{steps:?}"
    );
    // The login's redirects back to the client count into `login`.
    assert!(
        report.steps.iter().all(|s| s.count == 3),
        "one sample per step and flow"
    );
}
