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
