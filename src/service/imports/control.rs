//! Starting, watching, cancelling and previewing imports. An import is its
//! requester's (admins see every one); a sales rep's import creates leads
//! assigned to the rep and changes only leads the rep may see, as their
//! own `createLead` and `updateLead` would.
use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    chunk::CHUNK_ROWS,
    expiry,
    mapping::{key_field, missing_required, resolve, resolve_defaults, ColumnRequest},
    row::{self, read_row, RowError},
    run, upload,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{
        lead_import::{self, DedupeKey, ImportSettings, ImportStatus, OnMatch, Target},
        lead_import_error,
    },
    error::{client_path, AppError, AppResult},
    events::Event,
    service::{audit, crm::assignments},
};

/// What a client asks an import to do.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub upload_id: Uuid,
    pub columns: Vec<ColumnRequest>,
    /// `(field, value)` for what rows leave blank.
    pub defaults: Vec<(String, String)>,
    pub dedupe_key: Option<DedupeKey>,
    pub on_match: Option<OnMatch>,
    pub dry_run: bool,
    pub default_assignee: Option<Uuid>,
    /// Rows per transaction; none: [`CHUNK_ROWS`].
    pub chunk_rows: Option<usize>,
}

/// Checks the request against its upload and starts the job; the work goes
/// on in the background.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, upload = %request.upload_id))]
pub async fn start(
    core: &Core,
    actor: &Actor,
    request: ImportRequest,
) -> AppResult<lead_import::Model> {
    actor.may(Scope::LeadsWrite)?;
    let upload = upload::get(core, actor, request.upload_id).await?;
    expiry::importable(&upload)?;
    let header = upload::columns(&upload);
    let columns = resolve(&header, request.columns)?;
    let defaults = resolve_defaults(request.defaults)?;
    let missing = missing_required(&columns, &defaults);
    if !missing.is_empty() {
        return Err(AppError::bad_input(
            "mapping",
            format!(
                "a new lead needs {}: map a column to it or give it a default",
                missing.join(" and ")
            ),
        ));
    }
    if let Some(key) = request.dedupe_key {
        let field = key_field(key);
        if !columns
            .iter()
            .any(|c| c.target == Target::Field(field.into()))
        {
            return Err(AppError::bad_input(
                "dedupe.by",
                format!(
                    "to find leads by {}, map a column to it",
                    client_path(field)
                ),
            ));
        }
    }
    if request.on_match.is_some() && request.dedupe_key.is_none() {
        return Err(AppError::bad_input(
            "dedupe.by",
            "say which key finds a row's lead (EMAIL, EXTERNAL_ID or PHONE)",
        ));
    }
    // A rep's leads are theirs, as with createLead.
    let assignee = if actor.is_manager_or_admin() {
        request.default_assignee
    } else {
        match request.default_assignee {
            Some(id) if id != actor.user_id => {
                return Err(AppError::Forbidden(
                    "a sales rep imports leads for themselves".into(),
                ))
            }
            _ => Some(actor.user_id).filter(|id| !id.is_nil()),
        }
    };
    if let Some(id) = assignee {
        assignments::assignable(core.db(), id, "default_assignee_id").await?;
    }
    let chunk_rows = request.chunk_rows.unwrap_or(CHUNK_ROWS).clamp(1, 2_000);
    let now = Utc::now();
    let job = lead_import::ActiveModel {
        id: Set(Uuid::now_v7()),
        upload_id: Set(upload.id),
        requested_by: Set(Some(actor.user_id).filter(|id| !id.is_nil())),
        status: Set(ImportStatus::Queued),
        settings: Set(ImportSettings {
            version: 1,
            columns,
            defaults,
            dedupe_key: request.dedupe_key,
            on_match: request
                .dedupe_key
                .map(|_| request.on_match.unwrap_or(OnMatch::Skip)),
            default_assignee: assignee,
            chunk_rows,
        }),
        dry_run: Set(request.dry_run),
        total_rows: Set(upload.total_rows),
        processed_rows: Set(0),
        last_row: Set(0),
        created: Set(0),
        updated: Set(0),
        skipped: Set(0),
        failed: Set(0),
        assigned: Set(json!({})),
        error: Set(None),
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
        "leads.import_started",
        ("lead_import", job.id),
        json!({
            "upload": upload.id,
            "file": upload.file_name,
            "rows": upload.total_rows,
            "dryRun": job.dry_run,
            "dedupe": job.settings.dedupe_key,
            "onMatch": job.settings.on_match,
        }),
    )
    .await?;
    run::spawn(core, job.clone()).await;
    Ok(job)
}

/// An import, for its requester or an admin.
pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> AppResult<lead_import::Model> {
    actor.may(Scope::LeadsWrite)?;
    let job = lead_import::Entity::find_by_id(id)
        .one(core.reads())
        .await?
        .ok_or(AppError::NotFound("import"))?;
    if !upload::is_theirs(actor, job.requested_by) {
        return Err(AppError::NotFound("import"));
    }
    Ok(job)
}

/// Stops an import between two chunks: what earlier chunks wrote stays.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, import = %id))]
pub async fn cancel(core: &Core, actor: &Actor, id: Uuid) -> AppResult<lead_import::Model> {
    let job = get(core, actor, id).await?;
    if job.status.is_finished() {
        return Err(AppError::Conflict {
            field: Some("id".into()),
            message: format!("this import has already ended ({:?})", job.status).to_uppercase(),
            existing_id: None,
        });
    }
    let uow = core.begin().await?;
    let cancelled = lead_import::Entity::update_many()
        .col_expr(
            lead_import::Column::Status,
            Expr::value(ImportStatus::Cancelled),
        )
        .col_expr(lead_import::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(lead_import::Column::Id.eq(id))
        .filter(lead_import::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Running]))
        .exec(uow.conn())
        .await?;
    if cancelled.rows_affected == 1 {
        let job = lead_import::Entity::find_by_id(id)
            .one(uow.conn())
            .await?
            .ok_or(AppError::NotFound("import"))?;
        // The leads already imported were assigned: their owners hear of it.
        run::notify_assignees(&uow, &job).await?;
        audit::acted(
            uow.conn(),
            actor,
            "leads.import_cancelled",
            ("lead_import", id),
            json!({ "processedRows": job.processed_rows }),
        )
        .await?;
        uow.publish(Event::JobProgressed { job_id: id });
    }
    uow.commit().await?;
    get(core, actor, id).await
}

/// A page of an import's errors, by row, after `after` (row, error id).
/// No access check: callers read the import through [`get`] first.
pub async fn errors_after(
    core: &Core,
    id: Uuid,
    after: Option<(i64, Uuid)>,
    first: u64,
) -> AppResult<Vec<lead_import_error::Model>> {
    use lead_import_error::Column;
    let mut query = lead_import_error::Entity::find().filter(Column::ImportId.eq(id));
    if let Some((row, error)) = after {
        query = query.filter(
            Condition::any().add(Column::RowNumber.gt(row)).add(
                Condition::all()
                    .add(Column::RowNumber.eq(row))
                    .add(Column::Id.gt(error)),
            ),
        );
    }
    Ok(query
        .order_by_asc(Column::RowNumber)
        .order_by_asc(Column::Id)
        .limit(first)
        .all(core.reads())
        .await?)
}

/// How many errors an import recorded.
pub async fn error_count(core: &Core, id: Uuid) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(lead_import_error::Entity::find()
        .filter(lead_import_error::Column::ImportId.eq(id))
        .count(core.reads())
        .await?)
}

/// Rows a preview shows.
pub const PREVIEW_ROWS: u64 = 20;

/// One row of a preview: the cell each mapped column gives (after the
/// value map), and why the row would fail, if it would.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub row: i64,
    /// `(column, field, value)`.
    pub values: Vec<(String, String, String)>,
    pub errors: Vec<RowError>,
}

/// The first rows of an upload read through a mapping, as an import would
/// read them (whether a row matches an existing lead is not looked up).
pub async fn preview(
    core: &Core,
    actor: &Actor,
    upload_id: Uuid,
    columns: Vec<ColumnRequest>,
    defaults: Vec<(String, String)>,
) -> AppResult<Vec<PreviewRow>> {
    let upload = upload::get(core, actor, upload_id).await?;
    expiry::importable(&upload)?;
    let header = upload::columns(&upload);
    let columns = resolve(&header, columns)?;
    let defaults = resolve_defaults(defaults)?;
    let rows = upload::rows(core.reads(), upload_id, 0, PREVIEW_ROWS).await?;
    Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            let read = read_row(&columns, &defaults, None, header.len(), &cells);
            let values = columns
                .iter()
                .filter_map(|c| {
                    let field = match &c.target {
                        Target::Field(f) => client_path(f),
                        Target::Attribute { name, .. } => format!("attributes.{name}"),
                    };
                    let cell = cells.get(c.index)?;
                    Some((c.header.clone(), field, row::translated(c, cell)))
                })
                .collect();
            let mut errors = read.errors;
            if errors.is_empty() {
                if let Err(err) = read.new {
                    errors.push(err);
                }
            }
            PreviewRow {
                row,
                values,
                errors,
            }
        })
        .collect())
}

/// An import's requester's recent imports (admins: everyone's), newest first.
pub async fn list(core: &Core, actor: &Actor, first: u64) -> AppResult<Vec<lead_import::Model>> {
    actor.may(Scope::LeadsWrite)?;
    let mut query = lead_import::Entity::find();
    if !upload::is_theirs(actor, None) {
        query = query.filter(lead_import::Column::RequestedBy.eq(actor.user_id));
    }
    Ok(query
        .order_by_desc(lead_import::Column::Id)
        .limit(first.min(100))
        .all(core.reads())
        .await?)
}
