// Included once per engine by `tests/mod.rs`, where `ENGINE` is defined.

fn options() -> EmbeddedOptions {
    EmbeddedOptions {
        engine: ENGINE,
        ..EmbeddedOptions::default()
    }
}

fn open(dir: &Path) -> EmbeddedBackend {
    EmbeddedBackend::open(dir, options()).unwrap()
}

async fn put(store: &Store, key: &'static [u8], value: &'static [u8]) {
    store
        .run(|tx, _| async move { tx.set(key, value) })
        .await
        .unwrap();
}

#[tokio::test]
async fn reads_see_own_writes_over_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Arc::new(open(dir.path())));
    for key in [b"a", b"b", b"c", b"d"] {
        put(&store, key, b"stored").await;
    }
    let seen = store
        .run(|tx, _| async move {
            tx.set(b"b", b"mine")?;
            tx.clear_range(&KeyRange::new(b"c".to_vec(), b"d".to_vec()))?;
            tx.set(b"bb", b"new")?;
            tx.clear(b"a")?;
            let all = tx
                .get_range(
                    &KeyRange::new(b"a".to_vec(), b"z".to_vec()),
                    RangeOptions::default(),
                )
                .await?;
            let back = tx
                .get_range(
                    &KeyRange::new(b"a".to_vec(), b"z".to_vec()),
                    RangeOptions::reversed(),
                )
                .await?;
            Ok((
                tx.get(b"a").await?,
                tx.get(b"b").await?,
                tx.get(b"c").await?,
                all,
                back,
            ))
        })
        .await
        .unwrap();
    assert_eq!((seen.0, seen.1, seen.2), (None, Some(b"mine".to_vec()), None));
    let keys: Vec<_> = seen.3.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys, vec![b"b".to_vec(), b"bb".to_vec(), b"d".to_vec()]);
    let reversed: Vec<_> = seen.4.iter().map(|(k, _)| k.clone()).rev().collect();
    assert_eq!(reversed, keys);
}

#[tokio::test]
async fn a_write_to_what_another_read_makes_it_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let first = backend.begin(&RunOptions::default()).unwrap();
    let second = backend.begin(&RunOptions::default()).unwrap();
    assert_eq!(first.get(b"k").await.unwrap(), None);
    assert_eq!(second.get(b"k").await.unwrap(), None);
    first.set(b"k", b"1");
    second.set(b"k", b"2");
    first.commit().await.unwrap();
    assert_eq!(second.commit().await, Err(KvError::Conflict));
}

#[tokio::test]
async fn blind_writes_do_not_conflict_and_the_later_wins() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let first = backend.begin(&RunOptions::default()).unwrap();
    let second = backend.begin(&RunOptions::default()).unwrap();
    first.set(b"k", b"1");
    second.set(b"k", b"2");
    first.commit().await.unwrap();
    second.commit().await.unwrap();
    let third = backend.begin(&RunOptions::default()).unwrap();
    assert_eq!(third.get(b"k").await.unwrap(), Some(b"2".to_vec()));
}

#[tokio::test]
async fn a_range_read_conflicts_with_an_insert_into_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let reader = backend.begin(&RunOptions::default()).unwrap();
    let range = KeyRange::starting_with(b"idx/");
    assert!(
        reader
            .get_range(&range, RangeOptions::default())
            .await
            .unwrap()
            .is_empty()
    );
    reader.set(b"count", b"0");
    let writer = backend.begin(&RunOptions::default()).unwrap();
    writer.set(b"idx/1", b"");
    writer.commit().await.unwrap();
    assert_eq!(reader.commit().await, Err(KvError::Conflict));
}

#[tokio::test]
async fn committed_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::new(Arc::new(open(dir.path())));
        put(&store, b"k", b"v").await;
        store.close().await;
        assert_eq!(
            store.run(|tx, _| async move { tx.get(b"k").await }).await,
            Err(KvError::Closed)
        );
    }
    let store = Store::new(Arc::new(open(dir.path())));
    let value = store
        .run(|tx, _| async move { tx.get(b"k").await })
        .await
        .unwrap();
    assert_eq!(value, Some(b"v".to_vec()));
}

#[test]
fn a_directory_that_is_not_a_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("something"), "else").unwrap();
    let err = EmbeddedBackend::open(dir.path(), options())
        .err()
        .unwrap();
    assert!(err.to_string().contains("has no FIDUCIA_STORE"), "{err}");

    let other = tempfile::tempdir().unwrap();
    std::fs::write(
        other.path().join(MARKER_FILE),
        "fiducia embedded store, layout 9\n",
    )
    .unwrap();
    let err = EmbeddedBackend::open(other.path(), options())
        .err()
        .unwrap();
    assert!(err.to_string().contains("another layout"), "{err}");
}

#[tokio::test]
async fn an_unknown_outcome_is_reported_whether_or_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(open(dir.path()));
    let store = Store::new(backend.clone());
    for (fault, key, applied) in [
        (InjectedFault::UnknownAfterApply, &b"applied"[..], true),
        (InjectedFault::UnknownWithoutApply, &b"dropped"[..], false),
    ] {
        backend.inject_faults(&[fault]);
        let tx = backend.begin(&RunOptions::default()).unwrap();
        tx.set(key, b"x");
        assert_eq!(tx.commit().await, Err(KvError::CommitUnknown));
        let found = store.run(|tx, _| async move { tx.get(key).await }).await.unwrap();
        assert_eq!(found.is_some(), applied);
    }
}

#[tokio::test]
async fn replaying_the_log_over_a_store_that_has_it_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let store = Store::new(Arc::new(open(dir.path())));
        put(&store, b"r/a", b"1").await;
        put(&store, b"k", b"old").await;
        put(&store, b"k", b"new").await;
        store
            .run(|tx, _| async move {
                tx.clear_range(&KeyRange::starting_with(b"r/"))?;
                tx.set(b"r/b", b"after the clear")
            })
            .await
            .unwrap();
        put(&store, b"r/c", b"later").await;
        store.run(|tx, _| async move { tx.clear(b"k") }).await.unwrap();
        put(&store, b"k", b"newest").await;
        let all = read_all(&store).await;
        store.close().await;
        all
    };
    // LSM: the log still holds every batch above, and fjall holds them too:
    // each reopen replays them all again, over a state that already has
    // them. Memory: the first reopen replays them over no snapshot, writes
    // one and deletes the log; the second loads that snapshot.
    for _ in 0..2 {
        let store = Store::new(Arc::new(open(dir.path())));
        assert_eq!(read_all(&store).await, expected);
        store.close().await;
    }
    let keys: Vec<_> = expected.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(keys, [&b"k"[..], b"r/b", b"r/c"]);
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

/// A layout-1 store (fjall's files fsynced, no log of our own) is upgraded
/// in place by the LSM engine, and refused by the memory engine with a
/// message naming the engine it needs.
#[tokio::test]
async fn a_layout_1_store_is_upgraded_in_place_by_its_engine() {
    let dir = tempfile::tempdir().unwrap();
    let lsm = EmbeddedOptions {
        engine: EngineKind::Lsm,
        ..EmbeddedOptions::default()
    };
    {
        let store = Store::new(Arc::new(EmbeddedBackend::open(dir.path(), lsm.clone()).unwrap()));
        put(&store, b"k", b"v").await;
        store.close().await;
    }
    // What layout 1 left: fjall's files, fsynced, and no log. (Reopening
    // the layout-2 store above once replayed its log into fjall.)
    {
        let store = Store::new(Arc::new(EmbeddedBackend::open(dir.path(), lsm).unwrap()));
        store.close().await;
    }
    std::fs::remove_dir_all(dir.path().join(wal::DIR)).unwrap();
    std::fs::write(dir.path().join(MARKER_FILE), MARKER_LAYOUT_1).unwrap();
    if ENGINE == EngineKind::Memory {
        let error = EmbeddedBackend::open(dir.path(), options()).err().unwrap();
        assert!(
            error.to_string().contains("a store of the lsm engine")
                && error.to_string().contains("store.engine = \"lsm\""),
            "{error}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(MARKER_FILE)).unwrap(),
            MARKER_LAYOUT_1
        );
        return;
    }
    let store = Store::new(Arc::new(open(dir.path())));
    let value = store
        .run(|tx, _| async move { tx.get(b"k").await })
        .await
        .unwrap();
    assert_eq!(value, Some(b"v".to_vec()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(MARKER_FILE)).unwrap(),
        MARKER_LSM
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_is_acknowledged_before_it_is_applied_and_read_after_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(open(dir.path()));
    let store = Store::new(backend.clone());
    put(&store, b"before", b"1").await;
    backend.delay_next_apply(std::time::Duration::from_millis(1500));
    let started = std::time::Instant::now();
    put(&store, b"k", b"acknowledged").await;
    let acknowledged = started.elapsed();
    // Durable, so acknowledged, while the apply thread still sleeps.
    assert!(
        acknowledged < std::time::Duration::from_millis(1000),
        "the acknowledgement waited for the apply ({acknowledged:?})"
    );
    assert!(backend.shared.applied.load(Ordering::Acquire) < backend.shared.durable.load(Ordering::Acquire));
    // A transaction that begins after the acknowledgement sees the commit: its
    // first read waits until its read version is applied.
    let seen = store
        .run(|tx, _| async move { Ok((tx.get(b"k").await?, tx.get(b"before").await?)) })
        .await
        .unwrap();
    assert_eq!(seen, (Some(b"acknowledged".to_vec()), Some(b"1".to_vec())));
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    // A transaction that only writes needs no read version and never waits.
    backend.delay_next_apply(std::time::Duration::from_millis(1500));
    put(&store, b"k2", b"x").await;
    let started = std::time::Instant::now();
    put(&store, b"k3", b"y").await;
    assert!(started.elapsed() < std::time::Duration::from_millis(1000));
    let range = store
        .run(|tx, _| async move {
            tx.get_range(&KeyRange::starting_with(b"k"), RangeOptions::default())
                .await
        })
        .await
        .unwrap();
    assert_eq!(range.len(), 3);
}

/// The sync thread runs under SCHED_BATCH by default (`writer::spawn`):
/// the `policy` field of its `/proc` stat (proc(5), field 41) is 3.
#[cfg(target_os = "linux")]
#[test]
fn the_sync_thread_is_scheduled_as_batch() {
    let sync_thread_policies = || -> Vec<u32> {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return Vec::new();
        };
        tasks
            .filter_map(|task| {
                let path = task.ok()?.path();
                let comm = std::fs::read_to_string(path.join("comm")).ok()?;
                if comm.trim() != "store-sync" {
                    return None;
                }
                let stat = std::fs::read_to_string(path.join("stat")).ok()?;
                // Fields after the command's closing parenthesis start at field 3.
                let after_comm = stat.rsplit_once(") ")?.1;
                after_comm.split(' ').nth(41 - 3)?.parse().ok()
            })
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let _backend = open(dir.path());
    // A thread switches as it starts, which may be just after `open` (this
    // one's, or another test's store's): wait for it.
    let mut policies = Vec::new();
    for _ in 0..200 {
        policies = sync_thread_policies();
        // SCHED_BATCH = 3 (sched(7)); every store here has the defaults.
        if !policies.is_empty() && policies.iter().all(|&p| p == 3) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("store-sync threads' policies: {policies:?}");
}

/// Every file under `dir` with its length and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                out.push((entry.path(), meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_second_opener_of_a_store_in_use_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(open(dir.path()));
    let store = Store::new(backend.clone());
    put(&store, b"k", b"v").await;
    let before = snapshot(dir.path());
    // fjall's lock file is held by the first opener (a running OP); the
    // second (`fiducia users ...`) stops there, before our log or the
    // marker is touched.
    let Err(error) = EmbeddedBackend::open(dir.path(), options()) else {
        panic!("a store in use was opened twice");
    };
    assert!(
        error
            .to_string()
            .contains("the store is in use by a running OP; stop it first"),
        "{error}"
    );
    assert_eq!(snapshot(dir.path()), before);
    // The first opener is unharmed, and once it closes the store opens.
    put(&store, b"k2", b"v2").await;
    store.close().await;
    drop(store);
    drop(backend);
    let reopened = Store::new(Arc::new(open(dir.path())));
    let value = reopened
        .run(|tx, _| async move { tx.get(b"k2").await })
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some(&b"v2"[..]));
}

/// A full disk (less than `min_free_bytes` free): every commit is refused
/// before it is written, with an error that says so (the OP's 503); reads
/// are served; the store does not fail, so commits resume by themselves once
/// space returns; and nothing acknowledged is lost or changed across a
/// reopen (docs/RELIABILITY.md, "Disk full").
#[tokio::test]
async fn a_full_disk_refuses_commits_serves_reads_and_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    {
        let backend = Arc::new(open(dir.path()));
        let store = Store::new(backend.clone());
        put(&store, b"before", b"kept").await;

        backend.report_free_space(Some(1024 * 1024));
        for _ in 0..3 {
            let refused = store
                .run(|tx, _| async move { tx.set(b"during", b"lost") })
                .await
                .unwrap_err();
            assert!(refused.to_string().contains("disk is full"), "{refused}");
            assert!(!refused.is_maybe_committed(), "refused before it was written");
        }
        let read = store
            .run(|tx, _| async move { tx.get(b"before").await })
            .await
            .unwrap();
        assert_eq!(read.as_deref(), Some(&b"kept"[..]), "reads are served");

        backend.report_free_space(None);
        put(&store, b"after", b"written").await;
        store.close().await;
    }
    let store = Store::new(Arc::new(open(dir.path())));
    let all = read_all(&store).await;
    assert_eq!(
        all,
        vec![
            (b"after".to_vec(), b"written".to_vec()),
            (b"before".to_vec(), b"kept".to_vec()),
        ],
        "what was acknowledged, and nothing of what was refused"
    );
}
