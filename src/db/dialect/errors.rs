//! Reading a backend's errors: unreachable, busy, lost to a concurrent
//! transaction, or a named unique constraint; and what each means to a
//! client, as an [`AppError`].
use std::sync::Arc;

use sea_orm::{DbErr, RuntimeErr};

use crate::error::AppError;

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_connection_failure(&err) || is_lock_timeout(&err) {
            AppError::DatabaseUnavailable(Arc::new(err))
        } else if is_concurrency_failure(&err) {
            tracing::warn!(error = %err, "transaction lost to a concurrent one");
            AppError::Conflict {
                field: None,
                message: "a concurrent change got in the way: retry the request".into(),
                existing_id: None,
            }
        } else {
            AppError::Internal {
                context: "database".into(),
                source: Some(Arc::new(err)),
            }
        }
    }
}

fn sqlx(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// True when the error says the database could not be reached, as opposed
/// to a statement that failed on a working connection.
pub fn is_connection_failure(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        _ => sqlx(err).is_some_and(|e| {
            matches!(
                e,
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::WorkerCrashed
            )
        }),
    }
}

/// True when SQLite gave up waiting for another writer (SQLITE_BUSY and its
/// extended codes, SQLITE_LOCKED): the database is busy, not broken, and a
/// retry in a moment succeeds.
pub fn is_lock_timeout(err: &DbErr) -> bool {
    match sqlx(err) {
        Some(sea_orm::sqlx::Error::Database(db))
            if db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some() =>
        {
            db.code()
                .and_then(|code| code.parse::<i32>().ok())
                // The primary code is the low byte of an extended one.
                .is_some_and(|code| matches!(code & 0xff, 5 | 6))
        }
        _ => false,
    }
}

/// True for PostgreSQL's deadlock and serialization failures (SQLSTATE 40P01
/// and 40001): nothing is wrong with the request, and a retry succeeds.
pub fn is_concurrency_failure(err: &DbErr) -> bool {
    match sqlx(err) {
        Some(sea_orm::sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

/// The `table.column` a unique violation is about, on either backend:
/// PostgreSQL names the constraint or unique index, SQLite says "UNIQUE
/// constraint failed: users.email" (or "index 'name'" for an expression
/// index). `None` when the error is not a unique violation.
pub fn unique_violation(err: &DbErr) -> Option<&'static str> {
    let Some(sea_orm::sqlx::Error::Database(db)) = sqlx(err) else {
        return None;
    };
    let name = if db
        .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
        .is_some()
    {
        let failed = db.message().strip_prefix("UNIQUE constraint failed: ")?;
        let failed = failed.split(',').next().unwrap_or(failed).trim();
        failed
            .strip_prefix("index '")
            .and_then(|n| n.strip_suffix('\''))
            .unwrap_or(failed)
            .to_string()
    } else {
        if db.code().as_deref() != Some("23505") {
            return None;
        }
        db.constraint()?.to_string()
    };
    match UNIQUES
        .iter()
        .find(|(names, _)| names.contains(&name.as_str()))
    {
        Some((_, column)) => Some(column),
        None => {
            tracing::warn!(constraint = %name, "unique violation on a constraint no field maps to");
            Some("unknown")
        }
    }
}

/// Each unique constraint the application maps to a field: the names the
/// two backends report for it, and the `table.column` it guards.
const UNIQUES: &[(&[&str], &str)] = &[
    (&["ux_users_email_lower"], "users.email"),
    (
        &[
            "lead_engagement_events_external_id_key",
            "lead_engagement_events.external_id",
        ],
        "lead_engagement_events.external_id",
    ),
    (
        &["ux_assignments_one_active_per_lead", "assignments.lead_id"],
        "assignments.lead_id",
    ),
];
