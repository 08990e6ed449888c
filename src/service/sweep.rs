//! Rescoring many leads: the decay sweep, `leadscore rescore` and rescore
//! jobs all walk the leads that are stale (never scored, or scored before a
//! cutoff) in id order, a batch per transaction.
//!
//! Scores fade with time, so the sweep rescores leads on a schedule even when
//! nothing happens to them: a lead is never more than one interval stale, in
//! `leads(orderBy: SCORE)` or in the call list. Batches are claimed with
//! `FOR NO KEY UPDATE SKIP LOCKED` on PostgreSQL, so several server replicas
//! share the work instead of repeating it, and a lead a request is changing
//! is left to that request (which rescores it itself).
use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration as StdDuration,
};

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use sea_orm::{
    sea_query::{LockBehavior, LockType},
    ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    entity::lead,
    error::AppResult,
    scoring::Thresholds,
    service::{jobs, rescoring},
};

/// Leads per transaction: big enough that statements are few, small enough
/// to keep locks short.
pub const BATCH: u64 = 500;
/// Concurrent walks on PostgreSQL (this machine class has 2 cores).
const WORKERS: usize = 2;

/// The leads one walk rescores: live, matching `scope`, stale at `cutoff`.
#[derive(Clone, Debug)]
pub struct Walk {
    pub scope: Condition,
    pub cutoff: DateTime<Utc>,
}

impl Walk {
    /// Every live lead last scored before `cutoff` (or never).
    pub fn stale_before(cutoff: DateTime<Utc>) -> Self {
        Self {
            scope: Condition::all(),
            cutoff,
        }
    }

    fn condition(&self) -> Condition {
        Condition::all()
            .add(lead::Column::DeletedAt.is_null())
            .add(self.scope.clone())
            .add(
                Condition::any()
                    .add(lead::Column::ScoredAt.is_null())
                    .add(lead::Column::ScoredAt.lt(self.cutoff)),
            )
    }

    /// How many leads the walk would rescore now.
    pub async fn count(&self, db: &DatabaseConnection) -> AppResult<u64> {
        use sea_orm::PaginatorTrait;
        Ok(lead::Entity::find()
            .filter(self.condition())
            .count(db)
            .await?)
    }

    /// Rescores the next batch after `after`; returns how many and the last id.
    pub async fn next_batch(
        &self,
        db: &DatabaseConnection,
        thresholds: Thresholds,
        after: Option<Uuid>,
    ) -> AppResult<(usize, Option<Uuid>)> {
        let txn = db.begin().await?;
        let mut query = lead::Entity::find().filter(self.condition());
        if let Some(after) = after {
            query = query.filter(lead::Column::Id.gt(after));
        }
        let leads = query
            .order_by_asc(lead::Column::Id)
            .limit(BATCH)
            .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
            .all(&txn)
            .await?;
        let inventory = rescoring::inventory(&txn).await?;
        rescoring::rescore_leads(&txn, &leads, &inventory, thresholds, Utc::now()).await?;
        txn.commit().await?;
        Ok((leads.len(), leads.last().map(|l| l.id)))
    }

    /// Rescores every lead of the walk, reporting the running total after
    /// each batch; returns the number rescored. On PostgreSQL, [`WORKERS`]
    /// walks run at once: each skips the rows another holds, and a row
    /// another has finished is no longer stale, so they share the work
    /// without repeating it, and one's statements run while another's wait.
    pub async fn run(
        &self,
        db: &DatabaseConnection,
        thresholds: Thresholds,
        progress: impl Fn(usize) + Sync,
    ) -> AppResult<usize> {
        let workers = match db.get_database_backend() {
            DbBackend::Postgres => WORKERS,
            _ => 1,
        };
        // A lead rescored by this run is stamped after it started: with the
        // cutoff no later than that, no walker takes it a second time.
        let walk = Walk {
            scope: self.scope.clone(),
            cutoff: self.cutoff.min(Utc::now()),
        };
        let done = AtomicUsize::new(0);
        let worker = || async {
            let mut after = None;
            loop {
                let (n, last) = walk.next_batch(db, thresholds, after).await?;
                progress(done.fetch_add(n, Ordering::Relaxed) + n);
                if Self::finished(n) {
                    return AppResult::Ok(());
                }
                after = last;
            }
        };
        try_join_all((0..workers).map(|_| worker())).await?;
        Ok(done.into_inner())
    }

    /// A short batch means nothing stale is left past it.
    pub fn finished(batch: usize) -> bool {
        (batch as u64) < BATCH
    }
}

/// Rescores every live lead stale at `stale_before`; returns the number.
pub async fn rescore_stale(
    db: &DatabaseConnection,
    thresholds: Thresholds,
    stale_before: DateTime<Utc>,
    progress: impl Fn(usize) + Sync,
) -> AppResult<usize> {
    Walk::stale_before(stale_before)
        .run(db, thresholds, progress)
        .await
}

/// Runs forever: every `interval`, rescores what the interval made stale and
/// takes over rescore jobs whose server stopped. Failures are logged and
/// retried at the next tick; the server goes on.
pub async fn run(db: DatabaseConnection, thresholds: Thresholds, interval: StdDuration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        jobs::resume_abandoned(&db, thresholds).await;
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
