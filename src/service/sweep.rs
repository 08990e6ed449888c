//! The decay sweep: scores fade with time, so leads are rescored on a
//! schedule even when nothing happens to them. A lead is never more than one
//! interval stale, in `leads(orderBy: SCORE)` or in the call list.
//!
//! Batches are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
//! several server replicas share the work instead of repeating it.
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{LockBehavior, LockType},
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use crate::{entity::lead, error::AppResult, scoring::Thresholds, service::scores};

/// Leads per transaction: small enough to keep locks short.
pub const BATCH: u64 = 200;

/// Rescores up to [`BATCH`] live leads last scored before `stale_before`
/// (or never); returns how many it rescored.
pub async fn rescore_batch(
    db: &DatabaseConnection,
    thresholds: Thresholds,
    stale_before: DateTime<Utc>,
) -> AppResult<usize> {
    let txn = db.begin().await?;
    let ids: Vec<Uuid> = lead::Entity::find()
        .filter(lead::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(lead::Column::ScoredAt.is_null())
                .add(lead::Column::ScoredAt.lt(stale_before)),
        )
        .order_by_asc(lead::Column::ScoredAt)
        .limit(BATCH)
        .select_only()
        .column(lead::Column::Id)
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .into_tuple()
        .all(&txn)
        .await?;
    let inventory = scores::inventory(&txn).await?;
    for id in &ids {
        scores::rescore(&txn, *id, thresholds, Some(inventory.clone())).await?;
    }
    txn.commit().await?;
    Ok(ids.len())
}

/// Rescores every lead stale at `stale_before`, batch by batch, reporting
/// progress; returns the number rescored.
pub async fn rescore_stale(
    db: &DatabaseConnection,
    thresholds: Thresholds,
    stale_before: DateTime<Utc>,
    mut progress: impl FnMut(usize),
) -> AppResult<usize> {
    let mut done = 0;
    loop {
        let n = rescore_batch(db, thresholds, stale_before).await?;
        done += n;
        progress(done);
        if (n as u64) < BATCH {
            return Ok(done);
        }
    }
}

/// Runs forever: every `interval`, rescores what the interval made stale.
/// Failures are logged and retried at the next tick; the server goes on.
pub async fn run(db: DatabaseConnection, thresholds: Thresholds, interval: StdDuration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let cutoff = Utc::now()
            - chrono::Duration::from_std(interval).unwrap_or_else(|_| chrono::Duration::minutes(5));
        match rescore_stale(&db, thresholds, cutoff, |_| {}).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rescored = n, "decay sweep"),
            Err(err) => {
                err.log();
                tracing::warn!(
                    code = err.code(),
                    "decay sweep failed; retrying at the next interval"
                );
            }
        }
    }
}
