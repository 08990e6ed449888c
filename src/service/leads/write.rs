//! Creating, changing and deleting leads. Every change is audited, scored
//! and (for a status change) recorded as an activity in the same unit of
//! work.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func},
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    fields::{audit_diff, LeadChange, NewLead},
    status,
    visibility::{find_visible, get, get_for_update},
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    db::UnitOfWork,
    entity::{
        lead::{self, Column, LeadStatus},
        lead_activity::ActivityKind,
    },
    error::{AppError, AppResult},
    service::{
        audit, backdate,
        crm::{activities, assignments},
        scores::rescoring,
    },
};

/// The lower-cased text that free-text search matches: name, email, company
/// and phone. Every insert and update of a lead writes it.
fn search_text(lead: &lead::ActiveModel) -> String {
    let text = |value: &sea_orm::ActiveValue<String>| value.try_as_ref().cloned();
    let optional =
        |value: &sea_orm::ActiveValue<Option<String>>| value.try_as_ref().cloned().flatten();
    [
        text(&lead.first_name),
        text(&lead.last_name),
        optional(&lead.email),
        optional(&lead.company),
        optional(&lead.phone),
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase()
}

/// The digits of a phone: how imports match phones however punctuated.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

/// Sets the columns derived from others ([`search_text`], the phone's
/// key): every insert and update of a lead calls it.
pub fn derive_columns(row: &mut lead::ActiveModel) {
    row.search_text = Set(search_text(row));
    let phone = row.phone.try_as_ref().cloned().flatten();
    row.phone_key = Set(phone.as_deref().and_then(phone_key));
}

/// A new lead's full row, as `createLead` writes it (and imports).
pub fn new_row(
    new: NewLead,
    actor: &Actor,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<lead::ActiveModel> {
    let mut row = new.columns();
    check_budget(
        row.budget_min.try_as_ref().copied().flatten(),
        row.budget_max.try_as_ref().copied().flatten(),
    )?;
    row.id = Set(Uuid::now_v7());
    derive_columns(&mut row);
    row.score = Set(None);
    row.classification = Set(None);
    row.priority_tier = Set(None);
    row.score_confidence = Set(None);
    row.scored_at = Set(None);
    row.created_at = Set(created_at);
    row.updated_at = Set(now);
    row.last_activity_at = Set(None);
    row.created_by = Set(Some(actor.user_id).filter(|id| !id.is_nil()));
    row.deleted_at = Set(None);
    Ok(row)
}

/// The budget rule a change must keep too.
pub fn check_budget(min: Option<i64>, max: Option<i64>) -> AppResult<()> {
    match (min, max) {
        (Some(min), Some(max)) if min > max => Err(AppError::bad_input(
            "budget_min",
            "budgetMin must not exceed budgetMax",
        )),
        _ => Ok(()),
    }
}

/// CONFLICT when a live lead `actor` may see has this email. A lead out of
/// their sight (another rep's) does not count: answering CONFLICT would
/// tell a rep it exists, so the rep's lead is created beside it, as if it
/// did not exist for them (managers see both). A key writes for its admin,
/// who sees every lead; it is told of the duplicate but not its id.
async fn ensure_unique_email(
    uow: &UnitOfWork,
    actor: &Actor,
    email: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut query = find_visible(actor)
        // Through the index on lower(email): emails are stored lower-cased.
        .filter(Expr::expr(Func::lower(Expr::col((lead::Entity, Column::Email)))).eq(email));
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    let Some(existing) = query.one(uow.conn()).await? else {
        return Ok(());
    };
    let shown = actor.key.is_none();
    Err(AppError::Conflict {
        field: Some("email".into()),
        message:
            "a lead with this email already exists (pass allowDuplicate: true to create it anyway)"
                .into(),
        existing_id: shown.then_some(existing.id),
    })
}

/// How a lead is created, beside its fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Creation {
    /// Create it even if a live lead has the same email.
    pub allow_duplicate: bool,
    /// When the lead really came in, for imported history (see
    /// [`backdate`]); now when none.
    pub created_at: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn create(
    core: &Core,
    actor: &Actor,
    new: NewLead,
    creation: Creation,
) -> AppResult<lead::Model> {
    actor.may(Scope::LeadsWrite)?;
    let now = Utc::now();
    let created = backdate::when(actor, "created_at", creation.created_at, now)?;
    let row = new_row(new, actor, created.at, now)?;
    let uow = core.begin().await?;
    if let (Some(Some(email)), false) = (row.email.try_as_ref(), creation.allow_duplicate) {
        ensure_unique_email(&uow, actor, email, None).await?;
    }
    let lead = row.insert(uow.conn()).await?;
    let mut details = json!({ "name": format!("{} {}", lead.first_name, lead.last_name) });
    if created.backdated {
        details["backdatedTo"] = json!(created.at);
    }
    audit::acted(
        uow.conn(),
        actor,
        "lead.created",
        ("lead", lead.id),
        details,
    )
    .await?;
    status::record(
        uow.conn(),
        lead.id,
        None,
        lead.status,
        created.at,
        Some(actor.user_id),
    )
    .await?;
    // A rep's own lead is theirs to work: it is assigned to them at once.
    if !actor.is_manager_or_admin() {
        assignments::insert_active(
            uow.conn(),
            lead.id,
            actor.user_id,
            Some(actor.user_id),
            Some("created by the rep".into()),
        )
        .await?;
    }
    rescoring::rescore(core, &uow, lead.id).await?;
    let lead = get(uow.conn(), actor, lead.id).await?;
    uow.commit().await?;
    Ok(lead)
}

/// Changes a lead. `status_changed_at` dates a status change that happened
/// earlier (imported history; see [`backdate`]).
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %id))]
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    change: LeadChange,
    status_changed_at: Option<DateTime<Utc>>,
) -> AppResult<lead::Model> {
    actor.may(Scope::LeadsWrite)?;
    let now = Utc::now();
    let changed = backdate::when(actor, "status_changed_at", status_changed_at, now)?;
    let uow = core.begin().await?;
    let before = get_for_update(uow.conn(), uow.dialect(), actor, id).await?;
    let mut row = before.clone().into_active_model();
    change.apply(&mut row);
    check_budget(
        row.budget_min.try_as_ref().copied().flatten(),
        row.budget_max.try_as_ref().copied().flatten(),
    )?;
    if let Some(Some(email)) = row.email.try_as_ref() {
        if Some(email) != before.email.as_ref() {
            ensure_unique_email(&uow, actor, email, Some(id)).await?;
        }
    }
    if status_changed_at.is_some() && row.status.try_as_ref() == Some(&before.status) {
        return Err(AppError::bad_input(
            "status_changed_at",
            "statusChangedAt dates a status change: send a new status with it",
        ));
    }
    if changed.at < before.created_at {
        return Err(AppError::bad_input(
            "status_changed_at",
            "a lead's status cannot change before the lead came in",
        ));
    }
    derive_columns(&mut row);
    row.updated_at = Set(now);
    let after = row.update(uow.conn()).await?;
    let mut diff = audit_diff(&before, &after);
    if changed.backdated {
        diff["statusBackdatedTo"] = json!(changed.at);
    }
    audit::acted(uow.conn(), actor, "lead.updated", ("lead", id), diff).await?;
    if before.status != after.status {
        status::record(
            uow.conn(),
            id,
            Some(before.status),
            after.status,
            changed.at,
            Some(actor.user_id),
        )
        .await?;
        let closes = |s: LeadStatus| matches!(s, LeadStatus::Won | LeadStatus::Lost);
        if closes(before.status) || closes(after.status) {
            // The outcome counts the rules explain themselves with moved.
            core.basis().clear();
        }
        let name = |s: LeadStatus| json!(s).as_str().unwrap_or_default().to_string();
        let summary = format!(
            "Status changed from {} to {}",
            name(before.status),
            name(after.status)
        );
        activities::record(
            uow.conn(),
            id,
            Some(actor.user_id),
            ActivityKind::StatusChange,
            None,
            summary,
            changed.at,
        )
        .await?;
    }
    rescoring::rescore(core, &uow, id).await?;
    let after = lead::Entity::find_by_id(id)
        .one(uow.conn())
        .await?
        .ok_or(AppError::NotFound("lead"))?;
    uow.commit().await?;
    Ok(after)
}

/// Soft delete: the lead leaves every query; its history stays.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %id))]
pub async fn delete(core: &Core, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.person()?;
    let uow = core.begin().await?;
    // A rep learns nothing about leads that are not theirs: NOT_FOUND first.
    let lead = get_for_update(uow.conn(), uow.dialect(), actor, id).await?;
    actor.require_manager_or_admin()?;
    let mut row = lead.into_active_model();
    row.deleted_at = Set(Some(Utc::now()));
    row.update(uow.conn()).await?;
    audit::acted(uow.conn(), actor, "lead.deleted", ("lead", id), None).await?;
    uow.commit().await?;
    Ok(())
}
