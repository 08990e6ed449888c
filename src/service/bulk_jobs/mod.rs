//! Bulk changes by filter, for more leads than one call takes: a dry run
//! counts the leads a filter selects (and shows a few); the change itself
//! must name that count (`expected_count`), so nobody reassigns 40,000
//! leads when they meant 400. It runs as a background job (see [`run`]):
//! resumable on any server, cancellable, with progress. Each batch changes
//! its leads exactly as the synchronous bulk calls do (audited per lead
//! under the job's id, status history, rescoring); notifications are
//! summed over the whole job, one per person.
pub mod run;

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::{
        lead,
        lead_bulk_job::{self, BulkAction, BulkParams},
        lead_import::ImportStatus,
    },
    error::{AppError, AppResult},
    events::Event,
    service::{
        audit,
        crm::assignments,
        leads::{listing::visible_and_filtered, LeadFilter},
        scores::jobs::store,
    },
};

/// Leads a preview shows.
pub const SAMPLE: u64 = 10;

/// A change by filter, as asked.
#[derive(Debug, Clone)]
pub struct BulkRequest {
    pub filter: LeadFilter,
    pub action: BulkAction,
    pub params: BulkParams,
    /// What the dry run counted; required to start the change.
    pub expected_count: Option<i64>,
    pub dry_run: bool,
}

/// What a request found, and the job when it started one.
pub struct BulkStarted {
    pub count: i64,
    pub sample: Vec<lead::Model>,
    pub job: Option<lead_bulk_job::Model>,
}

/// Checks that `actor` may make this change at all (a lead at a time, as
/// a single change would be checked).
async fn check(core: &Core, actor: &Actor, request: &BulkRequest) -> AppResult<()> {
    actor.person()?;
    match request.action {
        BulkAction::Assign => {
            let user = request
                .params
                .user_id
                .ok_or_else(|| AppError::bad_input("user_id", "say who receives the leads"))?;
            assignments::assignable(core.db(), user, "user_id").await?;
        }
        BulkAction::SetStatus => {
            if request.params.status.is_none() {
                return Err(AppError::bad_input("status", "say which status"));
            }
        }
        BulkAction::Delete => actor.require_manager_or_admin()?,
    }
    Ok(())
}

/// Counts (and samples) the leads `request.filter` selects among those
/// `actor` may see; without `dry_run`, starts the job if the count is the
/// one the caller expects.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, action = ?request.action))]
pub async fn start(core: &Core, actor: &Actor, request: BulkRequest) -> AppResult<BulkStarted> {
    check(core, actor, &request).await?;
    let scope = visible_and_filtered(actor, &request.filter);
    let count = lead::Entity::find()
        .filter(scope.clone())
        .count(core.reads())
        .await? as i64;
    let sample = lead::Entity::find()
        .filter(scope.clone())
        .order_by_asc(lead::Column::Id)
        .limit(SAMPLE)
        .all(core.reads())
        .await?;
    if request.dry_run {
        return Ok(BulkStarted {
            count,
            sample,
            job: None,
        });
    }
    match request.expected_count {
        None => {
            return Err(AppError::bad_input(
                "expected_count",
                "run it with dryRun first and pass the count it returns as expectedCount",
            ))
        }
        Some(expected) if expected != count => {
            return Err(AppError::Conflict {
                field: Some("expected_count".into()),
                message: format!(
                    "the filter selects {count} leads now, not {expected}: check the filter and confirm the new count"
                ),
                existing_id: None,
            })
        }
        Some(_) => {}
    }
    // The newest lead it may touch: later leads are not part of what was confirmed.
    let max_id = lead::Entity::find()
        .select_only()
        .column(lead::Column::Id)
        .filter(scope)
        .order_by_desc(lead::Column::Id)
        .limit(1)
        .into_tuple::<Uuid>()
        .one(core.db())
        .await?
        .unwrap_or_else(Uuid::nil);
    let now = Utc::now();
    let job = lead_bulk_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        action: Set(request.action),
        filter: Set(store(&request.filter)),
        params: Set(request.params),
        status: Set(ImportStatus::Queued),
        total: Set(count),
        processed: Set(0),
        changed: Set(0),
        last_id: Set(None),
        max_id: Set(max_id),
        tallies: Set(json!({})),
        error: Set(None),
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
        "leads.bulk_job_started",
        ("lead_bulk_job", job.id),
        json!({ "action": job.action, "filter": job.filter, "params": job.params, "total": count }),
    )
    .await?;
    run::spawn(core, job.clone()).await;
    Ok(BulkStarted {
        count,
        sample,
        job: Some(job),
    })
}

/// A job, for whoever started it (admins: anyone's).
pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> AppResult<lead_bulk_job::Model> {
    actor.person()?;
    let job = lead_bulk_job::Entity::find_by_id(id)
        .one(core.reads())
        .await?
        .ok_or(AppError::NotFound("bulk job"))?;
    if job.requested_by != Some(actor.user_id) && !actor.is_admin() {
        return Err(AppError::NotFound("bulk job"));
    }
    Ok(job)
}

/// Stops a job after its current batch; what it changed stays changed.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, job = %id))]
pub async fn cancel(core: &Core, actor: &Actor, id: Uuid) -> AppResult<lead_bulk_job::Model> {
    let job = get(core, actor, id).await?;
    if job.status.is_finished() {
        return Err(AppError::Conflict {
            field: Some("id".into()),
            message: "this job has already ended".into(),
            existing_id: None,
        });
    }
    let uow = core.begin().await?;
    let cancelled = lead_bulk_job::Entity::update_many()
        .col_expr(
            lead_bulk_job::Column::Status,
            Expr::value(ImportStatus::Cancelled),
        )
        .col_expr(lead_bulk_job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(lead_bulk_job::Column::Id.eq(id))
        .filter(lead_bulk_job::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Running]))
        .exec(uow.conn())
        .await?;
    if cancelled.rows_affected == 1 {
        let job = lead_bulk_job::Entity::find_by_id(id)
            .one(uow.conn())
            .await?
            .ok_or(AppError::NotFound("bulk job"))?;
        // What it did before it stopped, its people hear of.
        run::notify(&uow, actor, &job).await?;
        audit::acted(
            uow.conn(),
            actor,
            "leads.bulk_job_cancelled",
            ("lead_bulk_job", id),
            json!({ "processed": job.processed }),
        )
        .await?;
        uow.publish(Event::JobProgressed { job_id: id });
    }
    uow.commit().await?;
    get(core, actor, id).await
}
