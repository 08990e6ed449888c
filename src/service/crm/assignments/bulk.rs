//! Assigning many leads to one user at once, as a manager reorganising
//! territories does: all or nothing, the leads locked in id order (so no
//! deadlock with single-lead changes, which lock one lead), audited per
//! lead under one operation id, and one notification per recipient instead
//! of one per lead.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{assignable, notify};
use crate::{
    auth::Actor,
    core::Core,
    db::dialect::unique_violation,
    db::UnitOfWork,
    entity::{
        assignment::{self, AssignmentStatus, Column},
        lead,
        lead_activity::ActivityKind,
        notification::NotificationKind,
        user,
    },
    error::{AppError, AppResult},
    service::{
        audit::{self, AuditEntry},
        crm::activities,
        leads::{
            bulk::{check_ids, lock_all},
            visibility::find_visible,
        },
    },
    values::LongText,
};

/// Rows per insert statement, well inside SQLite's bind limit.
const CHUNK: usize = 500;

/// What a bulk assignment did.
#[derive(Debug)]
pub struct BulkAssigned {
    /// Shared by the audit entries of every lead it changed.
    pub operation_id: Uuid,
    /// Leads that had no assignee.
    pub assigned: u64,
    /// Leads taken from another assignee.
    pub transferred: u64,
    /// Leads the user already had.
    pub unchanged: u64,
}

/// Gives every lead of `lead_ids` to `user_id`: unassigned leads are
/// assigned, others transferred, the user's own left as they are. A
/// manager or admin may do this to any lead; a sales rep only to leads
/// they may see, which are their own (as with one transfer). One id that
/// is not a lead the actor may see (or appears twice) fails the whole
/// call, naming its position: `[i]`.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, leads = lead_ids.len(), to = %user_id))]
pub async fn bulk_assign(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
    user_id: Uuid,
    note: Option<LongText>,
) -> AppResult<BulkAssigned> {
    actor.person()?;
    check_ids(lead_ids)?;
    let note = note.map(LongText::into_inner);
    let uow = core.begin().await?;
    let target = assignable(uow.conn(), user_id, "user_id").await?;
    let leads = lock_all(
        &uow,
        find_visible(actor),
        lead_ids,
        "no such lead, or not one you may see",
    )
    .await?;
    let operation_id = Uuid::now_v7();
    let given = assign_locked(&uow, actor, &leads, &target, note.clone(), operation_id).await?;
    let transferred = given.iter().filter(|(_, from)| from.is_some()).count() as u64;
    let assigned = given.len() as u64 - transferred;
    if !given.is_empty() {
        let received = Tally::of(given.iter().map(|(lead, _)| *lead));
        let mut lost: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (lead, from) in &given {
            if let Some(from) = from {
                lost.entry(*from).or_default().push(*lead);
            }
        }
        let lost = lost
            .into_iter()
            .map(|(from, leads)| (from, Tally::of(leads)))
            .collect();
        notify_summaries(&uow, actor, &target, received, lost, note.as_deref()).await?;
    }
    uow.commit().await?;
    Ok(BulkAssigned {
        operation_id,
        assigned,
        transferred,
        unchanged: leads.len() as u64 - given.len() as u64,
    })
}

/// Gives `leads` (locked by the caller, in id order) to `target`, audited
/// under `operation_id`; returns each lead that changed hands with its
/// previous assignee. Notifies no one: callers tell each person once.
pub async fn assign_locked(
    uow: &UnitOfWork,
    actor: &Actor,
    leads: &[lead::Model],
    target: &user::Model,
    note: Option<String>,
    operation_id: Uuid,
) -> AppResult<Vec<(Uuid, Option<Uuid>)>> {
    let txn = uow.conn();
    let user_id = target.id;
    let mut current: HashMap<Uuid, assignment::Model> = HashMap::new();
    let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
    for ids in ids.chunks(CHUNK) {
        for active in assignment::Entity::find()
            .filter(Column::LeadId.is_in(ids.iter().copied()))
            .filter(Column::Status.eq(AssignmentStatus::Active))
            .all(txn)
            .await?
        {
            current.insert(active.lead_id, active);
        }
    }
    if !actor.is_manager_or_admin()
        && leads.iter().any(|l| {
            current
                .get(&l.id)
                .is_none_or(|a| a.assignee_id != actor.user_id)
        })
    {
        return Err(AppError::Forbidden(
            "a sales rep may pass on only their own leads".into(),
        ));
    }

    let now = Utc::now();
    let mut closing = Vec::new();
    let mut given: Vec<(Uuid, Option<Uuid>)> = Vec::new();
    for lead in leads {
        match current.get(&lead.id) {
            Some(a) if a.assignee_id == user_id => {}
            Some(a) => {
                closing.push(a.id);
                given.push((lead.id, Some(a.assignee_id)));
            }
            None => given.push((lead.id, None)),
        }
    }
    for ids in closing.chunks(CHUNK) {
        let closed = assignment::Entity::update_many()
            .col_expr(Column::Status, Expr::value(AssignmentStatus::Transferred))
            .col_expr(Column::CompletedAt, Expr::value(now))
            .col_expr(Column::Outcome, Expr::value(note.clone()))
            .filter(Column::Id.is_in(ids.iter().copied()))
            .filter(Column::Status.eq(AssignmentStatus::Active))
            .exec(txn)
            .await?;
        if closed.rows_affected != ids.len() as u64 {
            return Err(changed_meanwhile());
        }
    }
    for chunk in given.chunks(CHUNK) {
        let rows = chunk.iter().map(|(lead_id, _)| assignment::ActiveModel {
            id: Set(Uuid::now_v7()),
            lead_id: Set(*lead_id),
            assignee_id: Set(user_id),
            assigned_by: Set(Some(actor.user_id).filter(|id| !id.is_nil())),
            status: Set(AssignmentStatus::Active),
            note: Set(note.clone()),
            assigned_at: Set(now),
            completed_at: Set(None),
            outcome: Set(None),
        });
        assignment::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .map_err(|err| {
                if unique_violation(&err) == Some("assignments.lead_id") {
                    changed_meanwhile()
                } else {
                    err.into()
                }
            })?;
    }

    let why = because(note.as_deref());
    for (kind, transferred) in [
        (ActivityKind::Assignment, false),
        (ActivityKind::Transfer, true),
    ] {
        let verb = if transferred {
            "Transferred"
        } else {
            "Assigned"
        };
        let summaries: Vec<(Uuid, String)> = given
            .iter()
            .filter(|(_, from)| from.is_some() == transferred)
            .map(|(lead, _)| (*lead, format!("{verb} to {}{why}", target.full_name)))
            .collect();
        if !summaries.is_empty() {
            activities::record_many(txn, summaries, Some(actor.user_id), kind, now).await?;
        }
    }
    audit::record_many(
        txn,
        given
            .iter()
            .map(|(lead, from)| {
                let (action, details) = match from {
                    Some(from) => (
                        "lead.transferred",
                        serde_json::json!({ "from": from, "to": user_id, "reason": note, "operation": operation_id }),
                    ),
                    None => (
                        "lead.assigned",
                        serde_json::json!({ "assignee": user_id, "note": note, "operation": operation_id }),
                    ),
                };
                AuditEntry::new(action)
                    .by(actor)
                    .entity("lead", *lead)
                    .details(details)
            })
            .collect(),
    )
    .await?;
    Ok(given)
}

/// ": the note", or nothing.
fn because(note: Option<&str>) -> String {
    note.map(|n| format!(": {n}")).unwrap_or_default()
}

/// How many leads one person received or lost; with one, which.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    pub count: u64,
    pub only: Option<Uuid>,
}

impl Tally {
    pub fn of(leads: impl IntoIterator<Item = Uuid>) -> Self {
        let leads: Vec<Uuid> = leads.into_iter().collect();
        Self {
            count: leads.len() as u64,
            only: (leads.len() == 1).then(|| leads[0]),
        }
    }

    /// Two tallies of one operation (a background job's batches) as one.
    pub fn and(self, other: Tally) -> Self {
        let count = self.count + other.count;
        Self {
            count,
            only: (count == 1).then_some(self.only.or(other.only)).flatten(),
        }
    }
}

/// One notification to the new assignee, and one to each previous one:
/// however many leads an operation moved.
pub async fn notify_summaries(
    uow: &UnitOfWork,
    actor: &Actor,
    target: &user::Model,
    received: Tally,
    lost: Vec<(Uuid, Tally)>,
    note: Option<&str>,
) -> AppResult<()> {
    let why = because(note);
    let count = |n: u64| {
        if n == 1 {
            "1 lead".to_string()
        } else {
            format!("{n} leads")
        }
    };
    if received.count > 0 {
        notify(
            uow,
            actor,
            &[target.id],
            NotificationKind::LeadAssigned,
            "Leads were assigned to you",
            format!(
                "{} assigned to you by {}{why}.",
                count(received.count),
                actor.email
            ),
            received.only,
        )
        .await?;
    }
    for (from, tally) in lost {
        notify(
            uow,
            actor,
            &[from],
            NotificationKind::LeadTransferred,
            "Leads of yours were transferred",
            format!(
                "{} of yours transferred to {} by {}{why}.",
                count(tally.count),
                target.full_name,
                actor.email
            ),
            tally.only,
        )
        .await?;
    }
    Ok(())
}

fn changed_meanwhile() -> AppError {
    AppError::Conflict {
        field: None,
        message: "an assignment of these leads changed meanwhile: reload and try again".into(),
        existing_id: None,
    }
}
