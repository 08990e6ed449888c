//! Running a bulk job: the leads its filter selects (as its requester may
//! see them, ids up to the job's `max_id`), in id order, a batch per
//! transaction. Each batch's changes and the job's progress (`last_id`)
//! commit together, so a job resumes on any server exactly after its last
//! batch; a runner that finds the progress moved by someone else stops.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    db::UnitOfWork,
    entity::{
        lead,
        lead_bulk_job::{self, BulkAction},
        lead_import::ImportStatus,
        user,
    },
    error::{AppError, AppResult},
    events::Event,
    service::{
        accounts::access::job_actor,
        crm::assignments::{
            self,
            bulk::{assign_locked, notify_summaries, Tally},
        },
        leads::{
            bulk::{set_deleted_locked, set_status_locked},
            listing::visible_and_filtered,
            LeadFilter,
        },
        lease::{self, Leased},
        scores::jobs::restore,
    },
};

/// Leads per batch: as many as one synchronous bulk call takes.
const BATCH: u64 = 500;

/// Runs the job as a task the application owns.
pub async fn spawn(core: &Core, job: lead_bulk_job::Model) {
    let owned = core.clone();
    core.tasks()
        .spawn("bulk lead job", move |_stop| run(owned, job))
        .await;
}

async fn run(core: Core, job: lead_bulk_job::Model) {
    let id = job.id;
    tracing::info!(job = %id, action = ?job.action, total = job.total, "bulk job started");
    let outcome = work(&core, job).await;
    if core.tasks().is_stopping() {
        tracing::info!(job = %id, "bulk job paused by shutdown; another server resumes it");
        return;
    }
    let Some((status, error)) = lease::ending(outcome) else {
        return;
    };
    if let Err(err) = finish(&core, id, status, error).await {
        err.log();
        tracing::error!(job = %id, "could not record the end of a bulk job");
    }
}

/// The job's batches, until it is done (true) or stops (false).
async fn work(core: &Core, job: lead_bulk_job::Model) -> AppResult<bool> {
    let actor = job_actor(core, job.requested_by).await?;
    let filter = restore(&job.filter)?;
    lead_bulk_job::Entity::update_many()
        .col_expr(
            lead_bulk_job::Column::Status,
            Expr::value(ImportStatus::Running),
        )
        .col_expr(
            lead_bulk_job::Column::StartedAt,
            Expr::value(job.started_at.unwrap_or_else(Utc::now)),
        )
        .col_expr(lead_bulk_job::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(lead_bulk_job::Column::Id.eq(job.id))
        .filter(lead_bulk_job::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Running]))
        .exec(core.db())
        .await?;
    let mut processed = job.processed;
    loop {
        if core.tasks().is_stopping() {
            return Ok(false);
        }
        match batch(core, &actor, &filter, job.id, processed).await? {
            Some(0) => return Ok(true),
            Some(n) => processed += n,
            None => return Ok(false),
        }
    }
}

/// One batch; how many leads it walked (0: none left), or none when the
/// job is no longer this runner's (cancelled, or taken over).
async fn batch(
    core: &Core,
    actor: &Actor,
    filter: &LeadFilter,
    id: Uuid,
    processed: i64,
) -> AppResult<Option<i64>> {
    let uow = core.begin().await?;
    let conn = uow.conn();
    let Some(job) = uow
        .dialect()
        .for_update(lead_bulk_job::Entity::find_by_id(id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if job.status != ImportStatus::Running || job.processed != processed {
        return Ok(None);
    }
    let mut select = lead::Entity::find()
        .filter(visible_and_filtered(actor, filter))
        .filter(lead::Column::Id.lte(job.max_id));
    if let Some(last) = job.last_id {
        select = select.filter(lead::Column::Id.gt(last));
    }
    let leads = uow
        .dialect()
        .for_update(
            select
                .order_by_asc(lead::Column::Id)
                .limit(match job.params.batch {
                    0 => BATCH,
                    n => n as u64,
                }),
        )
        .all(conn)
        .await?;
    let Some(last) = leads.last().map(|l| l.id) else {
        return Ok(Some(0));
    };
    let mut tallies = job.tallies.clone();
    let mut closes = false;
    let changed = match job.action {
        BulkAction::Assign => {
            let user_id = job.params.user_id.ok_or_else(|| {
                AppError::internal("a stored ASSIGN job without its user".to_string())
            })?;
            let target = assignments::assignable(conn, user_id, "user_id").await?;
            let given =
                assign_locked(&uow, actor, &leads, &target, job.params.note.clone(), id).await?;
            tally(&mut tallies, &given);
            given.len() as i64
        }
        BulkAction::SetStatus => {
            let to = job.params.status.ok_or_else(|| {
                AppError::internal("a stored SET_STATUS job without its status".to_string())
            })?;
            let moved = set_status_locked(core, &uow, actor, &leads, to, id).await?;
            closes = moved.closes;
            moved.changed as i64
        }
        BulkAction::Delete => {
            let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
            set_deleted_locked(&uow, actor, &ids, true, id).await? as i64
        }
    };
    let walked = leads.len() as i64;
    lead_bulk_job::Entity::update_many()
        .col_expr(
            lead_bulk_job::Column::Processed,
            Expr::value(processed + walked),
        )
        .col_expr(
            lead_bulk_job::Column::Changed,
            Expr::value(job.changed + changed),
        )
        .col_expr(lead_bulk_job::Column::LastId, Expr::value(last))
        .col_expr(lead_bulk_job::Column::Tallies, Expr::value(tallies))
        .col_expr(lead_bulk_job::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(lead_bulk_job::Column::Id.eq(id))
        .exec(conn)
        .await?;
    uow.publish(Event::JobProgressed { job_id: id });
    uow.commit().await?;
    if closes {
        // The outcome counts the rules explain themselves with moved.
        core.basis().clear();
    }
    Ok(Some(walked))
}

/// Adds a batch's reassignments to the job's per-person tallies.
fn tally(tallies: &mut Value, given: &[(Uuid, Option<Uuid>)]) {
    let read = |v: &Value| serde_json::from_value::<Tally>(v.clone()).unwrap_or_default();
    let received = read(&tallies["received"]).and(Tally::of(given.iter().map(|(l, _)| *l)));
    let mut lost: HashMap<String, Tally> = tallies["lost"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), read(v))).collect())
        .unwrap_or_default();
    for (lead, from) in given {
        if let Some(from) = from {
            let entry = lost.entry(from.to_string()).or_default();
            *entry = entry.and(Tally::of([*lead]));
        }
    }
    *tallies = json!({ "received": received, "lost": lost });
}

/// One notification per person the job gave leads to or took them from.
pub(super) async fn notify(
    uow: &UnitOfWork,
    actor: &Actor,
    job: &lead_bulk_job::Model,
) -> AppResult<()> {
    let (BulkAction::Assign, Some(user_id)) = (job.action, job.params.user_id) else {
        return Ok(());
    };
    let Some(target) = user::Entity::find_by_id(user_id).one(uow.conn()).await? else {
        return Ok(());
    };
    let read = |v: &Value| serde_json::from_value::<Tally>(v.clone()).unwrap_or_default();
    let received = read(&job.tallies["received"]);
    let lost = job.tallies["lost"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((Uuid::parse_str(k).ok()?, read(v))))
                .collect()
        })
        .unwrap_or_default();
    notify_summaries(
        uow,
        actor,
        &target,
        received,
        lost,
        job.params.note.as_deref(),
    )
    .await
}

async fn finish(
    core: &Core,
    id: Uuid,
    status: ImportStatus,
    error: Option<String>,
) -> AppResult<()> {
    let uow = core.begin().await?;
    let Some(job) = uow
        .dialect()
        .for_update(lead_bulk_job::Entity::find_by_id(id))
        .one(uow.conn())
        .await?
    else {
        return Ok(());
    };
    if job.status.is_finished() {
        return Ok(());
    }
    lead_bulk_job::Entity::update_many()
        .col_expr(lead_bulk_job::Column::Status, Expr::value(status))
        .col_expr(lead_bulk_job::Column::Error, Expr::value(error))
        .col_expr(lead_bulk_job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(lead_bulk_job::Column::Id.eq(id))
        .exec(uow.conn())
        .await?;
    if let Ok(actor) = job_actor(core, job.requested_by).await {
        notify(&uow, &actor, &job).await?;
    }
    uow.publish(Event::JobProgressed { job_id: id });
    uow.commit().await?;
    tracing::info!(job = %id, ?status, changed = job.changed, "bulk job finished");
    Ok(())
}

/// Takes over unfinished jobs whose heartbeat stopped (see [`lease`]).
pub async fn resume_abandoned(core: &Core) {
    let columns = Leased::<lead_bulk_job::Entity> {
        id: lead_bulk_job::Column::Id,
        status: lead_bulk_job::Column::Status,
        heartbeat: lead_bulk_job::Column::HeartbeatAt,
    };
    let unfinished = [ImportStatus::Queued, ImportStatus::Running];
    match lease::claim_abandoned(core.db(), core.clock().now(), columns, unfinished, |j| {
        (j.id, j.heartbeat_at)
    })
    .await
    {
        Ok(claimed) => {
            for (mut job, at) in claimed {
                tracing::warn!(job = %job.id, "resuming an abandoned bulk job");
                job.heartbeat_at = Some(at);
                spawn(core, job).await;
            }
        }
        Err(err) => tracing::warn!(error = ?err, "could not look for abandoned bulk jobs"),
    }
}
