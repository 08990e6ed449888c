//! A background job's lease. The server running a job writes its heartbeat
//! with every batch; a job whose heartbeat is silent for
//! [`ABANDONED_AFTER`] has lost its server, and any server may take it over
//! by moving the heartbeat from the value it read, so two never both do.
//! Rescore jobs, imports and bulk jobs all hold their work this way, and
//! [`watch`](super::watch) looks for silent ones on its own timer.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    entity::lead_import::ImportStatus,
    error::{AppError, AppResult},
};

/// A job silent this long has lost its server.
pub const ABANDONED_AFTER: Duration = Duration::minutes(2);

/// The columns a leased job table has.
pub struct Leased<E: EntityTrait> {
    pub id: E::Column,
    pub status: E::Column,
    pub heartbeat: E::Column,
}

/// The jobs of `E` in one of the `unfinished` statuses whose heartbeat
/// stopped before `now` (the core's clock), each claimed for this server;
/// with the heartbeat it now has.
pub async fn claim_abandoned<E, S>(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    columns: Leased<E>,
    unfinished: [S; 2],
    lease: impl Fn(&E::Model) -> (Uuid, Option<DateTime<Utc>>),
) -> AppResult<Vec<(E::Model, DateTime<Utc>)>>
where
    E: EntityTrait,
    S: Into<sea_orm::Value>,
{
    let stale = now - ABANDONED_AFTER;
    let found = E::find()
        .filter(columns.status.is_in(unfinished))
        .filter(columns.heartbeat.lt(stale))
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for job in found {
        let (id, seen) = lease(&job);
        let moved = E::update_many()
            .col_expr(columns.heartbeat, Expr::value(now))
            .filter(columns.id.eq(id))
            .filter(columns.heartbeat.eq(seen))
            .exec(db)
            .await?;
        if moved.rows_affected == 1 {
            claimed.push((job, now));
        }
    }
    Ok(claimed)
}

/// How a task's run ended, as it is recorded: none when it only stopped
/// (cancelled, taken over, or its server shutting down).
pub fn ending(outcome: AppResult<bool>) -> Option<(ImportStatus, Option<String>)> {
    match outcome {
        Ok(false) => None,
        Ok(true) => Some((ImportStatus::Succeeded, None)),
        Err(err) => {
            err.log();
            Some((ImportStatus::Failed, Some(failure(&err))))
        }
    }
}

/// Why a job failed, in words fit for its requester (details are logged).
pub fn failure(err: &AppError) -> String {
    format!("{}: {}", err.code(), err.message())
}
