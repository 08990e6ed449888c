//! How much of the database uploads may hold: each user keeps at most
//! `IMPORT_QUOTA_BYTES` of staged files at once, and a staged file's rows
//! are removed `IMPORT_UPLOAD_TTL_HOURS` after it arrived (never while an
//! import is reading it). Without this one abandoned 58 MB upload grew the
//! database by 96 MB for good.
use sea_orm::{
    sea_query::{Expr, Query},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::{
        lead_import::{self, ImportStatus},
        lead_import_row, lead_import_upload,
    },
    error::{AppError, AppResult},
};

/// Uploads purged per look, at most (the next look takes the rest).
const PURGE_BATCH: u64 = 100;

/// Refuses an upload of `incoming` bytes that would take `actor` past the
/// quota, with how long until their oldest staged upload expires.
pub async fn check_quota(core: &Core, actor: &Actor, incoming: u64) -> AppResult<()> {
    let limits = core.uploads();
    let held: Vec<(i64, chrono::DateTime<chrono::Utc>)> = lead_import_upload::Entity::find()
        .select_only()
        .column(lead_import_upload::Column::SizeBytes)
        .column(lead_import_upload::Column::CreatedAt)
        .filter(lead_import_upload::Column::UploadedBy.eq(actor.user_id))
        .filter(lead_import_upload::Column::PurgedAt.is_null())
        .order_by_asc(lead_import_upload::Column::CreatedAt)
        .into_tuple()
        .all(core.reads())
        .await?;
    let total: u64 = held.iter().map(|(size, _)| (*size).max(0) as u64).sum();
    if total.saturating_add(incoming) <= limits.quota_bytes {
        return Ok(());
    }
    let oldest_expires = held
        .first()
        .map(|(_, at)| *at + limits.kept_for)
        .unwrap_or_else(|| core.clock().now());
    let wait = (oldest_expires - core.clock().now()).num_seconds().max(1) as u64;
    Err(AppError::TooManyRequests {
        reason: "your staged uploads would pass your upload quota (IMPORT_QUOTA_BYTES): \
                 import what you uploaded, or wait for older uploads to expire",
        retry_after_secs: wait,
    })
}

/// Refuses an upload an import cannot read: still arriving, or expired.
pub fn importable(upload: &lead_import_upload::Model) -> AppResult<()> {
    let why = if upload.purged_at.is_some() {
        "this upload has expired (uploads are kept IMPORT_UPLOAD_TTL_HOURS): upload the file again"
    } else if upload.total_rows < 0 {
        "this file is still being uploaded"
    } else {
        return Ok(());
    };
    Err(AppError::Conflict {
        field: Some("upload_id".into()),
        message: why.into(),
        existing_id: None,
    })
}

/// Removes the rows of uploads older than the time they are kept and not
/// being read by an import; returns how many uploads it purged.
pub async fn purge_expired(core: &Core) -> AppResult<usize> {
    let before = core.clock().now() - core.uploads().kept_for;
    let reading = Query::select()
        .column(lead_import::Column::UploadId)
        .from(lead_import::Entity)
        .and_where(lead_import::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Running]))
        .take();
    let expired: Vec<Uuid> = lead_import_upload::Entity::find()
        .select_only()
        .column(lead_import_upload::Column::Id)
        .filter(lead_import_upload::Column::PurgedAt.is_null())
        .filter(lead_import_upload::Column::CreatedAt.lt(before))
        .filter(lead_import_upload::Column::Id.not_in_subquery(reading))
        .limit(PURGE_BATCH)
        .into_tuple()
        .all(core.db())
        .await?;
    for &id in &expired {
        let uow = core.begin().await?;
        lead_import_row::Entity::delete_many()
            .filter(lead_import_row::Column::UploadId.eq(id))
            .exec(uow.conn())
            .await?;
        lead_import_upload::Entity::update_many()
            .col_expr(
                lead_import_upload::Column::PurgedAt,
                Expr::value(core.clock().now()),
            )
            .filter(lead_import_upload::Column::Id.eq(id))
            .exec(uow.conn())
            .await?;
        uow.commit().await?;
    }
    if !expired.is_empty() {
        tracing::info!(uploads = expired.len(), "expired uploads purged");
    }
    Ok(expired.len())
}
