//! Rescore jobs: an admin rescores a set of leads (after changing the
//! inventory, say) and watches the progress. A job runs as a task the
//! application owns; when the application stops, the job stops between
//! batches and another server (or this one, restarted) takes it over.
//!
//! A job rescores the leads that match its filter and were last scored
//! before the job was created, in id order. That set shrinks as the job
//! works, so a job that stops half way (its server stopped) can be resumed by
//! any server without redoing or missing a lead: every sweep tick looks for
//! jobs whose heartbeat stopped and takes them over.
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::walk::Walk;
use crate::{
    auth::Actor,
    core::Core,
    entity::rescore_job::{self, JobStatus, StoredAssignee, StoredFilter},
    error::{AppError, AppResult},
    service::{
        audit,
        leads::{AssigneeFilter, LeadFilter, SearchTerm},
        lease::{self, Leased},
    },
    values::Parse,
};

/// The filter as a job keeps it.
pub fn store(filter: &LeadFilter) -> StoredFilter {
    StoredFilter {
        version: 1,
        statuses: filter.statuses.clone(),
        source: filter.source,
        classification: filter.classification,
        score_min: filter.score_min,
        score_max: filter.score_max,
        assignee: filter.assignee.map(|a| match a {
            AssigneeFilter::User(id) => StoredAssignee::User(id),
            AssigneeFilter::Unassigned => StoredAssignee::Unassigned,
        }),
        created_after: filter.created_after,
        created_before: filter.created_before,
        updated_after: filter.updated_after,
        updated_before: filter.updated_before,
        search: filter.search.as_ref().map(|s| s.as_str().to_string()),
    }
}

/// The filter a stored job means.
pub fn restore(stored: &StoredFilter) -> AppResult<LeadFilter> {
    let search = SearchTerm::parse_optional(stored.search.clone())
        .map_err(|e| AppError::internal(format!("stored job filter: search {}", e.0)))?;
    Ok(LeadFilter {
        statuses: stored.statuses.clone(),
        source: stored.source,
        classification: stored.classification,
        score_min: stored.score_min,
        score_max: stored.score_max,
        assignee: stored.assignee.map(|a| match a {
            StoredAssignee::User(id) => AssigneeFilter::User(id),
            StoredAssignee::Unassigned => AssigneeFilter::Unassigned,
        }),
        created_after: stored.created_after,
        created_before: stored.created_before,
        updated_after: stored.updated_after,
        updated_before: stored.updated_before,
        search,
    })
}

/// A running job writes its progress and heartbeat this often (see [`lease`]).
const HEARTBEAT: Duration = Duration::seconds(1);

/// Starts rescoring the leads `filter` selects (admins only) and returns the
/// job at once; the work goes on in the background.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn start(
    core: &Core,
    actor: &Actor,
    filter: LeadFilter,
) -> AppResult<rescore_job::Model> {
    actor.person()?.require_admin()?;
    let now = Utc::now();
    let walk = Walk {
        scope: filter.condition(),
        cutoff: now,
    };
    let total = walk.count(core).await?;
    let job = rescore_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(JobStatus::Queued),
        filter: Set(store(&filter)),
        total: Set(total as i64),
        processed: Set(0),
        error: Set(None),
        // The command line's operator is no user.
        requested_by: Set(Some(actor.user_id).filter(|id| !id.is_nil())),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        heartbeat_at: Set(Some(now)),
    }
    .insert(core.db())
    .await?;
    audit::acted(
        core.db(),
        actor,
        "leads.rescore_requested",
        ("rescore_job", job.id),
        json!({ "total": total, "filter": job.filter }),
    )
    .await?;
    spawn(core, job.clone()).await;
    Ok(job)
}

/// Runs the job as a task the application owns.
async fn spawn(core: &Core, job: rescore_job::Model) {
    let owned = core.clone();
    core.tasks()
        .spawn("rescore job", move |_stop| run(owned, job))
        .await;
}

/// A job, for admins.
pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> AppResult<rescore_job::Model> {
    actor.person()?.require_admin()?;
    rescore_job::Entity::find_by_id(id)
        .one(core.db())
        .await?
        .ok_or(AppError::NotFound("rescore job"))
}

/// Does the job's work, recording progress, success or failure. Stopped by
/// the application, it records nothing: its heartbeat falls silent and the
/// job is taken over.
async fn run(core: Core, job: rescore_job::Model) {
    let id = job.id;
    tracing::info!(job = %id, total = job.total, "rescore job started");
    let outcome = work(&core, job).await;
    if core.tasks().is_stopping() {
        tracing::info!(job = %id, "rescore job paused by shutdown; another server resumes it");
        return;
    }
    let (status, error) = match &outcome {
        Ok(()) => (JobStatus::Succeeded, None),
        Err(err) => {
            err.log();
            (JobStatus::Failed, Some(lease::failure(err)))
        }
    };
    let finished = rescore_job::Entity::update_many()
        .col_expr(rescore_job::Column::Status, Expr::value(status))
        .col_expr(rescore_job::Column::Error, Expr::value(error))
        .col_expr(rescore_job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(rescore_job::Column::Id.eq(id))
        .exec(core.db())
        .await;
    match finished {
        Ok(_) => tracing::info!(job = %id, ?status, "rescore job finished"),
        // The heartbeat stops, so another server takes the job over.
        Err(err) => {
            tracing::error!(job = %id, error = %err, "could not record the end of a rescore job")
        }
    }
}

async fn work(core: &Core, job: rescore_job::Model) -> AppResult<()> {
    let db = core.db();
    let walk = Walk {
        scope: restore(&job.filter)?.condition(),
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
        walked = walk.run(core, progress) => {
            beat(db, job.id, job.processed + walked? as i64).await
        }
        stopped = heartbeat => stopped,
    }
}

/// Records progress and that the job's server is alive.
async fn beat(db: &sea_orm::DatabaseConnection, id: Uuid, processed: i64) -> AppResult<()> {
    rescore_job::Entity::update_many()
        .col_expr(rescore_job::Column::Processed, Expr::value(processed))
        .col_expr(rescore_job::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(rescore_job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes over unfinished jobs whose heartbeat stopped (see [`lease`]).
pub async fn resume_abandoned(core: &Core) {
    let columns = Leased::<rescore_job::Entity> {
        id: rescore_job::Column::Id,
        status: rescore_job::Column::Status,
        heartbeat: rescore_job::Column::HeartbeatAt,
    };
    let unfinished = [JobStatus::Queued, JobStatus::Running];
    match lease::claim_abandoned(core.db(), core.clock().now(), columns, unfinished, |j| {
        (j.id, j.heartbeat_at)
    })
    .await
    {
        Ok(claimed) => {
            for (mut job, at) in claimed {
                tracing::warn!(job = %job.id, "resuming an abandoned rescore job");
                job.heartbeat_at = Some(at);
                spawn(core, job).await;
            }
        }
        Err(err) => tracing::warn!(error = ?err, "could not look for abandoned rescore jobs"),
    }
}
