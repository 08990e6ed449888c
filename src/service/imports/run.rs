//! Running an import: the upload's rows in order, a chunk per transaction.
//! Each chunk's leads, audit entries, errors and the job's progress commit
//! together, so a job that stops anywhere (its server killed) resumes after
//! its last committed chunk: no row twice, none missed. Another server
//! takes over a job whose heartbeat (written with every chunk) stopped.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    chunk::{Runner, Step},
    upload,
};
use crate::{
    core::Core,
    db::UnitOfWork,
    entity::{
        lead_import::{self, ImportStatus},
        lead_import_error,
    },
    error::{AppError, AppResult},
    events::Event,
    service::{
        accounts::access::job_actor,
        lease::{self, Leased},
        notifications::{self, Notice},
    },
};

/// Runs the job as a task the application owns.
pub async fn spawn(core: &Core, job: lead_import::Model) {
    let owned = core.clone();
    core.tasks()
        .spawn("lead import", move |_stop| run(owned, job))
        .await;
}

async fn run(core: Core, job: lead_import::Model) {
    let id = job.id;
    tracing::info!(import = %id, rows = job.total_rows, dry_run = job.dry_run, "lead import started");
    let outcome = work(&core, job).await;
    if core.tasks().is_stopping() {
        tracing::info!(import = %id, "lead import paused by shutdown; another server resumes it");
        return;
    }
    let Some((status, error)) = lease::ending(outcome) else {
        return;
    };
    if let Err(err) = finish(&core, id, status, error).await {
        // The heartbeat stops, so another server finishes it.
        err.log();
        tracing::error!(import = %id, "could not record the end of a lead import");
    }
}

/// The job's chunks, until it is done (true) or stops (false).
async fn work(core: &Core, job: lead_import::Model) -> AppResult<bool> {
    let actor = job_actor(core, job.requested_by).await?;
    let mut job = job;
    if job.dry_run && job.processed_rows > 0 {
        // A dry run keeps the keys it saw in memory: resumed, it starts over.
        job = restart_dry_run(core, job).await?;
    }
    lead_import::Entity::update_many()
        .col_expr(
            lead_import::Column::Status,
            Expr::value(ImportStatus::Running),
        )
        .col_expr(
            lead_import::Column::StartedAt,
            Expr::value(job.started_at.unwrap_or_else(Utc::now)),
        )
        .col_expr(lead_import::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(lead_import::Column::Id.eq(job.id))
        .filter(lead_import::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Running]))
        .exec(core.db())
        .await?;
    let upload = lead_import_upload_width(core, job.upload_id).await?;
    let mut runner = Runner {
        job_id: job.id,
        upload_id: job.upload_id,
        settings: job.settings.clone(),
        dry_run: job.dry_run,
        width: upload,
        actor,
        processed: job.processed_rows,
        last_row: job.last_row,
        seen: HashSet::new(),
    };
    loop {
        if core.tasks().is_stopping() {
            return Ok(false);
        }
        match runner.chunk(core).await? {
            Step::More => continue,
            Step::Done => return Ok(true),
            Step::Stop => return Ok(false),
        }
    }
}

async fn lead_import_upload_width(core: &Core, upload_id: Uuid) -> AppResult<usize> {
    let upload = crate::entity::lead_import_upload::Entity::find_by_id(upload_id)
        .one(core.db())
        .await?
        .ok_or(AppError::NotFound("upload"))?;
    Ok(upload::columns(&upload).len())
}

async fn restart_dry_run(core: &Core, job: lead_import::Model) -> AppResult<lead_import::Model> {
    let uow = core.begin().await?;
    lead_import_error::Entity::delete_many()
        .filter(lead_import_error::Column::ImportId.eq(job.id))
        .exec(uow.conn())
        .await?;
    let mut row = job.into_active_model();
    for counter in [
        &mut row.processed_rows,
        &mut row.last_row,
        &mut row.created,
        &mut row.updated,
        &mut row.skipped,
        &mut row.failed,
    ] {
        *counter = Set(0);
    }
    let job = row.update(uow.conn()).await?;
    uow.commit().await?;
    Ok(job)
}

/// Ends a job: its status, and one notification per assignee of the leads
/// it created (not one per lead).
async fn finish(
    core: &Core,
    id: Uuid,
    status: ImportStatus,
    error: Option<String>,
) -> AppResult<()> {
    let uow = core.begin().await?;
    let Some(job) = uow
        .dialect()
        .for_update(lead_import::Entity::find_by_id(id))
        .one(uow.conn())
        .await?
    else {
        return Ok(());
    };
    if job.status.is_finished() {
        return Ok(());
    }
    lead_import::Entity::update_many()
        .col_expr(lead_import::Column::Status, Expr::value(status))
        .col_expr(lead_import::Column::Error, Expr::value(error))
        .col_expr(lead_import::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(lead_import::Column::Id.eq(id))
        .exec(uow.conn())
        .await?;
    notify_assignees(&uow, &job).await?;
    uow.publish(Event::JobProgressed { job_id: id });
    uow.commit().await?;
    tracing::info!(import = %id, ?status, created = job.created, updated = job.updated, failed = job.failed, "lead import finished");
    Ok(())
}

/// One notification per assignee, counting the leads the import gave them.
pub(super) async fn notify_assignees(uow: &UnitOfWork, job: &lead_import::Model) -> AppResult<()> {
    let Value::Object(assigned) = &job.assigned else {
        return Ok(());
    };
    let notices = assigned
        .iter()
        .filter_map(|(user, n)| Some((Uuid::parse_str(user).ok()?, n.as_i64()?)))
        .filter(|(user, n)| *n > 0 && Some(*user) != job.requested_by)
        .map(|(user_id, n)| Notice {
            user_id,
            kind: crate::entity::notification::NotificationKind::LeadAssigned,
            title: "Leads were assigned to you".into(),
            body: if n == 1 {
                "1 imported lead was assigned to you.".into()
            } else {
                format!("{n} imported leads were assigned to you.")
            },
            lead_id: None,
        })
        .collect();
    notifications::push(uow, notices).await
}

/// Takes over unfinished imports whose heartbeat stopped (see [`lease`]);
/// a chunk's own check stops a runner that lost its job.
pub async fn resume_abandoned(core: &Core) {
    let columns = Leased::<lead_import::Entity> {
        id: lead_import::Column::Id,
        status: lead_import::Column::Status,
        heartbeat: lead_import::Column::HeartbeatAt,
    };
    let unfinished = [ImportStatus::Queued, ImportStatus::Running];
    match lease::claim_abandoned(core.db(), core.clock().now(), columns, unfinished, |j| {
        (j.id, j.heartbeat_at)
    })
    .await
    {
        Ok(claimed) => {
            for (mut job, at) in claimed {
                tracing::warn!(import = %job.id, row = job.last_row, "resuming an abandoned lead import");
                job.heartbeat_at = Some(at);
                spawn(core, job).await;
            }
        }
        Err(err) => tracing::warn!(error = ?err, "could not look for abandoned imports"),
    }
}
