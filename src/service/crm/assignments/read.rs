//! Reading who owns a lead: the active assignment and the history, for
//! one lead or for a page of them in one statement.
use std::collections::HashMap;

use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, QueryFilter, QueryOrder,
    Select, StatementBuilder,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::{
        assignment::{self, AssignmentStatus, Column},
        user,
    },
    error::AppResult,
    service::leads::visibility::{get, visible_among},
};

fn newest_first(select: Select<assignment::Entity>) -> Select<assignment::Entity> {
    select
        .order_by_desc(Column::AssignedAt)
        .order_by_desc(Column::Id)
}

/// Every assignment of each of `lead_ids` `actor` may see, newest first,
/// in one statement.
pub async fn for_leads(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
) -> AppResult<Vec<assignment::Model>> {
    actor.person()?;
    let select = assignment::Entity::find()
        .filter(Column::LeadId.in_subquery(visible_among(actor, lead_ids.iter().copied())));
    Ok(newest_first(select).all(core.reads()).await?)
}

/// Who each of `lead_ids` `actor` may see is actively assigned to: the
/// assignment joined to its user, one statement for a page's `assignee`.
pub async fn assignees_of(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, user::Model>> {
    actor.person()?;
    let lead = "assigned_lead";
    let query = Query::select()
        .columns(user::Column::iter().map(|c| (user::Entity, c)))
        .expr_as(
            Expr::col((assignment::Entity, Column::LeadId)),
            Alias::new(lead),
        )
        .from(assignment::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((assignment::Entity, Column::AssigneeId)),
        )
        .and_where(Column::Status.eq(AssignmentStatus::Active))
        .and_where(Column::LeadId.in_subquery(visible_among(actor, lead_ids.iter().copied())))
        .take();
    let db = core.reads();
    let rows = db
        .query_all_raw(StatementBuilder::build(&query, &db.get_database_backend()))
        .await?;
    let mut assignees = HashMap::with_capacity(rows.len());
    for row in rows {
        assignees.insert(
            row.try_get::<Uuid>("", lead)?,
            user::Model::from_query_result(&row, "")?,
        );
    }
    Ok(assignees)
}

/// The lead's ACTIVE assignment, without a visibility check: for writers
/// that have already checked it inside their transaction.
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

/// A lead's assignment history, newest first.
pub async fn history(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
) -> AppResult<Vec<assignment::Model>> {
    get(core.reads(), actor.person()?, lead_id).await?;
    Ok(
        newest_first(assignment::Entity::find().filter(Column::LeadId.eq(lead_id)))
            .all(core.reads())
            .await?,
    )
}
