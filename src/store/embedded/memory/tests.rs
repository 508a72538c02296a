use super::snapshot_file;
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions, EngineKind, wal};
use crate::store::kv::{KeyRange, KvError, RangeOptions, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn open(dir: &Path, budget_bytes: u64) -> Arc<EmbeddedBackend> {
    let options = EmbeddedOptions {
        engine: EngineKind::Memory,
        memory_budget_bytes: budget_bytes,
        ..EmbeddedOptions::default()
    };
    Arc::new(EmbeddedBackend::open(dir, options).unwrap())
}

async fn put(store: &Store, key: Vec<u8>, value: Vec<u8>) -> Result<(), KvError> {
    store
        .run(|tx, _| {
            let (key, value) = (key.clone(), value.clone());
            async move { tx.set(&key, &value) }
        })
        .await
}

async fn read_all(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    store
        .run(|tx, _| async move {
            tx.get_range(&KeyRange::new(Vec::new(), vec![0xff]), RangeOptions::default())
                .await
        })
        .await
        .unwrap()
}

fn log_segments(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(wal::DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A sealed segment becomes a snapshot, off the request path, and is
/// deleted; a reopen loads the snapshot and replays the log written after
/// it, so every acknowledged write is there, with its last value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_segments_become_a_snapshot_and_a_reopen_reads_it_and_the_log_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path(), 1 << 30);
    let store = Store::new(backend.clone());
    let first_segment = log_segments(dir.path())[0].clone();
    // The first segment after an open is sealed once a spare is ready
    // (`wal::PREPARE_AFTER_BYTES` written): 3 MiB gets it sealed.
    for i in 0..300u32 {
        put(&store, format!("k/{i:04}").into_bytes(), vec![i as u8; 10 * 1024])
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while log_segments(dir.path()).contains(&first_segment) || !snapshot_file::path(dir.path()).exists() {
        assert!(
            Instant::now() < deadline,
            "no snapshot: {:?}",
            log_segments(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // After the snapshot: a rewrite, a delete and a range clear, in the log
    // only.
    put(&store, b"k/0000".to_vec(), b"rewritten".to_vec())
        .await
        .unwrap();
    store
        .run(|tx, _| async move { tx.clear(b"k/0001") })
        .await
        .unwrap();
    store
        .run(|tx, _| async move { tx.clear_range(&KeyRange::new(b"k/0100".to_vec(), b"k/0200".to_vec())) })
        .await
        .unwrap();
    let expected = read_all(&store).await;
    assert_eq!(expected.len(), 300 - 1 - 100);
    store.close().await;
    drop(store);
    drop(backend);

    let reopened = Store::new(open(dir.path(), 1 << 30));
    assert_eq!(read_all(&reopened).await, expected);
    let rewritten = reopened
        .run(|tx, _| async move { tx.get(b"k/0000").await })
        .await
        .unwrap();
    assert_eq!(rewritten.as_deref(), Some(&b"rewritten"[..]));
}

/// A snapshot damaged on the disk is refused: the store does not open on
/// part of its data.
#[tokio::test]
async fn a_damaged_snapshot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::new(open(dir.path(), 1 << 30));
        put(&store, b"k".to_vec(), b"v".to_vec()).await.unwrap();
        store.close().await;
    }
    // The reopen replays the log and writes the snapshot.
    {
        let store = Store::new(open(dir.path(), 1 << 30));
        store.close().await;
    }
    let path = snapshot_file::path(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let error = EmbeddedBackend::open(
        dir.path(),
        EmbeddedOptions {
            engine: EngineKind::Memory,
            ..EmbeddedOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(error.to_string().contains("is damaged"), "{error}");
}

/// At its memory budget the store refuses commits that set keys, with an
/// error that names the budget (the OP's 503), serves reads, accepts
/// deletes, and takes writes again once deletes freed memory.
#[tokio::test]
async fn at_the_memory_budget_sets_are_refused_and_deletes_make_room() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path(), 64 * 1024);
    let store = Store::new(backend.clone());
    let mut written = 0u32;
    let refusal = loop {
        match put(&store, format!("k/{written:04}").into_bytes(), vec![7; 1024]).await {
            Ok(()) => written += 1,
            Err(error) => break error,
        }
        assert!(written < 1000, "never refused");
    };
    assert!(refusal.to_string().contains("memory budget"), "{refusal}");
    assert!(backend.memory_bytes() >= 64 * 1024);
    // ~1.1 KiB an entry: about 58 fit in 64 KiB.
    assert!((50..70).contains(&written), "{written}");
    assert_eq!(read_all(&store).await.len(), written as usize);
    store
        .run(|tx, _| async move { tx.clear_range(&KeyRange::new(b"k/0000".to_vec(), b"k/0010".to_vec())) })
        .await
        .unwrap();
    // A read waits until the clear is applied.
    assert_eq!(read_all(&store).await.len(), written as usize - 10);
    assert!(backend.memory_bytes() < 64 * 1024);
    put(&store, b"after".to_vec(), b"room".to_vec()).await.unwrap();
    assert_eq!(read_all(&store).await.len(), written as usize - 10 + 1);
}

/// The snapshot file round-trips a map, and every kind of damage is
/// refused rather than read as fewer entries.
#[test]
fn a_snapshot_round_trips_and_truncation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut map = super::Map::new();
    for i in 0..1000u32 {
        map.insert(
            Arc::from(i.to_be_bytes().as_slice()),
            Arc::from(vec![1u8; i as usize % 50]),
        );
    }
    map.insert(Arc::from(&b""[..]), Arc::from(&b"empty key"[..]));
    let written = snapshot_file::write(dir.path(), &map, || {}).unwrap();
    assert_eq!(written.entries, 1001);
    assert_eq!(snapshot_file::load(dir.path()).unwrap().unwrap(), map);
    let path = snapshot_file::path(dir.path());
    let whole = std::fs::read(&path).unwrap();
    assert_eq!(whole.len() as u64, written.bytes);
    for cut in [whole.len() - 1, whole.len() - 33, whole.len() / 2, 10] {
        std::fs::write(&path, &whole[..cut]).unwrap();
        assert!(snapshot_file::load(dir.path()).is_err(), "cut at {cut}");
    }
    let mut longer = whole.clone();
    longer.push(0);
    std::fs::write(&path, &longer).unwrap();
    assert!(snapshot_file::load(dir.path()).is_err());
}
