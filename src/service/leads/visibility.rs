//! Who may see which lead: the one rule every read of leads is built on,
//! as SQL. ADMIN and MANAGER see every live lead; a SALES_REP sees only the
//! leads whose ACTIVE assignment is theirs. A lead outside that set is
//! NOT_FOUND, never FORBIDDEN, so its existence does not leak.
use sea_orm::{
    sea_query::{Query, SelectStatement, SimpleExpr},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::Dialect,
    entity::{
        assignment::{self, AssignmentStatus},
        lead::{self, Column},
    },
    error::{AppError, AppResult},
};

/// Leads whose ACTIVE assignment belongs to `user_id`, as a subquery.
pub fn actively_assigned_to(user_id: Uuid) -> SimpleExpr {
    Column::Id.in_subquery(
        Query::select()
            .column(assignment::Column::LeadId)
            .from(assignment::Entity)
            .and_where(assignment::Column::AssigneeId.eq(user_id))
            .and_where(assignment::Column::Status.eq(AssignmentStatus::Active))
            .take(),
    )
}

/// Leads with no ACTIVE assignment, as a subquery.
pub fn unassigned() -> SimpleExpr {
    Column::Id.not_in_subquery(
        Query::select()
            .column(assignment::Column::LeadId)
            .from(assignment::Entity)
            .and_where(assignment::Column::Status.eq(AssignmentStatus::Active))
            .take(),
    )
}

/// The live leads `actor` may see, as a condition for any query on leads.
pub fn visible_to(actor: &Actor) -> Condition {
    let condition = Condition::all().add(Column::DeletedAt.is_null());
    if actor.is_manager_or_admin() {
        condition
    } else {
        condition.add(actively_assigned_to(actor.user_id))
    }
}

/// The ids among `ids` of leads `actor` may see, as a subquery: what a
/// relation of many leads (their notes, scores, assignments) is read for,
/// in the same statement.
pub fn visible_among(actor: &Actor, ids: impl IntoIterator<Item = Uuid>) -> SelectStatement {
    Query::select()
        .column(Column::Id)
        .from(lead::Entity)
        .cond_where(visible_to(actor))
        .and_where(Column::Id.is_in(ids))
        .take()
}

pub fn find_visible(actor: &Actor) -> Select<lead::Entity> {
    lead::Entity::find().filter(visible_to(actor))
}

/// The lead, if `actor` may see it; NOT_FOUND otherwise.
pub async fn get<C: ConnectionTrait>(conn: &C, actor: &Actor, id: Uuid) -> AppResult<lead::Model> {
    find_visible(actor)
        .filter(Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("lead"))
}

/// Like [`get`], locking the row for the rest of the transaction.
pub async fn get_for_update<C: ConnectionTrait>(
    conn: &C,
    dialect: Dialect,
    actor: &Actor,
    id: Uuid,
) -> AppResult<lead::Model> {
    dialect
        .for_update(find_visible(actor).filter(Column::Id.eq(id)))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("lead"))
}
