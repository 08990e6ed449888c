//! What admins see of the outbox: every message by status, newest first,
//! and a retry for one that was dead-lettered (after fixing the address,
//! say) or skipped.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::email_outbox::{self, EmailStatus},
    error::{AppError, AppResult},
    service::{
        audit,
        page::{Page, PageRequest},
    },
};

pub async fn list(
    core: &Core,
    actor: &Actor,
    status: Option<EmailStatus>,
    page: PageRequest,
) -> AppResult<Page<email_outbox::Model>> {
    actor.person()?.require_admin()?;
    let mut query = email_outbox::Entity::find();
    if let Some(status) = status {
        query = query.filter(email_outbox::Column::Status.eq(status));
    }
    // UUID v7 ids grow with time: id order is creation order.
    if let Some(after) = page.after {
        query = query.filter(email_outbox::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(email_outbox::Column::Id)
        .limit(page.limit() + 1)
        .all(core.reads())
        .await?;
    Ok(page.page(rows))
}

/// Sends a dead or skipped message again, as new: its attempts start over.
pub async fn retry(core: &Core, actor: &Actor, id: Uuid) -> AppResult<email_outbox::Model> {
    actor.person()?.require_admin()?;
    let uow = core.begin().await?;
    let row = email_outbox::Entity::find_by_id(id)
        .one(uow.conn())
        .await?
        .ok_or(AppError::NotFound("email"))?;
    if !matches!(row.status, EmailStatus::Dead | EmailStatus::Skipped) {
        return Err(AppError::Conflict {
            field: Some("id".into()),
            message: "only a dead or skipped message can be retried".into(),
            existing_id: None,
        });
    }
    let mut again: email_outbox::ActiveModel = row.into();
    again.status = Set(EmailStatus::Pending);
    again.attempts = Set(0);
    again.next_attempt_at = Set(Utc::now());
    again.locked_until = Set(None);
    let again = again.update(uow.conn()).await?;
    audit::acted(
        uow.conn(),
        actor,
        "email.retried",
        ("email", id),
        json!({ "kind": again.kind }),
    )
    .await?;
    uow.commit().await?;
    Ok(again)
}
