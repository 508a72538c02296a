//! PostgreSQL errors as [`KvError`]s (PostgreSQL 15 docs, Appendix A,
//! "PostgreSQL Error Codes"; 13.4, "Serializable Isolation Level": a
//! transaction failing with `serialization_failure` must be retried whole).

use crate::store::kv::KvError;
use tokio_postgres::error::SqlState;

/// What [`KvError::Retryable`] carries when the connection to PostgreSQL was
/// lost or could not be made before a commit was sent: nothing was applied,
/// so running the closure again is safe.
pub const CONNECTION_LOST: i32 = 0;

/// An error of a read, a write or the pool, before `COMMIT` was sent.
pub fn before_commit(error: &tokio_postgres::Error) -> KvError {
    match error.code() {
        Some(code) if is_conflict(code) => KvError::Conflict,
        Some(code) if is_connection(code) => KvError::Retryable(CONNECTION_LOST),
        Some(code) => KvError::Backend(format!("PostgreSQL error {}: {error}", code.code())),
        None if error.is_closed() || error.as_db_error().is_none() => KvError::Retryable(CONNECTION_LOST),
        None => KvError::Backend(format!("PostgreSQL: {error}")),
    }
}

/// An error of `COMMIT` (or of a statement sent with it): a serialization
/// failure is a conflict, a lost connection an unknown outcome (the server
/// may have committed before the acknowledgement was lost).
pub fn at_commit(error: &tokio_postgres::Error) -> KvError {
    match error.code() {
        Some(code) if is_conflict(code) => KvError::Conflict,
        Some(code) if is_connection(code) => KvError::CommitUnknown,
        Some(code) => KvError::Backend(format!("PostgreSQL error {}: {error}", code.code())),
        None => KvError::CommitUnknown,
    }
}

/// 40001 `serialization_failure`, 40P01 `deadlock_detected`.
fn is_conflict(code: &SqlState) -> bool {
    *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
}

/// Class 08 (connection exception) and 57P01–57P03 (the server shutting
/// down or not yet accepting connections).
fn is_connection(code: &SqlState) -> bool {
    code.code().starts_with("08")
        || *code == SqlState::ADMIN_SHUTDOWN
        || *code == SqlState::CRASH_SHUTDOWN
        || *code == SqlState::CANNOT_CONNECT_NOW
}

/// A pool error: no connection could be had (the server is down or full).
pub fn pool(error: deadpool_postgres::PoolError) -> KvError {
    match error {
        deadpool_postgres::PoolError::Backend(e) => before_commit(&e),
        deadpool_postgres::PoolError::Closed => KvError::Closed,
        deadpool_postgres::PoolError::Timeout(_) => KvError::Retryable(CONNECTION_LOST),
        other => KvError::Backend(format!("PostgreSQL pool: {other}")),
    }
}
