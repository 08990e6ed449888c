//! Who owns a lead: assigning, transferring and completing. The database
//! holds the rule of one ACTIVE assignment per lead (a partial unique
//! index), so two managers assigning at once end with one winner and a
//! CONFLICT, whatever the timing.
use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::{
        assignment::{self, AssignmentStatus, Column},
        lead_activity::ActivityKind,
        user::{self, Role},
    },
    error::{is_unique_violation, AppError, AppResult},
    service::{
        activities,
        audit::{self, AuditEntry},
        lead_input, leads,
        notifications::{self, lead_label, Kind, Notice},
    },
};

fn already_assigned() -> AppError {
    AppError::Conflict {
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
        if is_unique_violation(&err) {
            already_assigned()
        } else {
            err.into()
        }
    })
}

pub async fn active_for<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
) -> AppResult<Option<assignment::Model>> {
    Ok(assignment::Entity::find()
        .filter(Column::LeadId.eq(lead_id))
        .filter(Column::Status.eq(AssignmentStatus::Active))
        .one(conn)
        .await?)
}

/// Leads can be owned only by active reps and managers.
async fn assignable<C: ConnectionTrait>(
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

fn optional_note(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    lead_input::optional_text(field, raw, 2000)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id, assignee = %user_id))]
pub async fn assign(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: Uuid,
    user_id: Uuid,
    note: Option<&str>,
) -> AppResult<assignment::Model> {
    let note = optional_note("note", note)?;
    let txn = db.begin().await?;
    let lead = leads::get(&txn, actor, lead_id).await?;
    actor.require_manager_or_admin()?;
    let assignee = assignable(&txn, user_id, "userId").await?;
    if active_for(&txn, lead_id).await?.is_some() {
        return Err(already_assigned());
    }
    let assignment = insert_active(&txn, lead_id, user_id, Some(actor.user_id), note).await?;
    activities::record(
        &txn,
        lead_id,
        Some(actor.user_id),
        ActivityKind::Assignment,
        None,
        format!("Assigned to {}", assignee.full_name),
        assignment.assigned_at,
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("lead.assigned")
            .actor(actor.user_id)
            .entity("lead", lead_id)
            .details(json!({ "assignment": assignment.id, "assignee": user_id })),
    )
    .await?;
    let note = assignment
        .note
        .as_deref()
        .map(|n| format!(" Note: {n}"))
        .unwrap_or_default();
    notify(
        &txn,
        actor,
        &[user_id],
        Kind::LeadAssigned,
        "A lead was assigned to you",
        format!(
            "{} was assigned to you by {}.{note}",
            lead_label(&lead),
            actor.email
        ),
        lead_id,
    )
    .await?;
    txn.commit().await?;
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
            message: "the assignment changed meanwhile: reload and try again".into(),
            existing_id: None,
        });
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id, to = %to_user_id))]
pub async fn transfer(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: Uuid,
    to_user_id: Uuid,
    reason: Option<&str>,
) -> AppResult<assignment::Model> {
    let reason = optional_note("reason", reason)?;
    let txn = db.begin().await?;
    let lead = leads::get_for_update(&txn, actor, lead_id).await?;
    let current = active_for(&txn, lead_id)
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: "this lead has no active assignment: assign it instead".into(),
            existing_id: None,
        })?;
    if !actor.is_manager_or_admin() && current.assignee_id != actor.user_id {
        return Err(AppError::Forbidden(
            "only a manager, an admin or the current assignee may transfer a lead".into(),
        ));
    }
    if current.assignee_id == to_user_id {
        return Err(AppError::bad_input(
            "toUserId",
            "the lead is already assigned to this user",
        ));
    }
    let target = assignable(&txn, to_user_id, "toUserId").await?;
    close_active(
        &txn,
        &current,
        AssignmentStatus::Transferred,
        reason.clone(),
    )
    .await?;
    let assignment = insert_active(
        &txn,
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
        &txn,
        lead_id,
        Some(actor.user_id),
        ActivityKind::Transfer,
        None,
        summary,
        assignment.assigned_at,
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("lead.transferred")
            .actor(actor.user_id)
            .entity("lead", lead_id)
            .details(json!({ "from": current.assignee_id, "to": to_user_id, "reason": reason })),
    )
    .await?;
    let why = reason
        .as_deref()
        .map(|r| format!(" Reason: {r}"))
        .unwrap_or_default();
    notify(
        &txn,
        actor,
        &[to_user_id],
        Kind::LeadTransferred,
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
        &txn,
        actor,
        &[current.assignee_id],
        Kind::LeadTransferred,
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
    txn.commit().await?;
    Ok(assignment)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id))]
pub async fn complete(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: Uuid,
    outcome: Option<&str>,
) -> AppResult<assignment::Model> {
    let outcome = optional_note("outcome", outcome)?;
    let txn = db.begin().await?;
    let lead = leads::get_for_update(&txn, actor, lead_id).await?;
    let current = active_for(&txn, lead_id)
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: "this lead has no active assignment to complete".into(),
            existing_id: None,
        })?;
    if !actor.is_manager_or_admin() && current.assignee_id != actor.user_id {
        return Err(AppError::Forbidden(
            "only the assignee, a manager or an admin may complete an assignment".into(),
        ));
    }
    close_active(&txn, &current, AssignmentStatus::Completed, outcome.clone()).await?;
    let summary = match &outcome {
        Some(outcome) => format!("Assignment completed: {outcome}"),
        None => "Assignment completed".to_string(),
    };
    activities::record(
        &txn,
        lead_id,
        Some(actor.user_id),
        ActivityKind::Completion,
        None,
        summary,
        Utc::now(),
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("assignment.completed")
            .actor(actor.user_id)
            .entity("lead", lead_id)
            .details(json!({ "assignment": current.id, "outcome": outcome })),
    )
    .await?;
    let result = outcome
        .as_deref()
        .map(|o| format!(" Outcome: {o}"))
        .unwrap_or_default();
    notify(
        &txn,
        actor,
        &current.assigned_by.into_iter().collect::<Vec<_>>(),
        Kind::AssignmentCompleted,
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
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("assignment"))?;
    txn.commit().await?;
    Ok(done)
}

/// Notifies each of `users` but the actor.
async fn notify<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    users: &[Uuid],
    kind: Kind,
    title: &str,
    body: String,
    lead_id: Uuid,
) -> AppResult<()> {
    let notices = users
        .iter()
        .filter(|u| **u != actor.user_id)
        .map(|user_id| Notice {
            user_id: *user_id,
            kind,
            title: title.into(),
            body: body.clone(),
            lead_id: Some(lead_id),
        })
        .collect();
    notifications::push(conn, notices).await
}

/// A lead's assignment history, newest first.
pub async fn history(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: Uuid,
) -> AppResult<Vec<assignment::Model>> {
    leads::get(db, actor, lead_id).await?;
    Ok(assignment::Entity::find()
        .filter(Column::LeadId.eq(lead_id))
        .order_by_desc(Column::AssignedAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await?)
}
