//! Rescore jobs: an admin rescores a set of leads (after changing the
//! inventory, say) and watches the progress.
//!
//! A job rescores the leads that match its filter and were last scored
//! before the job was created, in id order. That set shrinks as the job
//! works, so a job that stops half way (its server stopped) can be resumed by
//! any server without redoing or missing a lead: every sweep tick looks for
//! jobs whose heartbeat stopped and takes them over.
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::rescore_job::{self, JobStatus},
    error::{AppError, AppResult},
    scoring::Thresholds,
    service::{
        audit::{self, AuditEntry},
        leads::{self, LeadFilter},
        sweep::Walk,
    },
};

/// A running job writes its progress and heartbeat this often...
const HEARTBEAT: Duration = Duration::seconds(1);
/// ...so one silent this long has lost its server.
const ABANDONED_AFTER: Duration = Duration::minutes(2);

/// Starts rescoring the leads `filter` selects (admins only) and returns the
/// job at once; the work goes on in the background.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn start(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: LeadFilter,
    thresholds: Thresholds,
) -> AppResult<rescore_job::Model> {
    actor.require_admin()?;
    let now = Utc::now();
    let walk = Walk {
        scope: leads::matching(&filter)?,
        cutoff: now,
    };
    let total = walk.count(db).await?;
    let job = rescore_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(JobStatus::Queued),
        filter: Set(serde_json::to_value(&filter)
            .map_err(|e| AppError::internal(format!("filter not serialisable: {e}")))?),
        total: Set(total as i64),
        processed: Set(0),
        error: Set(None),
        requested_by: Set(Some(actor.user_id)),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        heartbeat_at: Set(Some(now)),
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        AuditEntry::new("leads.rescore_requested")
            .by(actor)
            .entity("rescore_job", job.id)
            .details(json!({ "total": total, "filter": job.filter })),
    )
    .await?;
    tokio::spawn(run(db.clone(), job.clone(), thresholds));
    Ok(job)
}

/// A job, for admins.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<rescore_job::Model> {
    actor.require_admin()?;
    rescore_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("rescore job"))
}

/// Does the job's work, recording progress, success or failure.
async fn run(db: DatabaseConnection, job: rescore_job::Model, thresholds: Thresholds) {
    let id = job.id;
    tracing::info!(job = %id, total = job.total, "rescore job started");
    let outcome = work(&db, job, thresholds).await;
    let (status, error) = match &outcome {
        Ok(()) => (JobStatus::Succeeded, None),
        Err(err) => {
            err.log();
            (
                JobStatus::Failed,
                Some(format!("{}: {}", err.code(), err.message())),
            )
        }
    };
    let finished = rescore_job::Entity::update_many()
        .col_expr(rescore_job::Column::Status, Expr::value(status))
        .col_expr(rescore_job::Column::Error, Expr::value(error))
        .col_expr(rescore_job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(rescore_job::Column::Id.eq(id))
        .exec(&db)
        .await;
    match finished {
        Ok(_) => tracing::info!(job = %id, ?status, "rescore job finished"),
        // The heartbeat stops, so another server takes the job over.
        Err(err) => {
            tracing::error!(job = %id, error = %err, "could not record the end of a rescore job")
        }
    }
}

async fn work(
    db: &DatabaseConnection,
    job: rescore_job::Model,
    thresholds: Thresholds,
) -> AppResult<()> {
    let filter: LeadFilter = serde_json::from_value(job.filter.clone())
        .map_err(|e| AppError::internal(format!("stored job filter unreadable: {e}")))?;
    let walk = Walk {
        scope: leads::matching(&filter)?,
        cutoff: job.created_at,
    };
    let mut running: rescore_job::ActiveModel = job.clone().into();
    running.status = Set(JobStatus::Running);
    running.started_at = Set(Some(job.started_at.unwrap_or_else(Utc::now)));
    running.heartbeat_at = Set(Some(Utc::now()));
    running.update(db).await?;
    // A resumed job counts on from where its first server stopped.
    let done = AtomicUsize::new(0);
    let progress = |n| done.store(n, Ordering::Relaxed);
    let heartbeat = async {
        loop {
            tokio::time::sleep(HEARTBEAT.to_std().unwrap_or_default()).await;
            beat(
                db,
                job.id,
                job.processed + done.load(Ordering::Relaxed) as i64,
            )
            .await?;
        }
    };
    tokio::select! {
        walked = walk.run(db, thresholds, progress) => {
            beat(db, job.id, job.processed + walked? as i64).await
        }
        stopped = heartbeat => stopped,
    }
}

/// Records progress and that the job's server is alive.
async fn beat(db: &DatabaseConnection, id: Uuid, processed: i64) -> AppResult<()> {
    rescore_job::Entity::update_many()
        .col_expr(rescore_job::Column::Processed, Expr::value(processed))
        .col_expr(rescore_job::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(rescore_job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes over unfinished jobs whose heartbeat stopped. A job is claimed by
/// moving its heartbeat from the value read, so two servers never both run it.
pub async fn resume_abandoned(db: &DatabaseConnection, thresholds: Thresholds) {
    let stale = Utc::now() - ABANDONED_AFTER;
    let found = rescore_job::Entity::find()
        .filter(rescore_job::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
        .filter(rescore_job::Column::HeartbeatAt.lt(stale))
        .all(db)
        .await;
    let jobs = match found {
        Ok(jobs) => jobs,
        Err(err) => {
            tracing::warn!(error = %err, "could not look for abandoned rescore jobs");
            return;
        }
    };
    for job in jobs {
        let now = Utc::now();
        let claimed = rescore_job::Entity::update_many()
            .col_expr(rescore_job::Column::HeartbeatAt, Expr::value(now))
            .filter(rescore_job::Column::Id.eq(job.id))
            .filter(rescore_job::Column::HeartbeatAt.eq(job.heartbeat_at))
            .exec(db)
            .await;
        if matches!(claimed, Ok(ref r) if r.rows_affected == 1) {
            tracing::warn!(job = %job.id, "resuming an abandoned rescore job");
            let mut job = job;
            job.heartbeat_at = Some(now);
            tokio::spawn(run(db.clone(), job, thresholds));
        }
    }
}
