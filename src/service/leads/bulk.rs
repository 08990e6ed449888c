//! Changing many leads in one call: the id list's rules (shared with bulk
//! assignment), and deleting and restoring. Each call is all or nothing in
//! one transaction, locks its leads in id order (single-lead changes lock
//! one lead, so they cannot deadlock with it), and audits every lead under
//! one operation id.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::visibility::find_visible;
use crate::{
    auth::Actor,
    core::Core,
    entity::lead::{self, Column},
    error::{AppError, AppResult},
    service::audit::{self, AuditEntry},
};

/// The most leads one synchronous call changes.
pub const MAX_LEADS: usize = 1_000;

/// 1 to [`MAX_LEADS`] ids, none twice; a repeat is named by its position.
pub fn check_ids(ids: &[Uuid]) -> AppResult<()> {
    if ids.is_empty() || ids.len() > MAX_LEADS {
        return Err(AppError::bad_input(
            "lead_ids",
            format!("give from 1 to {MAX_LEADS} lead ids"),
        ));
    }
    let mut seen = HashSet::with_capacity(ids.len());
    match ids.iter().position(|id| !seen.insert(*id)) {
        Some(i) => Err(AppError::bad_input(
            format!("lead_ids[{i}]"),
            "this lead id appears twice",
        )),
        None => Ok(()),
    }
}

/// The position in `ids` of the first id missing from `found`, as the
/// error a bulk call fails with.
pub fn missing(ids: &[Uuid], found: &[lead::Model], what: &str) -> AppError {
    let found: HashSet<Uuid> = found.iter().map(|l| l.id).collect();
    let i = ids
        .iter()
        .position(|id| !found.contains(id))
        .unwrap_or_default();
    AppError::bad_input(format!("lead_ids[{i}]"), what)
}

/// What a bulk change did.
#[derive(Debug)]
pub struct BulkChanged {
    pub operation_id: Uuid,
    pub changed: u64,
}

/// Soft-deletes every lead of `lead_ids` (managers and admins, as for one).
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, leads = lead_ids.len()))]
pub async fn delete_many(core: &Core, actor: &Actor, lead_ids: &[Uuid]) -> AppResult<BulkChanged> {
    actor.person()?.require_manager_or_admin()?;
    check_ids(lead_ids)?;
    let uow = core.begin().await?;
    let leads = uow
        .dialect()
        .for_update(
            find_visible(actor)
                .filter(Column::Id.is_in(lead_ids.iter().copied()))
                .order_by_asc(Column::Id),
        )
        .all(uow.conn())
        .await?;
    if leads.len() != lead_ids.len() {
        return Err(missing(
            lead_ids,
            &leads,
            "no such lead (or already deleted)",
        ));
    }
    let done = set_deleted(&uow, actor, lead_ids, true, "lead.deleted").await?;
    uow.commit().await?;
    Ok(done)
}

/// Brings back every deleted lead of `lead_ids` (managers and admins).
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, leads = lead_ids.len()))]
pub async fn restore_many(core: &Core, actor: &Actor, lead_ids: &[Uuid]) -> AppResult<BulkChanged> {
    actor.person()?.require_manager_or_admin()?;
    check_ids(lead_ids)?;
    let uow = core.begin().await?;
    let leads = uow
        .dialect()
        .for_update(
            lead::Entity::find()
                .filter(Column::Id.is_in(lead_ids.iter().copied()))
                .filter(Column::DeletedAt.is_not_null())
                .order_by_asc(Column::Id),
        )
        .all(uow.conn())
        .await?;
    if leads.len() != lead_ids.len() {
        return Err(missing(lead_ids, &leads, "no deleted lead has this id"));
    }
    let done = set_deleted(&uow, actor, lead_ids, false, "lead.restored").await?;
    uow.commit().await?;
    Ok(done)
}

async fn set_deleted(
    uow: &crate::db::UnitOfWork,
    actor: &Actor,
    lead_ids: &[Uuid],
    deleted: bool,
    action: &'static str,
) -> AppResult<BulkChanged> {
    let operation_id = Uuid::now_v7();
    let now = Utc::now();
    let mut changed = 0;
    for ids in lead_ids.chunks(500) {
        changed += lead::Entity::update_many()
            .col_expr(Column::DeletedAt, Expr::value(deleted.then_some(now)))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.is_in(ids.iter().copied()))
            .exec(uow.conn())
            .await?
            .rows_affected;
    }
    audit::record_many(
        uow.conn(),
        lead_ids
            .iter()
            .map(|id| {
                AuditEntry::new(action)
                    .by(actor)
                    .entity("lead", *id)
                    .details(json!({ "operation": operation_id }))
            })
            .collect(),
    )
    .await?;
    Ok(BulkChanged {
        operation_id,
        changed,
    })
}
