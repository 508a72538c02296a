//! The trail's own rules: links, striping, what verify names when an
//! attacker with store access edits, deletes or reorders records, and
//! checkpoint signatures.

use super::chain::{self, chain_of};
use super::checkpoint::{self, CHECKPOINT_TYP, Checkpoint};
use super::verify::{Place, Problem, verify};
use super::*;
use crate::store::embedded::open_store;
use crate::store::keys;
use crate::store::kv::Store;
use fiducia_hsm::{JoseAlg, PublicJwk, Signer, SoftwareSigner};

fn event(target: &str) -> AuditEvent {
    AuditEvent::new(
        EventType::ConsentAuthorised,
        Actor::Customer("acct-1".into()),
        Target::new("consent", target),
    )
    .with_change(Change::state(
        "status",
        Some("AwaitingAuthorisation"),
        "Authorised",
    ))
}

async fn append_one(store: &Store, target: &str, now: u64) -> AuditRecord {
    let e = event(target);
    let e = &e;
    store
        .run(|tx, _| async move { append(&tx, e, now).await })
        .await
        .unwrap()
}

/// Targets that all fall in one chain, so tests know the sequence numbers.
fn same_chain_targets(n: usize) -> (u16, Vec<String>) {
    let chain = chain_of("t-0");
    let targets = (0..10_000)
        .map(|i| format!("t-{i}"))
        .filter(|t| chain_of(t) == chain)
        .take(n)
        .collect();
    (chain, targets)
}

#[tokio::test]
async fn records_link_to_the_one_before_and_verify_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path()).unwrap();
    let (chain, targets) = same_chain_targets(3);
    let mut records = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        records.push(append_one(&store, t, 100 + i as u64).await);
    }
    assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(records.iter().all(|r| r.chain == chain));
    assert_eq!(records[0].prev, "0".repeat(64));
    let stored = read::since(&store, 0, 0).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(records[1].prev, record::hex(&keys::sha256(&stored[0].bytes)));
    let report = verify(&store, &[]).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.records, 3);
    assert_eq!(read::since(&store, 101, 0).await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_edited_record_and_a_deleted_one_are_each_named() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path()).unwrap();
    let (chain, targets) = same_chain_targets(4);
    let (other_chain, others) = {
        let other = (0..10_000)
            .map(|i| format!("o-{i}"))
            .find(|t| chain_of(t) != chain)
            .unwrap();
        (chain_of(&other), vec![other.clone(), other])
    };
    for t in &targets {
        append_one(&store, t, 100).await;
    }
    for t in &others {
        append_one(&store, t, 100).await;
    }
    // As an attacker with write access to the store: change who acted in
    // record 2 of the first chain, and delete record 1 of the other.
    let key = keys::audit_record_key(chain, 2);
    let key = &key;
    store
        .run(|tx, _| async move {
            let bytes = tx.get(key).await?.unwrap();
            let edited = String::from_utf8(bytes).unwrap().replace("acct-1", "acct-2");
            tx.set(key, edited.as_bytes())
        })
        .await
        .unwrap();
    let gone = keys::audit_record_key(other_chain, 1);
    let gone = &gone;
    store.run(|tx, _| async move { tx.clear(gone) }).await.unwrap();

    let report = verify(&store, &[]).await.unwrap();
    let named: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.place, f.problem.clone()))
        .collect();
    assert!(
        named.contains(&(Place::Record { chain, seq: 2 }, Problem::Edited)),
        "{named:?}"
    );
    assert!(
        named.contains(&(
            Place::Record {
                chain: other_chain,
                seq: 1
            },
            Problem::Missing
        )),
        "{named:?}"
    );
    assert_eq!(named.len(), 2, "{named:?}");
}

#[tokio::test]
async fn the_last_record_edited_or_deleted_and_swapped_records_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path()).unwrap();
    let (chain, targets) = same_chain_targets(3);
    for t in &targets {
        append_one(&store, t, 100).await;
    }
    let read = |seq| {
        let store = store.clone();
        async move {
            let key = keys::audit_record_key(chain, seq);
            let key = &key;
            store
                .run(|tx, _| async move { tx.get(key).await })
                .await
                .unwrap()
                .unwrap()
        }
    };
    let write = |seq, bytes: Vec<u8>| {
        let store = store.clone();
        async move {
            let key = keys::audit_record_key(chain, seq);
            let (key, bytes) = (&key, &bytes);
            store
                .run(|tx, _| async move { tx.set(key, bytes) })
                .await
                .unwrap()
        }
    };
    let first_problem = |store: Store| async move {
        let report = verify(&store, &[]).await.unwrap();
        report.findings.first().map(|f| (f.place, f.problem.clone()))
    };
    let (r1, r2, r3) = (read(1).await, read(2).await, read(3).await);
    // The head names the last record: editing it is seen there.
    write(
        3,
        String::from_utf8(r3.clone())
            .unwrap()
            .replace("\"time\":100", "\"time\":101")
            .into_bytes(),
    )
    .await;
    assert_eq!(
        first_problem(store.clone()).await,
        Some((Place::Record { chain, seq: 3 }, Problem::Edited))
    );
    write(3, r3).await;
    // Swapping two records' bytes: each is stored at the other's place.
    write(1, r2.clone()).await;
    write(2, r1.clone()).await;
    assert_eq!(
        first_problem(store.clone()).await,
        Some((Place::Record { chain, seq: 1 }, Problem::Reordered))
    );
    write(1, r1).await;
    write(2, r2.clone()).await;
    assert!(verify(&store, &[]).await.unwrap().is_intact());
    // Editing a record's own `prev` names that record, not the one before.
    let record: AuditRecord = serde_json::from_slice(&r2).unwrap();
    let forged = String::from_utf8(r2.clone())
        .unwrap()
        .replace(&record.prev, &"1".repeat(64));
    write(2, forged.into_bytes()).await;
    assert_eq!(
        first_problem(store.clone()).await,
        Some((Place::Record { chain, seq: 2 }, Problem::Edited))
    );
    write(2, r2).await;
    // Deleting the last record: the head still counts it.
    let key = keys::audit_record_key(chain, 3);
    let key = &key;
    store.run(|tx, _| async move { tx.clear(key) }).await.unwrap();
    assert_eq!(
        first_problem(store.clone()).await,
        Some((Place::Record { chain, seq: 3 }, Problem::Missing))
    );
}

async fn sign_checkpoint(store: &Store, signer: &SoftwareSigner, now: u64) -> Checkpoint {
    let claims = checkpoint::plan(store, now, 60).await.unwrap().unwrap();
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), CHECKPOINT_TYP.into());
    let jws = fiducia_hsm::sign_jws(signer, header, &serde_json::to_vec(&claims).unwrap())
        .await
        .unwrap();
    let record = Checkpoint {
        v: 1,
        claims,
        node: "n1".into(),
        jws,
    };
    assert!(checkpoint::store_if_still_next(store, &record).await.unwrap());
    record
}

#[tokio::test]
async fn checkpoints_verify_with_the_op_key_and_a_broken_signature_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path()).unwrap();
    let signer = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let keys_of_op: Vec<PublicJwk> = vec![signer.public_jwk().clone()];
    for t in ["a", "b", "c"] {
        append_one(&store, t, 100).await;
    }
    sign_checkpoint(&store, &signer, 200).await;
    // Not due again within the interval; two nodes planning the same
    // sequence number: only the first write is stored.
    assert!(checkpoint::plan(&store, 230, 60).await.unwrap().is_none());
    let second = sign_checkpoint(&store, &signer, 260).await;
    assert!(!checkpoint::store_if_still_next(&store, &second).await.unwrap());
    let report = verify(&store, &keys_of_op).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.checkpoints, 2);

    // Another key did not sign it (RFC 7515 §5.2 step 8 fails).
    let stranger = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let report = verify(&store, &[stranger.public_jwk().clone()]).await.unwrap();
    assert!(
        report
            .findings
            .iter()
            .all(|f| matches!(f.problem, Problem::BadSignature(_))),
        "{:?}",
        report.findings
    );
    assert_eq!(report.findings.len(), 2);

    // A flipped signature byte in checkpoint 2.
    let key = keys::audit_checkpoint_key(2);
    let key = &key;
    store
        .run(|tx, _| async move {
            let mut cp: Checkpoint = serde_json::from_slice(&tx.get(key).await?.unwrap()).unwrap();
            let last = cp.jws.pop().unwrap();
            cp.jws.push(if last == 'A' { 'B' } else { 'A' });
            tx.set(key, &serde_json::to_vec(&cp).unwrap())
        })
        .await
        .unwrap();
    let report = verify(&store, &keys_of_op).await.unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].place, Place::Checkpoint { seq: 2 });
    assert!(matches!(report.findings[0].problem, Problem::BadSignature(_)));
}

#[tokio::test]
async fn a_rewritten_chain_with_a_matching_head_is_caught_by_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path()).unwrap();
    let signer = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let record = append_one(&store, "x", 100).await;
    sign_checkpoint(&store, &signer, 200).await;
    // Rewrite the record and its head consistently: the links alone hold.
    let chain = record.chain;
    store
        .run(|tx, _| async move {
            let key = keys::audit_record_key(chain, 1);
            let edited = String::from_utf8(tx.get(&key).await?.unwrap())
                .unwrap()
                .replace("acct-1", "acct-9");
            tx.set(&key, edited.as_bytes())?;
            let head = chain::Head {
                seq: 1,
                hash: keys::sha256(edited.as_bytes()),
            };
            tx.set(&keys::audit_head_key(chain), &head.encode())
        })
        .await
        .unwrap();
    let report = verify(&store, &[signer.public_jwk().clone()]).await.unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].place, Place::Checkpoint { seq: 1 });
    assert!(matches!(
        report.findings[0].problem,
        Problem::CheckpointMismatch(_)
    ));
}

#[test]
fn records_spread_over_every_chain() {
    let mut used = [0usize; keys::AUDIT_CHAINS as usize];
    for i in 0..6400 {
        used[usize::from(chain_of(&format!("consent-{i}")))] += 1;
    }
    assert!(used.iter().all(|n| (50..=150).contains(n)), "{used:?}");
}

/// `read::page` walks the same order as `since`, `limit` at a time, from
/// the position of the last record a page held (the Config API's cursor).
#[tokio::test]
async fn pages_follow_the_order_of_since_from_a_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path()).unwrap();
    for i in 0..7u64 {
        // Several chains, some records at the same second.
        append_one(&store, &format!("p-{i}"), 100 + i / 2).await;
    }
    let all = read::since(&store, 0, 0).await.unwrap();
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = read::page(&store, 0, after, 3).await.unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(read::Position::of(&last.record));
        walked.extend(page);
    }
    assert_eq!(walked, all);
    let late = read::page(&store, 102, None, 100).await.unwrap();
    assert_eq!(late, read::since(&store, 102, 0).await.unwrap());
}
