//! Criterion benchmark of revoking what a client holds when pending CIBA
//! requests take no client index entry (schema 11, `Kind::is_found_by_scan`):
//! a revocation (a client deleted or suspended, a customer disabled) reads
//! the whole `ciba_request` kind. The store holds 100,000 pending requests of
//! other clients (the memory target's pool) and, per iteration, one of the
//! revoked client's; what is timed is `Repo::revoke_issued_to_client` for
//! it, on the embedded store with durable commits.
//!
//! ```text
//! cargo bench -p fiducia-bench --bench ciba_revoke
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use fiducia::model::Binding;
use fiducia::model::ciba::BackchannelRequest;
use fiducia::protocol::ciba::{CibaStatus, DeliveryMode};
use fiducia::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use fiducia::store::kv::Store;
use fiducia::store::repo::{GrantRevocation, Repo, RevocationCause, ops};
use std::sync::Arc;
use std::time::Duration;

const NOW: u64 = 1_800_000_000;
const POOL: usize = 100_000;

fn pending(client_id: &str) -> BackchannelRequest {
    BackchannelRequest {
        client_id: client_id.into(),
        account_id: "sandbox-alice".into(),
        scopes: vec!["openid".into()],
        authorization_details: None,
        openbanking_intent_id: None,
        binding_message: Some("LT00042".into()),
        acr_values: Vec::new(),
        delivery_mode: DeliveryMode::Poll,
        client_notification_token: None,
        created_at: NOW,
        expires_at: NOW + 3600,
        interval: 5,
        last_polled_at: None,
        status: CibaStatus::Pending,
        sender: Some(Binding::Mtls(
            "2fLiB0tqUq8IuH7sl1vU_Jz2aKIY8R5jGWd-Uq1yq0A".into(),
        )),
        grant_id: None,
        app: None,
    }
}

fn revoke_among_pending(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = rt.block_on(Repo::open(Store::new(backend))).unwrap();
    let others = pending("sandbox-loadtest-ciba-mtls");
    for chunk in 0..POOL / 1_000 {
        rt.block_on(repo.store().run(|tx, _| {
            let others = &others;
            async move {
                for i in 0..1_000 {
                    ops::upsert(&tx, &format!("pool-{chunk}-{i}"), others, Some(3600), NOW).await?;
                }
                Ok(())
            }
        }))
        .unwrap();
    }
    let revocation = GrantRevocation {
        cause: RevocationCause::ClientRevocation,
        now: NOW,
        keep_secs: 3600,
    };
    let revoked = pending("fintech-deleted");
    let mut round = 0u64;
    let mut group = c.benchmark_group("ciba_revoke");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("revoke_issued_to_client_among_100k_pending", |b| {
        b.iter(|| {
            round += 1;
            rt.block_on(async {
                repo.upsert(&format!("mine-{round}"), &revoked, Some(3600), NOW)
                    .await
                    .unwrap();
                let deleted = repo
                    .revoke_issued_to_client("fintech-deleted", revocation)
                    .await
                    .unwrap();
                assert_eq!(deleted, 1);
            });
        });
    });
    group.finish();
}

criterion_group!(benches, revoke_among_pending);
criterion_main!(benches);
