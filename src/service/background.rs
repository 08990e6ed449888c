//! How the background jobs stand, for the health page and metrics: counts
//! and progress only, no ids (anyone who can reach /health sees them).
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use crate::{
    core::Core,
    entity::{
        email_outbox::{self, EmailStatus},
        lead_bulk_job,
        lead_import::{self, ImportStatus},
        rescore_job::{self, JobStatus},
    },
    error::AppResult,
};

#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobFigures {
    /// Rescore jobs queued or running, and their progress in leads.
    pub rescore_jobs: u64,
    pub rescore_done: u64,
    pub rescore_total: u64,
    /// Imports queued or running, and their progress in rows.
    pub imports: u64,
    pub import_rows_done: u64,
    pub import_rows_total: u64,
    /// Bulk edits queued or running.
    pub bulk_jobs: u64,
    /// Messages waiting in the email outbox, and those dead-lettered.
    pub email_pending: u64,
    pub email_dead: u64,
}

/// Small reads over the unfinished jobs and the outbox.
pub async fn unfinished(core: &Core) -> AppResult<JobFigures> {
    let db = core.reads();
    let rescore: Vec<(i64, i64)> = rescore_job::Entity::find()
        .select_only()
        .column(rescore_job::Column::Processed)
        .column(rescore_job::Column::Total)
        .filter(rescore_job::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
        .into_tuple()
        .all(db)
        .await?;
    let imports: Vec<(i64, i64)> = lead_import::Entity::find()
        .select_only()
        .column(lead_import::Column::ProcessedRows)
        .column(lead_import::Column::TotalRows)
        .filter(lead_import::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Running]))
        .into_tuple()
        .all(db)
        .await?;
    let bulk: Vec<uuid::Uuid> = lead_bulk_job::Entity::find()
        .select_only()
        .column(lead_bulk_job::Column::Id)
        .filter(lead_bulk_job::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Running]))
        .into_tuple()
        .all(db)
        .await?;
    let outbox = |status| {
        email_outbox::Entity::find()
            .filter(email_outbox::Column::Status.eq(status))
            .count(db)
    };
    let email_pending = outbox(EmailStatus::Pending).await?;
    let email_dead = outbox(EmailStatus::Dead).await?;
    let sum = |rows: &[(i64, i64)], pick: fn(&(i64, i64)) -> i64| {
        rows.iter().map(|r| pick(r).max(0) as u64).sum::<u64>()
    };
    Ok(JobFigures {
        rescore_jobs: rescore.len() as u64,
        rescore_done: sum(&rescore, |r| r.0),
        rescore_total: sum(&rescore, |r| r.1),
        imports: imports.len() as u64,
        import_rows_done: sum(&imports, |r| r.0),
        import_rows_total: sum(&imports, |r| r.1),
        bulk_jobs: bulk.len() as u64,
        email_pending,
        email_dead,
    })
}
