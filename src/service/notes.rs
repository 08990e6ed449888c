//! Notes on a lead: plain text as written, edited only by their author.
use chrono::Utc;
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, Query, WindowStatement},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, StatementBuilder,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::lead_note::{self, Column},
    error::{AppError, AppResult},
    scoring::Thresholds,
    service::{
        assignments,
        audit::{self, AuditEntry},
        leads,
        notifications::{self, Kind, Notice},
        page::{Page, PageRequest},
        rescoring,
    },
};

pub const MAX_NOTE_CHARS: usize = 10_000;

fn body(raw: &str) -> AppResult<String> {
    if raw.trim().is_empty() {
        return Err(AppError::bad_input("body", "a note must not be empty"));
    }
    if raw.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::bad_input(
            "body",
            format!("a note must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    // Stored exactly as written (no trimming inside, no HTML), minus edge whitespace.
    Ok(raw.trim().to_string())
}

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
    leads::get(conn, actor, note.lead_id)
        .await
        .map_err(|_| AppError::NotFound("note"))?;
    Ok(note)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id))]
pub async fn add(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: Uuid,
    raw: &str,
    thresholds: Thresholds,
) -> AppResult<lead_note::Model> {
    let body = body(raw)?;
    let txn = db.begin().await?;
    let lead = leads::get(&txn, actor, lead_id).await?;
    let now = Utc::now();
    let note = lead_note::ActiveModel {
        id: Set(Uuid::now_v7()),
        lead_id: Set(lead_id),
        author_id: Set(Some(actor.user_id)),
        body: Set(body),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("note.added")
            .actor(actor.user_id)
            .entity("note", note.id)
            .details(json!({ "lead": lead_id })),
    )
    .await?;
    // The assignee hears of notes others add to their lead.
    if let Some(owner) = assignments::active_for(&txn, lead_id)
        .await?
        .filter(|a| a.assignee_id != actor.user_id)
    {
        let excerpt: String = note.body.chars().take(140).collect();
        let more = if note.body.chars().count() > 140 {
            "…"
        } else {
            ""
        };
        notifications::push(
            &txn,
            vec![Notice {
                user_id: owner.assignee_id,
                kind: Kind::NoteAdded,
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
    rescoring::rescore(&txn, lead_id, thresholds).await?;
    txn.commit().await?;
    Ok(note)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, note_id = %id))]
pub async fn edit(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    raw: &str,
    thresholds: Thresholds,
) -> AppResult<lead_note::Model> {
    let body = body(raw)?;
    let txn = db.begin().await?;
    let before = get_visible(&txn, actor, id).await?;
    if before.author_id != Some(actor.user_id) {
        return Err(AppError::Forbidden(
            "only the author may edit a note".into(),
        ));
    }
    let mut model = before.clone().into_active_model();
    model.body = Set(body);
    model.updated_at = Set(Utc::now());
    let after = model.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new("note.edited")
            .actor(actor.user_id)
            .entity("note", id)
            .details(audit::changes(&[(
                "body",
                json!(before.body),
                json!(after.body),
            )])),
    )
    .await?;
    rescoring::rescore(&txn, after.lead_id, thresholds).await?;
    txn.commit().await?;
    Ok(after)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, note_id = %id))]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    thresholds: Thresholds,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let note = get_visible(&txn, actor, id).await?;
    if note.author_id != Some(actor.user_id) && !actor.is_manager_or_admin() {
        return Err(AppError::Forbidden(
            "only the author, a manager or an admin may delete a note".into(),
        ));
    }
    let mut model = note.clone().into_active_model();
    model.deleted_at = Set(Some(Utc::now()));
    model.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new("note.deleted")
            .actor(actor.user_id)
            .entity("note", id)
            .details(json!({ "lead": note.lead_id, "body": note.body })),
    )
    .await?;
    rescoring::rescore(&txn, note.lead_id, thresholds).await?;
    txn.commit().await?;
    Ok(())
}

/// A lead's notes, newest first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<lead_note::Model>> {
    leads::get(db, actor, lead_id).await?;
    let limit = page.limit();
    let mut query = lead_note::Entity::find()
        .filter(Column::LeadId.eq(lead_id))
        .filter(Column::DeletedAt.is_null());
    if let Some(after) = page.after {
        let Some(anchor) = lead_note::Entity::find_by_id(after)
            .filter(Column::LeadId.eq(lead_id))
            .one(db)
            .await?
        else {
            return Err(AppError::bad_input(
                "after",
                "not a cursor of this lead's notes",
            ));
        };
        query = query.filter(
            Condition::any()
                .add(Column::CreatedAt.lt(anchor.created_at))
                .add(
                    Condition::all()
                        .add(Column::CreatedAt.eq(anchor.created_at))
                        .add(Column::Id.lt(anchor.id)),
                ),
        );
    }
    let items = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(page.page(items))
}

/// The newest `per_lead` live notes of each lead, in one statement (a window
/// function), for lists that show a few notes per lead. The caller has
/// already established that the leads are visible.
pub async fn latest_for_leads<C: ConnectionTrait>(
    conn: &C,
    lead_ids: &[Uuid],
    per_lead: u64,
) -> AppResult<Vec<lead_note::Model>> {
    if lead_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rank = Alias::new("rank_in_lead");
    let ranked = Query::select()
        .columns([
            Column::Id,
            Column::LeadId,
            Column::AuthorId,
            Column::Body,
            Column::CreatedAt,
            Column::UpdatedAt,
            Column::DeletedAt,
        ])
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            WindowStatement::partition_by(Column::LeadId)
                .order_by(Column::CreatedAt, sea_orm::Order::Desc)
                .order_by(Column::Id, sea_orm::Order::Desc)
                .take(),
            rank.clone(),
        )
        .from(lead_note::Entity)
        .and_where(Column::LeadId.is_in(lead_ids.iter().copied()))
        .and_where(Column::DeletedAt.is_null())
        .take();
    let outer = Query::select()
        .expr(Expr::cust("*"))
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(per_lead as i64))
        .take();
    let statement = StatementBuilder::build(&outer, &conn.get_database_backend());
    Ok(lead_note::Model::find_by_statement(statement)
        .all(conn)
        .await?)
}
