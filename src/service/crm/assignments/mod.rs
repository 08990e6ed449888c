//! Who owns a lead: assigning, transferring and completing. The database
//! holds the rule of one ACTIVE assignment per lead (a partial unique
//! index), so two managers assigning at once end with one winner and a
//! CONFLICT, whatever the timing.
use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::activities;
use crate::{
    auth::Actor,
    core::Core,
    db::{dialect::unique_violation, UnitOfWork},
    entity::{
        assignment::{self, AssignmentStatus, Column},
        lead,
        lead_activity::ActivityKind,
        notification::NotificationKind,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    service::{
        audit,
        leads::visibility::{get, get_for_update},
        notifications::{self, lead_label, Notice},
    },
    values::LongText,
};

pub mod bulk;
mod read;

pub use bulk::{bulk_assign, BulkAssigned};
pub use read::{active_for, assignees_of, for_leads, history};

fn already_assigned() -> AppError {
    AppError::Conflict {
        field: None,
        message: "this lead already has an active assignment: transfer it instead".into(),
        existing_id: None,
    }
}

/// Inserts the lead's ACTIVE assignment; a concurrent one makes this CONFLICT.
pub async fn insert_active<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
    assignee_id: Uuid,
    assigned_by: Option<Uuid>,
    note: Option<String>,
) -> AppResult<assignment::Model> {
    assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        lead_id: Set(lead_id),
        assignee_id: Set(assignee_id),
        assigned_by: Set(assigned_by),
        status: Set(AssignmentStatus::Active),
        note: Set(note),
        assigned_at: Set(Utc::now()),
        completed_at: Set(None),
        outcome: Set(None),
    }
    .insert(conn)
    .await
    .map_err(|err| {
        if unique_violation(&err) == Some("assignments.lead_id") {
            already_assigned()
        } else {
            err.into()
        }
    })
}

/// Leads can be owned only by active reps and managers.
pub async fn assignable<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    field: &str,
) -> AppResult<user::Model> {
    match user::Entity::find_by_id(user_id).one(conn).await? {
        Some(u) if u.is_active && matches!(u.role, Role::SalesRep | Role::Manager) => Ok(u),
        Some(_) => Err(AppError::bad_input(
            field,
            "leads can be assigned only to active sales reps and managers",
        )),
        None => Err(AppError::bad_input(field, "no such user")),
    }
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id, assignee = %user_id))]
pub async fn assign(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
    user_id: Uuid,
    note: Option<LongText>,
) -> AppResult<assignment::Model> {
    actor.person()?;
    let note = note.map(LongText::into_inner);
    let uow = core.begin().await?;
    let txn = uow.conn();
    let lead = get(txn, actor, lead_id).await?;
    actor.require_manager_or_admin()?;
    let assignee = assignable(txn, user_id, "user_id").await?;
    if active_for(txn, lead_id).await?.is_some() {
        return Err(already_assigned());
    }
    let assignment = insert_active(txn, lead_id, user_id, Some(actor.user_id), note).await?;
    activities::record(
        txn,
        lead_id,
        Some(actor.user_id),
        ActivityKind::Assignment,
        None,
        format!("Assigned to {}", assignee.full_name),
        assignment.assigned_at,
    )
    .await?;
    audit::acted(
        txn,
        actor,
        "lead.assigned",
        ("lead", lead_id),
        json!({ "assignment": assignment.id, "assignee": user_id }),
    )
    .await?;
    let note = assignment
        .note
        .as_deref()
        .map(|n| format!(" Note: {n}"))
        .unwrap_or_default();
    notify(
        &uow,
        actor,
        &[user_id],
        NotificationKind::LeadAssigned,
        "A lead was assigned to you",
        format!(
            "{} was assigned to you by {}.{note}",
            lead_label(&lead),
            actor.email
        ),
        lead_id,
    )
    .await?;
    uow.commit().await?;
    Ok(assignment)
}

/// Ends the ACTIVE assignment with `status`; CONFLICT if another request ended it first.
async fn close_active<C: ConnectionTrait>(
    conn: &C,
    current: &assignment::Model,
    status: AssignmentStatus,
    outcome: Option<String>,
) -> AppResult<()> {
    let closed = assignment::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::CompletedAt, Expr::value(Utc::now()))
        .col_expr(Column::Outcome, Expr::value(outcome))
        .filter(Column::Id.eq(current.id))
        .filter(Column::Status.eq(AssignmentStatus::Active))
        .exec(conn)
        .await?;
    if closed.rows_affected == 0 {
        return Err(AppError::Conflict {
            field: None,
            message: "the assignment changed meanwhile: reload and try again".into(),
            existing_id: None,
        });
    }
    Ok(())
}

/// The lead (locked) and its ACTIVE assignment, for a transfer or a
/// completion: only its assignee, a manager or an admin may `what` it.
async fn owned_for_change(
    uow: &UnitOfWork,
    actor: &Actor,
    lead_id: Uuid,
    what: &str,
) -> AppResult<(lead::Model, assignment::Model)> {
    let lead = get_for_update(uow.conn(), uow.dialect(), actor, lead_id).await?;
    let current = active_for(uow.conn(), lead_id)
        .await?
        .ok_or_else(|| AppError::Conflict {
            field: None,
            message: format!("this lead has no active assignment to {what}"),
            existing_id: None,
        })?;
    if !actor.is_manager_or_admin() && current.assignee_id != actor.user_id {
        return Err(AppError::Forbidden(format!(
            "only the current assignee, a manager or an admin may {what} this lead's assignment"
        )));
    }
    Ok((lead, current))
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id, to = %to_user_id))]
pub async fn transfer(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
    to_user_id: Uuid,
    reason: Option<LongText>,
) -> AppResult<assignment::Model> {
    actor.person()?;
    let reason = reason.map(LongText::into_inner);
    let uow = core.begin().await?;
    let txn = uow.conn();
    let (lead, current) = owned_for_change(&uow, actor, lead_id, "transfer").await?;
    if current.assignee_id == to_user_id {
        return Err(AppError::bad_input(
            "to_user_id",
            "the lead is already assigned to this user",
        ));
    }
    let target = assignable(txn, to_user_id, "to_user_id").await?;
    close_active(txn, &current, AssignmentStatus::Transferred, reason.clone()).await?;
    let assignment = insert_active(
        txn,
        lead_id,
        to_user_id,
        Some(actor.user_id),
        reason.clone(),
    )
    .await?;
    let summary = match &reason {
        Some(reason) => format!("Transferred to {}: {reason}", target.full_name),
        None => format!("Transferred to {}", target.full_name),
    };
    activities::record(
        txn,
        lead_id,
        Some(actor.user_id),
        ActivityKind::Transfer,
        None,
        summary,
        assignment.assigned_at,
    )
    .await?;
    audit::acted(
        txn,
        actor,
        "lead.transferred",
        ("lead", lead_id),
        json!({ "from": current.assignee_id, "to": to_user_id, "reason": reason }),
    )
    .await?;
    let why = reason
        .as_deref()
        .map(|r| format!(" Reason: {r}"))
        .unwrap_or_default();
    notify(
        &uow,
        actor,
        &[to_user_id],
        NotificationKind::LeadTransferred,
        "A lead was transferred to you",
        format!(
            "{} was transferred to you by {}.{why}",
            lead_label(&lead),
            actor.email
        ),
        lead_id,
    )
    .await?;
    notify(
        &uow,
        actor,
        &[current.assignee_id],
        NotificationKind::LeadTransferred,
        "A lead of yours was transferred",
        format!(
            "{} was transferred to {} by {}.{why}",
            lead_label(&lead),
            target.full_name,
            actor.email
        ),
        lead_id,
    )
    .await?;
    uow.commit().await?;
    Ok(assignment)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id))]
pub async fn complete(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
    outcome: Option<LongText>,
) -> AppResult<assignment::Model> {
    actor.person()?;
    let outcome = outcome.map(LongText::into_inner);
    let uow = core.begin().await?;
    let txn = uow.conn();
    let (lead, current) = owned_for_change(&uow, actor, lead_id, "complete").await?;
    close_active(txn, &current, AssignmentStatus::Completed, outcome.clone()).await?;
    let summary = match &outcome {
        Some(outcome) => format!("Assignment completed: {outcome}"),
        None => "Assignment completed".to_string(),
    };
    activities::record(
        txn,
        lead_id,
        Some(actor.user_id),
        ActivityKind::Completion,
        None,
        summary,
        Utc::now(),
    )
    .await?;
    audit::acted(
        txn,
        actor,
        "assignment.completed",
        ("lead", lead_id),
        json!({ "assignment": current.id, "outcome": outcome }),
    )
    .await?;
    let result = outcome
        .as_deref()
        .map(|o| format!(" Outcome: {o}"))
        .unwrap_or_default();
    notify(
        &uow,
        actor,
        &current.assigned_by.into_iter().collect::<Vec<_>>(),
        NotificationKind::AssignmentCompleted,
        "An assignment you made was completed",
        format!(
            "{}: completed by {}.{result}",
            lead_label(&lead),
            actor.email
        ),
        lead_id,
    )
    .await?;
    let done = assignment::Entity::find_by_id(current.id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("assignment"))?;
    uow.commit().await?;
    Ok(done)
}

/// Notifies each of `users` but the actor.
async fn notify(
    uow: &UnitOfWork,
    actor: &Actor,
    users: &[Uuid],
    kind: NotificationKind,
    title: &str,
    body: String,
    lead_id: impl Into<Option<Uuid>>,
) -> AppResult<()> {
    let lead_id = lead_id.into();
    let notices = users
        .iter()
        .filter(|u| **u != actor.user_id)
        .map(|user_id| Notice {
            user_id: *user_id,
            kind,
            title: title.into(),
            body: body.clone(),
            lead_id,
        })
        .collect();
    notifications::push(uow, notices).await
}
