//! One PostgreSQL transaction behind [`BackendTransaction`]: reads go to the
//! server inside a SERIALIZABLE transaction begun at the first read (the
//! connection's default isolation, set at connect), merged with the buffered
//! writes; the writes travel at commit, pipelined with `COMMIT` in one round
//! trip. A transaction that read nothing and only sets keys (`insert_new`:
//! a record and its index entries) is group-committed with the others of
//! the moment in one autocommitted upsert (`batcher.rs`); one that only
//! writes otherwise sends one autocommitted statement when one suffices.

use super::errors;
use super::shared::Shared;
use super::writes::Writes;
use crate::store::embedded::InjectedFault;
use crate::store::kv::{BackendTransaction, KeyRange, KeyValue, KvError, RangeOptions, backoff};
use deadpool_postgres::Object;
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio_postgres::types::ToSql;

const GET: &str = "SELECT value FROM fiducia_kv WHERE key = $1";
const RANGE: &str = "SELECT key, value FROM fiducia_kv WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3";
const RANGE_REVERSE: &str =
    "SELECT key, value FROM fiducia_kv WHERE key >= $1 AND key < $2 ORDER BY key DESC LIMIT $3";
const UPSERT: &str = "INSERT INTO fiducia_kv (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";
const DELETE_KEYS: &str = "DELETE FROM fiducia_kv WHERE key = ANY($1::bytea[])";
const DELETE_RANGE: &str = "DELETE FROM fiducia_kv WHERE key >= $1 AND key < $2";

/// The connection an attempt holds, and whether a transaction is open on it.
#[derive(Default)]
struct Conn {
    client: Option<Object>,
    in_transaction: bool,
}

impl Conn {
    async fn client(&mut self, shared: &Shared) -> Result<&Object, KvError> {
        if self.client.is_none() {
            self.client = Some(shared.pool.get().await.map_err(errors::pool)?);
            self.in_transaction = false;
        }
        self.client
            .as_ref()
            .ok_or_else(|| KvError::Backend("no PostgreSQL connection".into()))
    }

    /// Forgets a connection that failed: it is closed rather than pooled.
    fn discard(&mut self) {
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
        self.in_transaction = false;
    }

    /// Runs a read, beginning the transaction (pipelined) if none is open.
    async fn read(
        &mut self,
        shared: &Shared,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, KvError> {
        let begin = !self.in_transaction;
        let result = async {
            let client = self.client(shared).await?;
            let statement = client
                .prepare_cached(sql)
                .await
                .map_err(|e| errors::before_commit(&e))?;
            if begin {
                let (began, rows) =
                    futures::join!(client.batch_execute("BEGIN"), client.query(&statement, params));
                began.map_err(|e| errors::before_commit(&e))?;
                rows.map_err(|e| errors::before_commit(&e))
            } else {
                client
                    .query(&statement, params)
                    .await
                    .map_err(|e| errors::before_commit(&e))
            }
        }
        .await;
        match &result {
            Ok(_) => self.in_transaction = true,
            Err(KvError::Retryable(errors::CONNECTION_LOST)) => self.discard(),
            Err(_) => self.in_transaction |= begin && self.client.is_some(),
        }
        result
    }

    /// Ends an open transaction without applying it.
    async fn rollback(&mut self) {
        if !self.in_transaction {
            return;
        }
        let ok = match &self.client {
            Some(client) => client.batch_execute("ROLLBACK").await.is_ok(),
            None => true,
        };
        self.in_transaction = false;
        if !ok {
            self.discard();
        }
    }
}

/// One attempt's statements for its writes, in the order they must run.
struct WriteStatements {
    ranges: Vec<KeyRange>,
    deleted: Vec<Vec<u8>>,
    set_keys: Vec<Vec<u8>>,
    set_values: Vec<Vec<u8>>,
}

impl WriteStatements {
    fn new(writes: Writes) -> Self {
        let mut out = Self {
            ranges: writes.cleared,
            deleted: Vec::new(),
            set_keys: Vec::new(),
            set_values: Vec::new(),
        };
        for (key, value) in writes.keys {
            match value {
                Some(value) => {
                    out.set_keys.push(key);
                    out.set_values.push(value);
                }
                None => out.deleted.push(key),
            }
        }
        out
    }

    fn count(&self) -> usize {
        self.ranges.len() + usize::from(!self.deleted.is_empty()) + usize::from(!self.set_keys.is_empty())
    }
}

pub(super) struct PostgresTransaction {
    shared: Arc<Shared>,
    conn: tokio::sync::Mutex<Conn>,
    writes: Mutex<Writes>,
}

impl PostgresTransaction {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            conn: tokio::sync::Mutex::new(Conn::default()),
            writes: Mutex::new(Writes::default()),
        }
    }

    fn writes(&self) -> MutexGuard<'_, Writes> {
        self.writes.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn commit_writes(&self, conn: &mut Conn, writes: Writes) -> Result<(), KvError> {
        let fault = self.shared.next_fault();
        let statements = WriteStatements::new(writes);
        let in_transaction = conn.in_transaction;
        let client = conn.client(&self.shared).await?;
        let prepare = |sql: &'static str| async move {
            client
                .prepare_cached(sql)
                .await
                .map_err(|e| errors::before_commit(&e))
        };
        let delete_range = match statements.ranges.is_empty() {
            true => None,
            false => Some(prepare(DELETE_RANGE).await?),
        };
        let delete_keys = match statements.deleted.is_empty() {
            true => None,
            false => Some(prepare(DELETE_KEYS).await?),
        };
        let upsert = match statements.set_keys.is_empty() {
            true => None,
            false => Some(prepare(UPSERT).await?),
        };
        if fault == Some(InjectedFault::UnknownWithoutApply) {
            lose_connection(&self.shared, client).await?;
        }
        // Without a transaction open and with one statement to run, the
        // statement commits on its own (autocommit is atomic and, with
        // synchronous_commit, durable at the acknowledgement).
        let single = !in_transaction && statements.count() == 1;
        let mut pipeline: Vec<BoxFuture<'_, Result<u64, tokio_postgres::Error>>> = Vec::new();
        if !single && !in_transaction {
            pipeline.push(Box::pin(async {
                client.batch_execute("BEGIN").await.map(|()| 0)
            }));
        }
        if let Some(statement) = &delete_range {
            for range in &statements.ranges {
                pipeline.push(Box::pin(async move {
                    client.execute(statement, &[&range.begin, &range.end]).await
                }));
            }
        }
        if let Some(statement) = &delete_keys {
            let deleted = &statements.deleted;
            pipeline.push(Box::pin(
                async move { client.execute(statement, &[deleted]).await },
            ));
        }
        if let Some(statement) = &upsert {
            let (keys, values) = (&statements.set_keys, &statements.set_values);
            pipeline.push(Box::pin(async move {
                client.execute(statement, &[keys, values]).await
            }));
        }
        if !single {
            pipeline.push(Box::pin(async {
                client.batch_execute("COMMIT").await.map(|()| 0)
            }));
        }
        let results = futures::future::join_all(pipeline).await;
        let outcome = match results.into_iter().find_map(Result::err) {
            None => Ok(()),
            Some(error) => Err(errors::at_commit(&error)),
        };
        conn.in_transaction = false;
        match (&outcome, fault) {
            (Err(KvError::CommitUnknown), _) => conn.discard(),
            (Ok(()), Some(InjectedFault::UnknownAfterApply)) => {
                // The acknowledgement is lost with the connection.
                conn.discard();
                return Err(KvError::CommitUnknown);
            }
            _ => {}
        }
        outcome
    }
}

/// Kills this connection's server process from another connection and
/// waits until it is gone, so that what is sent next meets a closed
/// connection (testing the "maybe committed" path for real).
async fn lose_connection(shared: &Shared, client: &Object) -> Result<(), KvError> {
    let fail = |e: tokio_postgres::Error| errors::before_commit(&e);
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .map_err(fail)?
        .get(0);
    let killer = shared.pool.get().await.map_err(errors::pool)?;
    killer
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .map_err(fail)?;
    for _ in 0..500 {
        let alive = killer
            .query_opt("SELECT 1 FROM pg_stat_activity WHERE pid = $1", &[&pid])
            .await
            .map_err(fail)?;
        if alive.is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}

impl BackendTransaction for PostgresTransaction {
    fn get<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>> {
        Box::pin(async move {
            if let Some(own) = self.writes().own(key) {
                return Ok(own);
            }
            let mut conn = self.conn.lock().await;
            let rows = conn.read(&self.shared, GET, &[&key]).await?;
            rows.first()
                .map(|row| row.try_get::<_, Vec<u8>>(0))
                .transpose()
                .map_err(|e| KvError::Corrupt(format!("PostgreSQL value: {e}")))
        })
    }

    fn get_range<'a>(
        &'a self,
        range: &'a KeyRange,
        options: RangeOptions,
    ) -> BoxFuture<'a, Result<Vec<KeyValue>, KvError>> {
        Box::pin(async move {
            let touches = self.writes().touches(range);
            // With own writes in the range, the server's rows are merged
            // first and the limit applied after.
            let limit = match (touches, options.limit) {
                (false, n) if n > 0 => Some(i64::try_from(n).unwrap_or(i64::MAX)),
                _ => None,
            };
            let sql = if options.reverse { RANGE_REVERSE } else { RANGE };
            let rows = {
                let mut conn = self.conn.lock().await;
                conn.read(&self.shared, sql, &[&range.begin, &range.end, &limit])
                    .await?
            };
            let stored = rows
                .iter()
                .map(|row| Ok((row.try_get::<_, Vec<u8>>(0)?, row.try_get::<_, Vec<u8>>(1)?)))
                .collect::<Result<Vec<KeyValue>, tokio_postgres::Error>>()
                .map_err(|e| KvError::Corrupt(format!("PostgreSQL pair: {e}")))?;
            if !touches {
                return Ok(stored);
            }
            Ok(self.writes().overlay(range, stored, options))
        })
    }

    fn set(&self, key: &[u8], value: &[u8]) {
        self.writes().set(key.to_vec(), Some(value.to_vec()));
    }

    fn set_owned(&self, key: Vec<u8>, value: Vec<u8>) {
        self.writes().set(key, Some(value));
    }

    fn clear(&self, key: &[u8]) {
        self.writes().set(key.to_vec(), None);
    }

    fn clear_range(&self, range: &KeyRange) {
        self.writes().clear_range(range);
    }

    fn commit(&self) -> BoxFuture<'_, Result<(), KvError>> {
        let writes = std::mem::take(&mut *self.writes());
        Box::pin(async move {
            let mut conn = self.conn.lock().await;
            if !writes.is_empty() {
                // Read nothing, only sets: group-committed with the other
                // blind writes of the moment (`batcher.rs`).
                let writes = match conn.in_transaction || self.shared.faults_pending() {
                    true => writes,
                    false => match writes.only_sets() {
                        Ok((keys, values)) => return self.shared.batcher.commit(keys, values).await,
                        Err(writes) => writes,
                    },
                };
                return self.commit_writes(&mut conn, writes).await;
            }
            if !conn.in_transaction {
                return Ok(());
            }
            // Read-only: a serializable read-only transaction can still be
            // the one that fails (PostgreSQL 15 docs, 13.2.3).
            let outcome = match &conn.client {
                Some(client) => client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(|e| errors::before_commit(&e)),
                None => Ok(()),
            };
            conn.in_transaction = false;
            if outcome.is_err() {
                conn.discard();
            }
            outcome
        })
    }

    fn on_error<'a>(&'a self, _error: &'a KvError, attempt: u32) -> BoxFuture<'a, Result<(), KvError>> {
        Box::pin(async move {
            *self.writes() = Writes::default();
            self.conn.lock().await.rollback().await;
            tokio::time::sleep(backoff(attempt)).await;
            Ok(())
        })
    }
}

impl Drop for PostgresTransaction {
    /// A transaction dropped with a server transaction open (the closure
    /// failed, or the attempt timed out) must not hand its connection back
    /// to the pool in that state: it is rolled back first, or closed.
    fn drop(&mut self) {
        let conn = self.conn.get_mut();
        if !conn.in_transaction {
            return;
        }
        let Some(client) = conn.client.take() else {
            return;
        };
        conn.in_transaction = false;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        drop(Object::take(client));
                    }
                });
            }
            Err(_) => drop(Object::take(client)),
        }
    }
}
