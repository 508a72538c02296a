//! Issue 23, "What must be shown": `cc-mtls` (RFC 6749 §4.4 with RFC 8705
//! §2.1 client authentication) and `flow` load through HAProxy against
//! three nodes while each node in turn gets SIGTERM and is started again:
//! no operation fails when the nodes drain (`[server] drain_delay_ms`:
//! `/readyz` 503 and `Connection: close` before the listeners stop);
//! without it, only requests sent on a kept-alive connection at the
//! instant the stopping node closes it fail. Then kill -9 of one node under load: every access
//! token acknowledged to a client introspects active afterwards (RFC 7662
//! §2.2), and no more operations fail than were in flight.

use super::ClusterSandbox;
use fiducia_loadtest::report::Report;
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

/// Closed-loop clients of each scenario: the most operations that can be
/// in flight on a killed node at once.
const CC_CLIENTS: usize = 2;
const FLOW_CLIENTS: usize = 1;

fn summary(name: &str, report: &Report) -> String {
    let v = report.verify.as_ref().unwrap();
    format!(
        "{name}: {} ok, {} failed {:?}; verify: {} kept, {} active, {} inactive, {} failed, {} expired, {} not kept",
        report.ok,
        report.failed,
        report.errors,
        v.kept,
        v.active,
        v.inactive,
        v.failed,
        v.expired,
        v.not_kept
    )
}

/// Every acknowledged token was kept and is active (RFC 7662 §2.2).
fn assert_all_active(name: &str, report: &Report) {
    let v = report.verify.as_ref().unwrap();
    assert!(report.ok > 0, "{}", summary(name, report));
    assert_eq!(v.kept, report.ok, "{}", summary(name, report));
    assert_eq!(
        (v.active, v.inactive, v.failed, v.not_kept),
        (v.kept, 0, 0, 0),
        "{}",
        summary(name, report)
    );
    assert!(v.passed(), "{}", summary(name, report));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restarts_fail_nothing_and_kill_9_fails_only_what_was_in_flight() {
    let Some(cluster) = ClusterSandbox::start(3, &[]) else {
        return;
    };
    let cluster = std::sync::Arc::new(cluster);

    // Rolling restart: SIGTERM each node in turn, and wait until the
    // balancer sends to it again before the next.
    let seconds = 20.0;
    let (cc_args, flow_args) = (
        cluster.load("cc-mtls", CC_CLIENTS, seconds),
        cluster.load("flow", FLOW_CLIENTS, seconds),
    );
    let began = Instant::now();
    let c = cluster.clone();
    let restarts = async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let took = tokio::task::spawn_blocking(move || {
            (0..3).map(|i| c.restart(i, Signal::SIGTERM)).collect::<Vec<_>>()
        })
        .await
        .unwrap();
        (took, began.elapsed())
    };
    let (cc, flow, (took, rolled)) = tokio::join!(
        fiducia_loadtest::run(&cc_args),
        fiducia_loadtest::run(&flow_args),
        restarts
    );
    let (cc, flow) = (cc.unwrap(), flow.unwrap());
    eprintln!("rolling restart: each node back UP after {took:?}");
    eprintln!("{}\n{}", summary("cc-mtls", &cc), summary("flow", &flow));
    eprintln!(
        "connections opened while measuring: cc-mtls {}, flow {}",
        cc.connections_measured, flow.connections_measured
    );
    assert!(
        rolled < Duration::from_secs_f64(seconds),
        "the restarts ({rolled:?}) outlasted the load: the run shows nothing"
    );
    if cluster.drain_delay_ms() > 0 {
        assert_eq!(
            (cc.failed, flow.failed),
            (0, 0),
            "{:?} {:?}",
            cc.errors,
            flow.errors
        );
    } else {
        // Without a drain delay a node closes its idle kept-alive
        // connections as it stops, and a request the client sends on one
        // at that instant fails ("connection closed before message
        // completed"): at most one per connection of a restarted node, and
        // never an answer from the OP.
        for (report, clients) in [(&cc, CC_CLIENTS), (&flow, FLOW_CLIENTS)] {
            assert!(
                report.failed <= (3 * clients) as u64 && report.errors.keys().all(|e| e.contains(": io: ")),
                "{:?}",
                report.errors
            );
        }
    }
    // The restarts did cut the load's kept-alive connections (it opened
    // new ones through the balancer while measuring).
    assert!(
        cc.connections_measured > 0 && flow.connections_measured > 0,
        "no connection was cut: {} {}",
        cc.connections_measured,
        flow.connections_measured
    );
    assert_all_active("cc-mtls", &cc);
    assert_all_active("flow", &flow);

    // kill -9 of one node under load.
    let seconds = 6.0;
    let (cc_args, flow_args) = (
        cluster.load("cc-mtls", CC_CLIENTS, seconds),
        cluster.load("flow", FLOW_CLIENTS, seconds),
    );
    let c = cluster.clone();
    let kill = async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        tokio::task::spawn_blocking(move || c.restart(1, Signal::SIGKILL))
            .await
            .unwrap()
    };
    let (cc, flow, took) = tokio::join!(
        fiducia_loadtest::run(&cc_args),
        fiducia_loadtest::run(&flow_args),
        kill
    );
    let (cc, flow) = (cc.unwrap(), flow.unwrap());
    eprintln!("kill -9: node-2 back UP after {took:?}");
    eprintln!("{}\n{}", summary("cc-mtls", &cc), summary("flow", &flow));
    assert!(
        cc.failed <= CC_CLIENTS as u64 && flow.failed <= FLOW_CLIENTS as u64,
        "more failures than operations in flight: {} {}",
        summary("cc-mtls", &cc),
        summary("flow", &flow)
    );
    assert_all_active("cc-mtls", &cc);
    assert_all_active("flow", &flow);
}
