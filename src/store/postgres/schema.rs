//! The backend's tables, created on open and versioned: `fiducia_kv` holds
//! the key space (bytea keys compare byte by byte, the order the KV contract
//! promises), `fiducia_kv_schema` one row with the layout's version. Several
//! nodes may open the store at once: an advisory lock serializes them.

use crate::store::kv::KvError;

/// The layout this build writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

/// Key of the transaction-scoped advisory lock held while creating or
/// migrating the tables ("fidu" in ASCII).
const SCHEMA_LOCK: i64 = 0x6669_6475;

const CREATE: &str = "
CREATE TABLE IF NOT EXISTS fiducia_kv (
    key bytea PRIMARY KEY,
    value bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS fiducia_kv_schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);
INSERT INTO fiducia_kv_schema (version) VALUES (1) ON CONFLICT (singleton) DO NOTHING;
";

/// Creates the tables if missing and checks the stored version: an older
/// one is migrated (none yet: version 1 is the first), a newer one — written
/// by a later Fiducia — is refused.
pub async fn ensure(client: &mut tokio_postgres::Client) -> Result<(), KvError> {
    let fail = |e: tokio_postgres::Error| KvError::Backend(format!("PostgreSQL schema: {e}"));
    let tx = client.transaction().await.map_err(fail)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(fail)?;
    tx.batch_execute(CREATE).await.map_err(fail)?;
    let version: i32 = tx
        .query_one("SELECT version FROM fiducia_kv_schema", &[])
        .await
        .map_err(fail)?
        .get(0);
    if version > SCHEMA_VERSION {
        return Err(KvError::Backend(format!(
            "the PostgreSQL store has schema version {version}, newer than this build's {SCHEMA_VERSION}: upgrade Fiducia"
        )));
    }
    tx.commit().await.map_err(fail)
}
