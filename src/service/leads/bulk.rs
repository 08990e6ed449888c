//! Changing many leads in one call: the id list's rules (shared with bulk
//! assignment), and deleting and restoring. Each call is all or nothing in
//! one transaction, locks its leads in id order (single-lead changes lock
//! one lead, so they cannot deadlock with it), and audits every lead under
//! one operation id.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Select};
use serde_json::json;
use uuid::Uuid;

use super::{status, visibility::find_visible};
use crate::{
    auth::Actor,
    core::Core,
    db::UnitOfWork,
    entity::{
        lead::{self, Column, LeadStatus},
        lead_activity::ActivityKind,
    },
    error::{AppError, AppResult},
    service::{
        audit::{self, AuditEntry},
        crm::activities,
        scores::rescoring,
    },
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

/// Locks the leads `select` finds among `ids`, in id order (single-lead
/// changes lock one lead, so they cannot deadlock with a bulk call); fails
/// naming the position of the first id it did not find, as `what`.
pub async fn lock_all(
    uow: &UnitOfWork,
    select: Select<lead::Entity>,
    ids: &[Uuid],
    what: &str,
) -> AppResult<Vec<lead::Model>> {
    let leads = uow
        .dialect()
        .for_update(
            select
                .filter(Column::Id.is_in(ids.iter().copied()))
                .order_by_asc(Column::Id),
        )
        .all(uow.conn())
        .await?;
    if leads.len() == ids.len() {
        return Ok(leads);
    }
    let found: HashSet<Uuid> = leads.iter().map(|l| l.id).collect();
    let i = ids
        .iter()
        .position(|id| !found.contains(id))
        .unwrap_or_default();
    Err(AppError::bad_input(format!("lead_ids[{i}]"), what))
}

/// What a bulk change did.
#[derive(Debug)]
pub struct BulkChanged {
    pub operation_id: Uuid,
    pub changed: u64,
}

/// Moves every lead of `lead_ids` to `to`, as one status change each would:
/// status history, an activity, an audit entry (sharing one operation id)
/// and a new score; leads already there are left alone. A sales rep may
/// change their own leads, as with one.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, leads = lead_ids.len(), to = ?to))]
pub async fn set_status_many(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
    to: LeadStatus,
) -> AppResult<BulkChanged> {
    actor.person()?;
    check_ids(lead_ids)?;
    let uow = core.begin().await?;
    let leads = lock_all(
        &uow,
        find_visible(actor),
        lead_ids,
        "no such lead, or not one you may see",
    )
    .await?;
    let operation_id = Uuid::now_v7();
    let moved = set_status_locked(core, &uow, actor, &leads, to, operation_id).await?;
    uow.commit().await?;
    if moved.closes {
        // The outcome counts the rules explain themselves with moved.
        core.basis().clear();
    }
    Ok(BulkChanged {
        operation_id,
        changed: moved.changed,
    })
}

/// What a status change of many leads did.
pub struct Moved {
    pub changed: u64,
    /// A lead was won or lost, or reopened: the outcome counts moved.
    pub closes: bool,
}

/// Moves `leads` (locked by the caller) to `to`, as one status change each
/// would, audited under `operation_id`; leads already there are left alone.
pub async fn set_status_locked(
    core: &Core,
    uow: &UnitOfWork,
    actor: &Actor,
    leads: &[lead::Model],
    to: LeadStatus,
    operation_id: Uuid,
) -> AppResult<Moved> {
    let moving: Vec<(Uuid, LeadStatus)> = leads
        .iter()
        .filter(|l| l.status != to)
        .map(|l| (l.id, l.status))
        .collect();
    let now = Utc::now();
    let ids: Vec<Uuid> = moving.iter().map(|(id, _)| *id).collect();
    for chunk in ids.chunks(500) {
        lead::Entity::update_many()
            .col_expr(Column::Status, Expr::value(to))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.is_in(chunk.iter().copied()))
            .exec(uow.conn())
            .await?;
    }
    let by = Some(actor.user_id).filter(|id| !id.is_nil());
    status::record_many(uow.conn(), &moving, to, now, by).await?;
    let name = |s: LeadStatus| json!(s).as_str().unwrap_or_default().to_string();
    activities::record_many(
        uow.conn(),
        moving
            .iter()
            .map(|(id, from)| {
                (
                    *id,
                    format!("Status changed from {} to {}", name(*from), name(to)),
                )
            })
            .collect(),
        by,
        ActivityKind::StatusChange,
        now,
    )
    .await?;
    audit::record_many(
        uow.conn(),
        moving
            .iter()
            .map(|(id, from)| {
                let mut diff = audit::changes(&[("status", json!(from), json!(to))]);
                diff["operation"] = json!(operation_id);
                AuditEntry::new("lead.updated")
                    .by(actor)
                    .entity("lead", *id)
                    .details(diff)
            })
            .collect(),
    )
    .await?;
    rescoring::rescore_ids(core, uow, &ids).await?;
    let closes = |s: LeadStatus| matches!(s, LeadStatus::Won | LeadStatus::Lost);
    Ok(Moved {
        changed: ids.len() as u64,
        closes: !ids.is_empty() && (closes(to) || moving.iter().any(|(_, from)| closes(*from))),
    })
}

/// Soft-deletes every lead of `lead_ids` (managers and admins, as for one).
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, leads = lead_ids.len()))]
pub async fn delete_many(core: &Core, actor: &Actor, lead_ids: &[Uuid]) -> AppResult<BulkChanged> {
    set_deleted(core, actor, lead_ids, true).await
}

/// Brings back every deleted lead of `lead_ids` (managers and admins).
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, leads = lead_ids.len()))]
pub async fn restore_many(core: &Core, actor: &Actor, lead_ids: &[Uuid]) -> AppResult<BulkChanged> {
    set_deleted(core, actor, lead_ids, false).await
}

async fn set_deleted(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
    deleted: bool,
) -> AppResult<BulkChanged> {
    actor.person()?.require_manager_or_admin()?;
    check_ids(lead_ids)?;
    let uow = core.begin().await?;
    let (select, what) = if deleted {
        (find_visible(actor), "no such lead (or already deleted)")
    } else {
        (
            lead::Entity::find().filter(Column::DeletedAt.is_not_null()),
            "no deleted lead has this id",
        )
    };
    lock_all(&uow, select, lead_ids, what).await?;
    let operation_id = Uuid::now_v7();
    let changed = set_deleted_locked(&uow, actor, lead_ids, deleted, operation_id).await?;
    uow.commit().await?;
    Ok(BulkChanged {
        operation_id,
        changed,
    })
}

/// Soft-deletes (or restores) `lead_ids`, locked by the caller, audited
/// under `operation_id`.
pub async fn set_deleted_locked(
    uow: &UnitOfWork,
    actor: &Actor,
    lead_ids: &[Uuid],
    deleted: bool,
    operation_id: Uuid,
) -> AppResult<u64> {
    let action = if deleted {
        "lead.deleted"
    } else {
        "lead.restored"
    };
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
    Ok(changed)
}
