//! Criterion benchmark of the client lookup every `/token`, `/par`,
//! introspection and revocation request of a static client makes: the
//! registry's charged lookup (`ClientRegistry::get_charged`: the client,
//! its actor's snapshot and request budget) and the uncharged one (`get`),
//! over 50 `[[clients]]` entries. docs/PERFORMANCE.md records it before and
//! after live client documents (a store-held snapshot consulted first).
//!
//! ```text
//! cargo bench -p fiducia-bench --bench client_lookup
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use fiducia::actors::client_registry::ClientRegistry;
use fiducia::config::StaticClientConfig;
use fiducia::model::Client;
use std::hint::black_box;

/// A `[[clients]]` entry as the file has it (tls_client_auth: no key file).
fn entry(i: usize) -> StaticClientConfig {
    let text = format!(
        "client_id = \"bench-{i}\"\nclient_name = \"Bench {i}\"\nredirect_uris = [\"https://bench.example/cb\"]\ntoken_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=bench-{i}\"\nrequests_per_second = 1000000000\nburst = 1000000000\n"
    );
    toml::from_str(&text).unwrap()
}

fn lookup(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (root, _) = rt
        .block_on(ractor::Actor::spawn(
            None,
            fiducia::actors::root::RootSupervisor,
            (),
        ))
        .unwrap();
    let statics = (0..50).map(|i| Client::from_static(&entry(i)).unwrap()).collect();
    let registry = ClientRegistry::new(statics, None, root.get_cell());
    // The actor exists after the first lookup, as on a warm node.
    rt.block_on(registry.get_charged("bench-7")).unwrap().unwrap();
    let mut group = c.benchmark_group("client_lookup");
    group.bench_function("static_get_charged", |b| {
        b.iter(|| {
            rt.block_on(registry.get_charged(black_box("bench-7")))
                .unwrap()
                .unwrap()
        })
    });
    group.bench_function("static_get", |b| {
        b.iter(|| rt.block_on(registry.get(black_box("bench-7"))).unwrap())
    });
    group.finish();
    root.stop(None);
}

criterion_group!(benches, lookup);
criterion_main!(benches);
