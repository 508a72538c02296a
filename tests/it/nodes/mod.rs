//! Several OP nodes sharing one PostgreSQL database, as behind a load
//! balancer: each node a server of its own in this process
//! ([`Op::another_node`]: own actors, caches, listeners; the same store,
//! SoftHSM token and PKI), reached over real mTLS. What one node does,
//! another sees at once, because every fact that must hold across nodes is
//! in the store or the HSM token (docs/ARCHITECTURE.md "Where state
//! lives"). Skipped, with the reason printed, where PostgreSQL is not
//! installed, unless `FIDUCIA_REQUIRE_POSTGRES=1`.

mod clients;
mod flows;
mod keys;
mod registration;
mod sections;

use crate::it::flow::harness::{Op, Sections};
use crate::it::support::TestPki;

/// The `[store]` section of a node on the PostgreSQL database `url`.
pub fn store_section(url: &str) -> String {
    format!(
        "\n[store]\nbackend = \"postgres\"\npostgres_url = \"{url}\"\npostgres_sslmode = \"disable\"\npostgres_pool_size = 4\ntimeout_ms = 5000\n"
    )
}

/// A fresh database on the shared test server, or `None` (skip).
pub async fn database() -> Option<String> {
    let server = crate::it::pg_server::shared()?;
    Some(server.database().await)
}

/// Two nodes of one OP on a fresh database, with `sections` (the store
/// added), or `None` (skip).
pub async fn two_nodes(sections: Sections<'_>) -> Option<(Op, Op)> {
    let url = database().await?;
    let store = store_section(&url);
    let a = Op::start_with_sections(TestPki::new(), sections, |_| store).await;
    let b = a.another_node().await;
    assert_ne!(a.handle.main_addr, b.handle.main_addr);
    assert_ne!(a.handle.node_id, b.handle.node_id);
    Some((a, b))
}

/// Prints how long changes on node A took to be in force on node B, from
/// the service call's start (`delays`) and after it returned
/// (`after_return`), and asserts the p99 under the 1 s target (issue 24).
pub fn assert_propagation(
    what: &str,
    delays: Vec<std::time::Duration>,
    after_return: Vec<std::time::Duration>,
) {
    use std::time::Duration;
    let changes = delays.len();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let percentiles = |mut all: Vec<Duration>| {
        all.sort();
        let p = |q: usize| all[(all.len() * q).div_ceil(100) - 1];
        (p(50), p(99), all[all.len() - 1])
    };
    let (p50, p99, max) = percentiles(delays);
    let (r50, r99, rmax) = percentiles(after_return);
    println!(
        "{what} change on node A in force on node B: {changes} changes; from the service call's start p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; after it returned p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (poll 250 ms)",
        ms(p50),
        ms(p99),
        ms(max),
        ms(r50),
        ms(r99),
        ms(rmax)
    );
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?} over the 1 s target");
}
