use super::*;
use crate::store::embedded::batch::WriteSet;
use crate::store::kv::{KeyRange, KvError};

fn batch(n: u8) -> BatchWrites {
    let mut first = WriteSet::default();
    first.writes.insert(vec![b'k', n], Some(vec![n; 300]));
    first.writes.insert(vec![b'd', n], None);
    let mut second = WriteSet::default();
    if n.is_multiple_of(2) {
        second
            .cleared
            .push(KeyRange::new(vec![b'r', n], vec![b'r', n + 1]));
    }
    second.writes.insert(vec![b'k', n], Some(vec![n + 1; 10]));
    BatchWrites::of(vec![first, second])
}

fn same(a: &BatchWrites, b: &BatchWrites) -> bool {
    a.transactions.len() == b.transactions.len()
        && a.transactions
            .iter()
            .zip(&b.transactions)
            .all(|(x, y)| x.writes == y.writes && x.cleared == y.cleared)
}

fn replay(dir: &Path) -> Result<(Vec<BatchWrites>, u64), KvError> {
    let mut seen = Vec::new();
    let (_, next) = recover(dir, |b| {
        seen.push(BatchWrites::of(
            b.transactions
                .iter()
                .map(|t| WriteSet {
                    writes: t.writes.clone(),
                    cleared: t.cleared.clone(),
                })
                .collect(),
        ));
        Ok(())
    })?;
    Ok((seen, next))
}

#[test]
fn batches_come_back_in_order_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = Wal::create(dir.path(), 1).unwrap();
    wal.append(&batch(0)).unwrap();
    wal.append(&batch(1)).unwrap();
    let sealed = wal.rotate().unwrap();
    assert!(sealed.ends_with("00000000000000000001.log"));
    wal.append(&batch(2)).unwrap();
    let (seen, next) = replay(dir.path()).unwrap();
    assert_eq!(seen.len(), 3);
    for (i, b) in seen.iter().enumerate() {
        assert!(same(b, &batch(i as u8)), "batch {i}");
    }
    assert_eq!(next, 3);
}

#[test]
fn a_torn_last_record_ends_the_log_but_damage_before_the_end_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = Wal::create(dir.path(), 7).unwrap();
    wal.append(&batch(0)).unwrap();
    wal.append(&batch(1)).unwrap();
    let path = segment_path(dir.path(), 7);
    let full = std::fs::metadata(&path).unwrap().len();
    // A crash in the middle of the second record's write.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(full - 5)
        .unwrap();
    let (seen, _) = replay(dir.path()).unwrap();
    assert_eq!(seen.len(), 1);
    // Zeros where the tail should be (a preallocated block) end it too.
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(&[0; 64]).unwrap();
    assert_eq!(replay(dir.path()).unwrap().0.len(), 1);

    // The same damage in a segment that has a successor is refused.
    let mut later = Wal::create(dir.path(), 8).unwrap();
    later.append(&batch(2)).unwrap();
    let err = replay(dir.path()).err().unwrap();
    assert!(err.to_string().contains("damaged before its end"), "{err}");
}

#[test]
fn a_record_from_another_segment_does_not_check_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = Wal::create(dir.path(), 1).unwrap();
    wal.append(&batch(0)).unwrap();
    // The same bytes under another segment number: the checksum covers
    // the number, so a record copied or left over is not replayed.
    std::fs::rename(segment_path(dir.path(), 1), segment_path(dir.path(), 2)).unwrap();
    assert_eq!(replay(dir.path()).unwrap().0.len(), 0);
}

#[test]
fn stray_files_in_the_log_directory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
    assert!(replay(dir.path()).is_err());
}

/// A batch of one value large enough to pass [`PREPARE_AFTER_BYTES`].
fn large_batch() -> BatchWrites {
    let mut write_set = WriteSet::default();
    let len = usize::try_from(PREPARE_AFTER_BYTES).unwrap() + 1;
    write_set.writes.insert(b"large".to_vec(), Some(vec![7; len]));
    BatchWrites::of(vec![write_set])
}

fn wait_for_spare(wal: &Wal) {
    for _ in 0..1000 {
        if wal.should_rotate() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the spare segment was not prepared within 10 s");
}

#[test]
fn batches_go_to_preallocated_segments_without_growing_them() {
    const SPARE: u64 = 2 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let mut wal = Wal::create_with_spare_bytes(dir.path(), 1, SPARE).unwrap();
    wal.append(&batch(0)).unwrap();
    assert!(
        !wal.should_rotate(),
        "a plain segment holding little prepares no spare"
    );
    wal.append(&large_batch()).unwrap();
    // The plain first segment gives way as soon as the spare is ready.
    wait_for_spare(&wal);
    let sealed = wal.rotate().unwrap();
    assert!(sealed.ends_with("00000000000000000001.log"));
    let second = segment_path(dir.path(), 2);
    assert_eq!(std::fs::metadata(&second).unwrap().len(), SPARE);
    wal.append(&batch(1)).unwrap();
    wal.append(&batch(2)).unwrap();
    // Overwriting preallocated blocks: the length (metadata) is unchanged.
    assert_eq!(std::fs::metadata(&second).unwrap().len(), SPARE);
    // A preallocated segment prepares its successor at once, but moves to
    // it only when full.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!wal.should_rotate());
    drop(wal);

    // Segment 2 ends in zeros and is followed by the spare segment 3: both
    // are a clean end.
    let (seen, next) = replay(dir.path()).unwrap();
    assert_eq!(seen.len(), 4);
    assert!(same(&seen[0], &batch(0)));
    assert!(same(&seen[1], &large_batch()));
    assert!(same(&seen[2], &batch(1)));
    assert!(same(&seen[3], &batch(2)));
    assert_eq!(
        next, 4,
        "the spare segment 3 is found (and deleted with the others)"
    );
}

#[test]
fn zeros_after_a_sealed_segment_s_records_are_not_damage() {
    const SPARE: u64 = 2 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let mut wal = Wal::create_with_spare_bytes(dir.path(), 1, SPARE).unwrap();
    wal.append(&large_batch()).unwrap();
    wait_for_spare(&wal);
    wal.rotate().unwrap();
    wal.append(&batch(1)).unwrap();
    // Sealed early (as a full segment would be; rotate waits for the
    // spare), its tail still zeros.
    wal.rotate().unwrap();
    wal.append(&batch(2)).unwrap();
    drop(wal);
    let (seen, next) = replay(dir.path()).unwrap();
    assert_eq!(seen.len(), 3);
    assert!(same(&seen[2], &batch(2)));
    assert_eq!(next, 5);
}

#[test]
fn a_torn_record_followed_only_by_spares_ends_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = Wal::create(dir.path(), 1).unwrap();
    wal.append(&batch(0)).unwrap();
    wal.append(&batch(1)).unwrap();
    drop(wal);
    let path = segment_path(dir.path(), 1);
    let full = std::fs::metadata(&path).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(full - 5)
        .unwrap();
    // The spare prepared for the next segment, finished or not, holds no
    // batch: the torn record was the last one being written.
    zero_filled_segment(dir.path(), 2, 64 * 1024).unwrap();
    let (seen, next) = replay(dir.path()).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(next, 3);
    // A batch in a later segment makes the same torn record damage.
    Wal::create(dir.path(), 3).unwrap().append(&batch(2)).unwrap();
    let err = replay(dir.path()).err().unwrap();
    assert!(matches!(err, KvError::Corrupt(_)), "{err}");
}
