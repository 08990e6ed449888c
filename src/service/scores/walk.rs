//! Walking many leads to rescore them: the decay sweep, `leadscore
//! rescore` and rescore jobs all walk the live leads that are stale (never
//! scored, or scored before a cutoff) in id order, a batch per unit of work.
use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration as StdDuration,
};

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{inputs::inventory, rescoring};
use crate::{
    core::Core,
    entity::lead,
    error::{AppError, AppResult},
};

/// Leads per transaction: big enough that statements are few, small enough
/// to keep locks short.
pub const BATCH: u64 = 500;
/// Times a batch is retried while the database is busy.
const BUSY_RETRIES: usize = 6;

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
    pub async fn count(&self, core: &Core) -> AppResult<u64> {
        Ok(lead::Entity::find()
            .filter(self.condition())
            .count(core.db())
            .await?)
    }

    /// Rescores the next batch after `after`; returns how many and the last id.
    pub async fn next_batch(
        &self,
        core: &Core,
        after: Option<Uuid>,
    ) -> AppResult<(usize, Option<Uuid>)> {
        let uow = core.begin().await?;
        let mut query = lead::Entity::find().filter(self.condition());
        if let Some(after) = after {
            query = query.filter(lead::Column::Id.gt(after));
        }
        let leads = uow
            .dialect()
            .for_update_skip_locked(query.order_by_asc(lead::Column::Id).limit(BATCH))
            .all(uow.conn())
            .await?;
        let inventory = inventory(uow.conn()).await?;
        rescoring::rescore_leads(core, &uow, &leads, &inventory, Utc::now()).await?;
        uow.commit().await?;
        Ok((leads.len(), leads.last().map(|l| l.id)))
    }

    /// Rescores every lead of the walk, reporting the running total after
    /// each batch; returns the number rescored. Where the dialect allows
    /// several walkers (PostgreSQL), each skips the rows another holds, and
    /// a row another has finished is no longer stale, so they share the
    /// work without repeating it, and one's statements run while another's
    /// wait. Stops between batches when the application stops (the walk is
    /// resumable: what is left is still stale).
    pub async fn run(&self, core: &Core, progress: impl Fn(usize) + Sync) -> AppResult<usize> {
        let workers = core.dialect().walkers();
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
                let (n, last) = walk.next_batch_patiently(core, after).await?;
                progress(done.fetch_add(n, Ordering::Relaxed) + n);
                if Self::finished(n) || core.tasks().is_stopping() {
                    return AppResult::Ok(());
                }
                after = last;
            }
        };
        try_join_all((0..workers).map(|_| worker())).await?;
        Ok(done.into_inner())
    }

    /// [`Self::next_batch`], retried while the database is busy or briefly
    /// unreachable (another process writing to a SQLite file, a failover),
    /// so a long walk is not lost to a moment's contention.
    async fn next_batch_patiently(
        &self,
        core: &Core,
        after: Option<Uuid>,
    ) -> AppResult<(usize, Option<Uuid>)> {
        let mut wait = StdDuration::from_millis(200);
        for _ in 0..BUSY_RETRIES {
            match self.next_batch(core, after).await {
                Err(AppError::DatabaseUnavailable(err)) => {
                    tracing::warn!(error = %err, retry_in_ms = wait.as_millis() as u64, "rescoring batch waits for the database");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(StdDuration::from_secs(5));
                }
                done => return done,
            }
        }
        self.next_batch(core, after).await
    }

    /// A short batch means nothing stale is left past it.
    pub fn finished(batch: usize) -> bool {
        (batch as u64) < BATCH
    }
}
