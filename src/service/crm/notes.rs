//! Notes on a lead: plain text as written, edited only by their author.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::ExprTrait, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::assignments;
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{
        lead_note::{self, Column},
        notification::NotificationKind,
    },
    error::{AppError, AppResult},
    service::{
        audit, backdate,
        leads::visibility::{get, visible_among},
        newest::newest_per,
        notifications::{self, Notice},
        page::{newest_first, Page, PageRequest},
        scores::rescoring,
    },
    values::NoteBody,
};

/// A live note on a lead the actor may see.
async fn get_visible<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<lead_note::Model> {
    let note = lead_note::Entity::find_by_id(id)
        .filter(Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("note"))?;
    get(conn, actor, note.lead_id)
        .await
        .map_err(|_| AppError::NotFound("note"))?;
    Ok(note)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id))]
/// Adds a note; `occurred_at` dates one written earlier elsewhere (see
/// [`backdate`]). An imported note notifies nobody.
pub async fn add(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
    body: NoteBody,
    occurred_at: Option<DateTime<Utc>>,
) -> AppResult<lead_note::Model> {
    actor.may(Scope::LeadsWrite)?;
    let written = backdate::when(actor, "occurred_at", occurred_at, Utc::now())?;
    let uow = core.begin().await?;
    let txn = uow.conn();
    let lead = get(txn, actor, lead_id).await?;
    let note = lead_note::ActiveModel {
        id: Set(Uuid::now_v7()),
        lead_id: Set(lead_id),
        author_id: Set(Some(actor.user_id)),
        body: Set(body.into_inner()),
        created_at: Set(written.at),
        updated_at: Set(written.at),
        deleted_at: Set(None),
    }
    .insert(txn)
    .await?;
    let mut details = json!({ "lead": lead_id });
    if written.backdated {
        details["backdatedTo"] = json!(written.at);
    }
    audit::acted(txn, actor, "note.added", ("note", note.id), details).await?;
    // The assignee hears of notes others add to their lead.
    let owner = assignments::active_for(txn, lead_id).await?;
    if let Some(owner) = owner.filter(|a| a.assignee_id != actor.user_id && !written.backdated) {
        let excerpt: String = note.body.chars().take(140).collect();
        let more = if note.body.chars().count() > 140 {
            "…"
        } else {
            ""
        };
        notifications::push(
            &uow,
            vec![Notice {
                user_id: owner.assignee_id,
                kind: NotificationKind::NoteAdded,
                title: "A note was added to your lead".into(),
                body: format!(
                    "{} on {}: {excerpt}{more}",
                    actor.email,
                    notifications::lead_label(&lead)
                ),
                lead_id: Some(lead_id),
            }],
        )
        .await?;
    }
    rescoring::rescore(core, &uow, lead_id).await?;
    uow.commit().await?;
    Ok(note)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, note_id = %id))]
pub async fn edit(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    body: NoteBody,
) -> AppResult<lead_note::Model> {
    actor.person()?;
    let uow = core.begin().await?;
    let txn = uow.conn();
    let before = get_visible(txn, actor, id).await?;
    if before.author_id != Some(actor.user_id) {
        return Err(AppError::Forbidden(
            "only the author may edit a note".into(),
        ));
    }
    let mut model = before.clone().into_active_model();
    model.body = Set(body.into_inner());
    model.updated_at = Set(Utc::now());
    let after = model.update(txn).await?;
    audit::acted(
        txn,
        actor,
        "note.edited",
        ("note", id),
        audit::changes(&[("body", json!(before.body), json!(after.body))]),
    )
    .await?;
    rescoring::rescore(core, &uow, after.lead_id).await?;
    uow.commit().await?;
    Ok(after)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, note_id = %id))]
pub async fn delete(core: &Core, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.person()?;
    let uow = core.begin().await?;
    let txn = uow.conn();
    let note = get_visible(txn, actor, id).await?;
    if note.author_id != Some(actor.user_id) && !actor.is_manager_or_admin() {
        return Err(AppError::Forbidden(
            "only the author, a manager or an admin may delete a note".into(),
        ));
    }
    let mut model = note.clone().into_active_model();
    model.deleted_at = Set(Some(Utc::now()));
    model.update(txn).await?;
    audit::acted(
        txn,
        actor,
        "note.deleted",
        ("note", id),
        json!({ "lead": note.lead_id, "body": note.body }),
    )
    .await?;
    rescoring::rescore(core, &uow, note.lead_id).await?;
    uow.commit().await?;
    Ok(())
}

/// A lead's notes, newest first.
pub async fn list(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<lead_note::Model>> {
    get(core.reads(), actor.person()?, lead_id).await?;
    let live = lead_note::Entity::find()
        .filter(Column::LeadId.eq(lead_id))
        .filter(Column::DeletedAt.is_null());
    newest_first(
        core.reads(),
        live,
        Column::CreatedAt,
        Column::Id,
        page,
        "notes",
    )
    .await
}

/// The newest `per_lead` live notes of each of `lead_ids` `actor` may
/// see, in one statement, for lists that show a few notes per lead.
pub async fn latest_for_leads(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
    per_lead: u64,
) -> AppResult<Vec<lead_note::Model>> {
    actor.person()?;
    if lead_ids.is_empty() {
        return Ok(Vec::new());
    }
    newest_per::<lead_note::Entity, _>(
        core.reads(),
        Column::LeadId,
        &[Column::CreatedAt, Column::Id],
        Column::LeadId
            .in_subquery(visible_among(actor, lead_ids.iter().copied()))
            .and(Column::DeletedAt.is_null()),
        per_lead,
    )
    .await
}
