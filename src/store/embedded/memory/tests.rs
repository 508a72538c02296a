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
    // The seal happens at an append after the spare (64 MiB of zeros,
    // written by its own thread) is ready: on a busy machine that can be
    // after the last put above, so keep appending while waiting.
    let deadline = Instant::now() + Duration::from_secs(20);
    while log_segments(dir.path()).contains(&first_segment) || !snapshot_file::path(dir.path()).exists() {
        assert!(
            Instant::now() < deadline,
            "no snapshot: {:?}",
            log_segments(dir.path())
        );
        put(&store, b"tick".to_vec(), b"t".to_vec()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store.run(|tx, _| async move { tx.clear(b"tick") }).await.unwrap();
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
    // The reopen replays the log and hands its segment to the checkpoint
    // thread, which writes a snapshot behind it at the close.
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

/// Writes `pairs` as the snapshot in `dir`, handed over `chunk_len` at a
/// time as the checkpoint thread hands its chunks.
fn write_in_chunks(dir: &Path, pairs: &snapshot_file::Pairs, chunk_len: usize) -> snapshot_file::Written {
    let mut chunks = pairs.chunks(chunk_len);
    snapshot_file::write(dir, |chunk| {
        chunk.extend(chunks.next().unwrap_or_default().iter().cloned());
        chunks.len() > 0
    })
    .unwrap()
}

/// The snapshot file round-trips a map, and every kind of damage is
/// refused rather than read as fewer entries.
#[test]
fn a_snapshot_round_trips_and_truncation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut pairs: snapshot_file::Pairs = (0..1000u32)
        .map(|i| {
            (
                Box::from(i.to_be_bytes().as_slice()),
                vec![1u8; i as usize % 50].into_boxed_slice(),
            )
        })
        .collect();
    pairs.insert(0, (Box::from(&b""[..]), Box::from(&b"empty key"[..])));
    let written = write_in_chunks(dir.path(), &pairs, 300);
    assert_eq!(written.entries, 1001);
    assert_eq!(snapshot_file::load(dir.path()).unwrap().unwrap(), pairs);
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

/// A snapshot larger than the writeback step (its written ranges handed to
/// the kernel as it goes) reads back whole and in order.
#[test]
fn a_snapshot_past_the_writeback_step_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    // 4,000 values of 4 KiB: over 15 MiB, three writeback steps.
    let pairs: snapshot_file::Pairs = (0..4000u32)
        .map(|i| {
            let value = vec![(i % 251) as u8; 4096];
            (Box::from(i.to_be_bytes().as_slice()), value.into_boxed_slice())
        })
        .collect();
    let written = write_in_chunks(dir.path(), &pairs, 100);
    assert_eq!(written.entries, 4000);
    assert!(written.bytes > 3 * 4 * 1024 * 1024);
    assert_eq!(snapshot_file::load(dir.path()).unwrap().unwrap(), pairs);
}

/// A read at a version is served only what that version holds: a key
/// written after it is a conflict (the transaction runs again), a
/// tombstone stays until no reader is below it.
#[test]
fn reads_at_a_version_see_that_version_or_conflict() {
    use super::MemoryIndex;
    use crate::store::embedded::batch::{BatchWrites, WriteSet};
    let batch = |key: &[u8], value: Option<&[u8]>| {
        let mut write_set = WriteSet::default();
        write_set.writes.insert(key.to_vec(), value.map(<[u8]>::to_vec));
        BatchWrites::of(vec![write_set])
    };
    let index = MemoryIndex::new(Vec::new(), 1 << 30);
    index.apply_batch(1, &batch(b"a", Some(b"1")), 0);
    index.apply_batch(2, &batch(b"b", Some(b"2")), 0);
    assert_eq!(index.get(b"a", 1).unwrap().as_deref(), Some(&b"1"[..]));
    assert!(matches!(index.get(b"b", 1), Err(KvError::Conflict)));
    assert_eq!(index.get(b"b", 2).unwrap().as_deref(), Some(&b"2"[..]));
    // Deleted at 3 while a reader is at 2: the tombstone stays.
    index.apply_batch(3, &batch(b"a", None), 2);
    assert!(matches!(index.get(b"a", 2), Err(KvError::Conflict)));
    assert_eq!(index.get(b"a", 3).unwrap(), None);
    let before = index.live_bytes();
    // No reader below 4 any more: the tombstone goes with the next batch.
    index.apply_batch(4, &batch(b"c", Some(b"3")), 3);
    assert_eq!(index.get(b"a", 1).unwrap(), None);
    assert!(index.live_bytes() < before + super::entry_bytes(b"c", Some(b"3")));
    let range: Vec<_> = super::RangeAt::new(Arc::new(index), 4, b"a", b"z", false)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        range,
        vec![(b"b".to_vec(), b"2".to_vec()), (b"c".to_vec(), b"3".to_vec())]
    );
}

/// A range longer than a chunk is read whole, in order and reversed,
/// tombstones skipped, across the chunks' read locks.
#[test]
fn a_range_read_spans_chunks_both_ways() {
    use super::{MemoryIndex, RangeAt};
    use crate::store::embedded::batch::{BatchWrites, WriteSet};
    let mut write_set = WriteSet::default();
    for i in 0..1000u32 {
        // Every third key deleted in the same write set: no entry at all.
        let value = (i % 3 != 0).then(|| i.to_be_bytes().to_vec());
        write_set.writes.insert(format!("k/{i:04}").into_bytes(), value);
    }
    let index = Arc::new(MemoryIndex::new(Vec::new(), 1 << 30));
    index.apply_batch(1, &BatchWrites::of(vec![write_set]), 0);
    let mut clear = WriteSet::default();
    clear
        .cleared
        .push(KeyRange::new(b"k/0500".to_vec(), b"k/0600".to_vec()));
    index.apply_batch(2, &BatchWrites::of(vec![clear]), 1);
    let expected: Vec<Vec<u8>> = (0..1000u32)
        .filter(|i| i % 3 != 0 && !(500..600).contains(i))
        .map(|i| format!("k/{i:04}").into_bytes())
        .collect();
    let keys = |reverse| -> Vec<Vec<u8>> {
        RangeAt::new(index.clone(), 2, b"k/", b"k0", reverse)
            .map(|pair| pair.unwrap().0)
            .collect()
    };
    assert_eq!(keys(false), expected);
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(keys(true), reversed);
    // At version 1 the cleared keys' tombstones (version 2) are conflicts.
    assert!(RangeAt::new(index.clone(), 1, b"k/", b"k0", false).any(|pair| pair.is_err()));
}
