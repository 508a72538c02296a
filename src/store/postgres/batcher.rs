//! Group commit for blind writes: a transaction that read nothing and only
//! sets keys (a new token, a new record with its index entries) is handed
//! to a lane here instead of taking a connection of its own; each lane
//! takes every such transaction queued while its previous statement was in
//! flight and writes them all in one autocommitted upsert, so a node pays
//! one round trip (and its wake-ups) per batch rather than per request.
//!
//! Why this is the same as committing them one by one: none of them read,
//! so none can observe another or anything else (no serialization anomaly
//! involves a transaction without reads), and concurrent blind writes may
//! be ordered either way; the one statement is itself a SERIALIZABLE
//! transaction. A key set by two of them keeps the later one's value
//! (`ON CONFLICT` may not touch a row twice in one statement). The batch is
//! atomic, so its outcome is every member's: a conflict makes each retry,
//! a lost connection leaves each "maybe committed" (`CommitUnknown`). Any
//! other error re-runs the members one by one, so one member's bad value
//! never fails the others.

use super::errors;
use super::writes::Sets;
use crate::store::kv::KvError;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Transactions written by one statement at most.
const MAX_BATCH: usize = 256;
/// Statements in flight at once (lanes), each on its own pooled connection.
pub const LANES: usize = 2;

const UPSERT: &str = "INSERT INTO fiducia_kv (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";

/// One transaction's sets, and where its outcome goes.
struct Job {
    keys: Vec<Vec<u8>>,
    values: Vec<Vec<u8>>,
    done: oneshot::Sender<Result<(), KvError>>,
}

/// The queue into the lanes.
pub(super) struct Batcher {
    queue: mpsc::UnboundedSender<Job>,
}

impl Batcher {
    /// Starts [`LANES`] lanes writing through `pool`; they stop when the
    /// batcher is dropped and the queue is empty.
    pub(super) fn start(pool: deadpool_postgres::Pool) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..LANES {
            tokio::spawn(lane(pool.clone(), jobs.clone()));
        }
        Self { queue }
    }

    /// Commits `keys` = `values` with the other transactions queued now.
    pub(super) async fn commit(&self, keys: Vec<Vec<u8>>, values: Vec<Vec<u8>>) -> Result<(), KvError> {
        let (done, outcome) = oneshot::channel();
        self.queue
            .send(Job { keys, values, done })
            .map_err(|_| KvError::Closed)?;
        // A lane that went away with the job never ran it, or ran it and
        // could not say: the outcome is unknown either way.
        outcome.await.unwrap_or(Err(KvError::CommitUnknown))
    }
}

/// Takes the first queued job (waiting for one), then every job queued
/// behind it up to [`MAX_BATCH`], and writes them.
async fn lane(pool: deadpool_postgres::Pool, jobs: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>) {
    loop {
        let batch = {
            let mut jobs = jobs.lock().await;
            let Some(first) = jobs.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        write(&pool, batch).await;
    }
}

/// Writes `batch` as one statement and answers each member.
async fn write(pool: &deadpool_postgres::Pool, batch: Vec<Job>) {
    let outcome = upsert(pool, merged(&batch)).await;
    match outcome {
        Err(KvError::Backend(_)) if batch.len() > 1 => {
            for job in batch {
                let outcome = upsert(pool, (job.keys, job.values)).await;
                let _ = job.done.send(outcome);
            }
        }
        outcome => {
            for job in batch {
                let _ = job.done.send(outcome.clone());
            }
        }
    }
}

/// The batch's keys and values, each key once with its last value.
fn merged(batch: &[Job]) -> Sets {
    let mut index: HashMap<&[u8], usize> = HashMap::new();
    let (mut keys, mut values): Sets = (Vec::new(), Vec::new());
    for job in batch {
        for (key, value) in job.keys.iter().zip(&job.values) {
            match index.get(key.as_slice()) {
                Some(&at) => values[at] = value.clone(),
                None => {
                    index.insert(key, keys.len());
                    keys.push(key.clone());
                    values.push(value.clone());
                }
            }
        }
    }
    (keys, values)
}

/// One autocommitted upsert on a pooled connection.
async fn upsert(
    pool: &deadpool_postgres::Pool,
    (keys, values): (Vec<Vec<u8>>, Vec<Vec<u8>>),
) -> Result<(), KvError> {
    let client = pool.get().await.map_err(errors::pool)?;
    let statement = client
        .prepare_cached(UPSERT)
        .await
        .map_err(|e| errors::before_commit(&e))?;
    match client.execute(&statement, &[&keys, &values]).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let error = errors::at_commit(&e);
            if error == KvError::CommitUnknown {
                // A connection that failed is closed, not pooled.
                drop(deadpool_postgres::Object::take(client));
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(pairs: &[(&str, &str)]) -> Job {
        let (done, _) = oneshot::channel();
        Job {
            keys: pairs.iter().map(|(k, _)| k.as_bytes().to_vec()).collect(),
            values: pairs.iter().map(|(_, v)| v.as_bytes().to_vec()).collect(),
            done,
        }
    }

    #[test]
    fn a_key_set_by_two_members_keeps_the_later_value_once() {
        let batch = [job(&[("a", "1"), ("b", "1")]), job(&[("c", "2"), ("a", "2")])];
        let (keys, values) = merged(&batch);
        assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(values, vec![b"2".to_vec(), b"1".to_vec(), b"2".to_vec()]);
    }
}
