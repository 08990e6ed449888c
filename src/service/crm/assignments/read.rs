//! Reading who owns a lead: the active assignment and the history, for
//! one lead or for a page of them in one statement.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::assignment::{self, AssignmentStatus, Column},
    error::AppResult,
    service::leads::visibility::{get, visible_among},
};

/// Which of a lead's assignments to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The ACTIVE one, if any.
    Active,
    /// Every one, newest first.
    All,
}

fn newest_first(select: Select<assignment::Entity>) -> Select<assignment::Entity> {
    select
        .order_by_desc(Column::AssignedAt)
        .order_by_desc(Column::Id)
}

/// The assignments of each of `lead_ids` `actor` may see, in one statement.
pub async fn for_leads(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
    which: Which,
) -> AppResult<Vec<assignment::Model>> {
    actor.person()?;
    let select = assignment::Entity::find()
        .filter(Column::LeadId.in_subquery(visible_among(actor, lead_ids.iter().copied())));
    let select = match which {
        Which::Active => select.filter(Column::Status.eq(AssignmentStatus::Active)),
        Which::All => newest_first(select),
    };
    Ok(select.all(core.db()).await?)
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
    get(core.db(), actor.person()?, lead_id).await?;
    Ok(
        newest_first(assignment::Entity::find().filter(Column::LeadId.eq(lead_id)))
            .all(core.db())
            .await?,
    )
}
