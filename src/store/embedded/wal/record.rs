//! One log record per batch: framing, checksum, and the batch's encoding
//! (the format is in the module documentation of [`super`]).

use super::super::batch::{BatchWrites, WriteSet};
use crate::store::kv::KeyRange;

pub(super) const HEADER_BYTES: usize = 12;
const SET: u8 = 1;
const DELETE: u8 = 2;

/// Writes `batch` as one record of segment `segment` into `out` (cleared
/// first).
pub(super) fn frame(segment: u64, batch: &BatchWrites, out: &mut Vec<u8>) -> std::io::Result<()> {
    out.clear();
    out.extend_from_slice(&[0; HEADER_BYTES]);
    encode(batch, out);
    let payload_len = out.len() - HEADER_BYTES;
    let length = u32::try_from(payload_len)
        .map_err(|_| std::io::Error::other(format!("a batch of {payload_len} bytes is too large")))?;
    let sum = checksum(segment, &out[HEADER_BYTES..]);
    out[..4].copy_from_slice(&length.to_le_bytes());
    out[4..HEADER_BYTES].copy_from_slice(&sum);
    Ok(())
}

/// How the records of a segment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// At the end of the file or at a zero length: space never written, as
    /// in the rest of a preallocated segment.
    Clean,
    /// At a record that does not check out (torn or damaged).
    Torn,
}

/// The batches of one segment, in order, and how they ended.
pub(super) struct SegmentBatches {
    pub(super) batches: Vec<BatchWrites>,
    pub(super) end: End,
}

/// Reads the records of segment `segment` from its bytes.
pub(super) fn read_records(segment: u64, bytes: &[u8]) -> SegmentBatches {
    let mut batches = Vec::new();
    let mut rest = bytes;
    loop {
        // The end of the file, or a zero length where the next record's
        // header would be (records never have an empty payload).
        if rest.iter().take(4).all(|b| *b == 0) {
            return SegmentBatches {
                batches,
                end: End::Clean,
            };
        }
        match read_record(segment, rest) {
            Some((batch, used)) => {
                batches.push(batch);
                rest = &rest[used..];
            }
            None => {
                return SegmentBatches {
                    batches,
                    end: End::Torn,
                };
            }
        }
    }
}

/// The batch at the start of `bytes` and the bytes its record takes.
fn read_record(segment: u64, bytes: &[u8]) -> Option<(BatchWrites, usize)> {
    let length: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    let length = u32::from_le_bytes(length) as usize;
    let sum = bytes.get(4..HEADER_BYTES)?;
    let payload = bytes.get(HEADER_BYTES..HEADER_BYTES + length)?;
    if length == 0 || checksum(segment, payload) != sum {
        return None;
    }
    Some((decode(payload)?, HEADER_BYTES + length))
}

fn checksum(segment: u64, payload: &[u8]) -> [u8; 8] {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(&segment.to_le_bytes());
    context.update(payload);
    let digest = context.finish();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest.as_ref()[..8]);
    out
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // Keys and values are far below 4 GiB (kv.rs limits: 10 kB, 100 kB).
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn encode(batch: &BatchWrites, out: &mut Vec<u8>) {
    out.extend_from_slice(&(batch.transactions.len() as u32).to_le_bytes());
    for write_set in &batch.transactions {
        out.extend_from_slice(&(write_set.cleared.len() as u32).to_le_bytes());
        for range in &write_set.cleared {
            put_bytes(out, &range.begin);
            put_bytes(out, &range.end);
        }
        out.extend_from_slice(&(write_set.writes.len() as u32).to_le_bytes());
        for (key, value) in &write_set.writes {
            match value {
                Some(value) => {
                    out.push(SET);
                    put_bytes(out, key);
                    put_bytes(out, value);
                }
                None => {
                    out.push(DELETE);
                    put_bytes(out, key);
                }
            }
        }
    }
}

/// Reads a payload back; `None` if it is not one [`encode`] wrote.
fn decode(mut payload: &[u8]) -> Option<BatchWrites> {
    fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if input.len() < n {
            return None;
        }
        let (head, tail) = input.split_at(n);
        *input = tail;
        Some(head)
    }
    fn count(input: &mut &[u8]) -> Option<usize> {
        let bytes: [u8; 4] = take(input, 4)?.try_into().ok()?;
        Some(u32::from_le_bytes(bytes) as usize)
    }
    fn bytes(input: &mut &[u8]) -> Option<Vec<u8>> {
        let n = count(input)?;
        Some(take(input, n)?.to_vec())
    }
    let input = &mut payload;
    let mut transactions = Vec::new();
    for _ in 0..count(input)? {
        let mut write_set = WriteSet::default();
        for _ in 0..count(input)? {
            let begin = bytes(input)?;
            let end = bytes(input)?;
            write_set.cleared.push(KeyRange::new(begin, end));
        }
        for _ in 0..count(input)? {
            let tag = take(input, 1)?[0];
            let key = bytes(input)?;
            let value = match tag {
                SET => Some(bytes(input)?),
                DELETE => None,
                _ => return None,
            };
            write_set.writes.insert(key, value);
        }
        transactions.push(write_set);
    }
    input.is_empty().then(|| BatchWrites::of(transactions))
}
