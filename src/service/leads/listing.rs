//! Listing leads: one keyset-paginated page in any order, and the count of
//! a filter, with the visibility rule in the SQL.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, NullOrdering, SimpleExpr},
    ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use super::{
    filter::{AssigneeFilter, LeadFilter},
    visibility::visible_to,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::lead::{self, Column},
    error::{AppError, AppResult},
    service::page::{checked_size, one_direction},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadOrderField {
    Score,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
    Name,
}

#[derive(Debug, Clone, Copy)]
pub struct LeadOrder {
    pub field: LeadOrderField,
    pub descending: bool,
}

impl Default for LeadOrder {
    fn default() -> Self {
        Self {
            field: LeadOrderField::CreatedAt,
            descending: true,
        }
    }
}

/// Where a page starts or ends: the sort value of a lead and its id. The
/// GraphQL layer carries it in its own versioned cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadKey {
    pub field: LeadOrderField,
    pub score: Option<i32>,
    pub at: Option<DateTime<Utc>>,
    pub name: Option<(String, String)>,
    pub id: Uuid,
}

impl LeadKey {
    pub fn of(lead: &lead::Model, field: LeadOrderField) -> Self {
        let mut key = Self {
            field,
            score: None,
            at: None,
            name: None,
            id: lead.id,
        };
        match field {
            LeadOrderField::Score => key.score = lead.score,
            LeadOrderField::CreatedAt => key.at = Some(lead.created_at),
            LeadOrderField::UpdatedAt => key.at = Some(lead.updated_at),
            LeadOrderField::LastActivityAt => key.at = lead.last_activity_at,
            LeadOrderField::Name => {
                key.name = Some((lead.last_name.clone(), lead.first_name.clone()))
            }
        }
        key
    }
}

#[derive(Debug, Clone, Default)]
pub struct LeadPageRequest {
    pub first: Option<u64>,
    pub after: Option<LeadKey>,
    pub last: Option<u64>,
    pub before: Option<LeadKey>,
}

#[derive(Debug, Clone)]
pub struct LeadPage {
    pub leads: Vec<lead::Model>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Rows strictly past `key` when walking in `descending` order with NULLs
/// `nulls_last`: the keyset condition, with the id as the tiebreaker.
fn past(field: LeadOrderField, key: &LeadKey, descending: bool, nulls_last: bool) -> Condition {
    let id_past = if descending {
        Column::Id.lt(key.id)
    } else {
        Column::Id.gt(key.id)
    };
    let nullable = |column: Column, value: Option<SimpleExpr>| -> Condition {
        match value {
            Some(v) => {
                let beyond = if descending {
                    Expr::col(column).lt(v.clone())
                } else {
                    Expr::col(column).gt(v.clone())
                };
                let mut c = Condition::any().add(beyond).add(
                    Condition::all()
                        .add(Expr::col(column).eq(v))
                        .add(id_past.clone()),
                );
                if nulls_last {
                    c = c.add(column.is_null());
                }
                c
            }
            None if nulls_last => Condition::all().add(column.is_null()).add(id_past.clone()),
            None => Condition::any()
                .add(column.is_not_null())
                .add(Condition::all().add(column.is_null()).add(id_past.clone())),
        }
    };
    match field {
        LeadOrderField::Score => nullable(Column::Score, key.score.map(Expr::val)),
        LeadOrderField::LastActivityAt => nullable(Column::LastActivityAt, key.at.map(Expr::val)),
        LeadOrderField::CreatedAt | LeadOrderField::UpdatedAt => {
            let column = if field == LeadOrderField::CreatedAt {
                Column::CreatedAt
            } else {
                Column::UpdatedAt
            };
            // Never NULL. The bound `<=` (or `>=`) is redundant but is what
            // PostgreSQL starts the index scan from: with the OR alone it
            // read every row before the cursor (60,001 for a page 60,000
            // deep, 384 ms instead of under 1).
            let at = key.at.unwrap_or_default();
            let (bound, beyond) = if descending {
                (column.lte(at), column.lt(at))
            } else {
                (column.gte(at), column.gt(at))
            };
            Condition::all().add(bound).add(
                Condition::any()
                    .add(beyond)
                    .add(Condition::all().add(column.eq(at)).add(id_past)),
            )
        }
        LeadOrderField::Name => {
            let (last, first) = key.name.clone().unwrap_or_default();
            let ours = Expr::tuple([
                Expr::col(Column::LastName),
                Expr::col(Column::FirstName),
                Expr::col(Column::Id),
            ]);
            let theirs = Expr::tuple([Expr::val(last), Expr::val(first), Expr::val(key.id)]);
            Condition::all().add(if descending {
                ours.lt(theirs)
            } else {
                ours.gt(theirs)
            })
        }
    }
}

fn ordered(
    query: Select<lead::Entity>,
    field: LeadOrderField,
    descending: bool,
    nulls_last: bool,
) -> Select<lead::Entity> {
    let order = if descending { Order::Desc } else { Order::Asc };
    let nulls = if nulls_last {
        NullOrdering::Last
    } else {
        NullOrdering::First
    };
    let query = match field {
        LeadOrderField::Score => query.order_by_with_nulls(Column::Score, order.clone(), nulls),
        LeadOrderField::CreatedAt => query.order_by(Column::CreatedAt, order.clone()),
        LeadOrderField::UpdatedAt => query.order_by(Column::UpdatedAt, order.clone()),
        LeadOrderField::LastActivityAt => {
            query.order_by_with_nulls(Column::LastActivityAt, order.clone(), nulls)
        }
        LeadOrderField::Name => query
            .order_by(Column::LastName, order.clone())
            .order_by(Column::FirstName, order.clone()),
    };
    query.order_by(Column::Id, order)
}

/// The statement behind one page, and how to read its rows.
pub struct PagePlan {
    pub query: Select<lead::Entity>,
    backwards: bool,
    limit: u64,
}

/// Builds the query [`list`] runs (also used to EXPLAIN it in benchmarks).
pub fn page_plan(
    actor: &Actor,
    filter: &LeadFilter,
    order: LeadOrder,
    page: &LeadPageRequest,
) -> AppResult<PagePlan> {
    for (name, key) in [("after", &page.after), ("before", &page.before)] {
        if key.as_ref().is_some_and(|k| k.field != order.field) {
            return Err(AppError::bad_input(
                name,
                "this cursor belongs to another order: start again without it",
            ));
        }
    }
    one_direction(page.first, page.last)?;
    let backwards = page.last.is_some() || page.before.is_some() && page.first.is_none();
    let limit = if backwards {
        checked_size("last", page.last)?
    } else {
        checked_size("first", page.first)?
    };
    let mut query = lead::Entity::find().filter(visible_and_filtered(actor, filter));
    // Walking backwards reverses the order (and where NULLs fall), then the page is flipped back.
    let (descending, nulls_last) = if backwards {
        (!order.descending, false)
    } else {
        (order.descending, true)
    };
    if let Some(key) = if backwards { &page.before } else { &page.after } {
        query = query.filter(past(order.field, key, descending, nulls_last));
    }
    // One row more than asked tells whether another page follows.
    let query = ordered(query, order.field, descending, nulls_last).limit(limit + 1);
    Ok(PagePlan {
        query,
        backwards,
        limit,
    })
}

/// One page of the leads `actor` may see. NULL sort values come last.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: &LeadFilter,
    order: LeadOrder,
    page: LeadPageRequest,
) -> AppResult<LeadPage> {
    actor.may(Scope::LeadsRead)?;
    let plan = page_plan(actor, filter, order, &page)?;
    let mut leads = plan.query.all(core.reads()).await?;
    let more = leads.len() as u64 > plan.limit;
    leads.truncate(plan.limit as usize);
    if plan.backwards {
        leads.reverse();
        Ok(LeadPage {
            leads,
            has_previous_page: more,
            has_next_page: page.before.is_some(),
        })
    } else {
        Ok(LeadPage {
            leads,
            has_next_page: more,
            has_previous_page: page.after.is_some(),
        })
    }
}

/// How many leads match, with the same visibility as [`list`].
pub async fn count(core: &Core, actor: &Actor, filter: &LeadFilter) -> AppResult<u64> {
    actor.may(Scope::LeadsRead)?;
    Ok(lead::Entity::find()
        .filter(visible_and_filtered(actor, filter))
        .count(core.reads())
        .await?)
}

/// What `actor` may see, narrowed by `filter`. A rep's own-assignee filter
/// repeats what visibility already says: sent twice, PostgreSQL misjudged
/// the two identical semi-joins and took minutes on a rep with 35k leads.
pub fn visible_and_filtered(actor: &Actor, filter: &LeadFilter) -> Condition {
    let redundant = !actor.is_manager_or_admin()
        && filter.assignee == Some(AssigneeFilter::User(actor.user_id));
    if redundant {
        let mut own = filter.clone();
        own.assignee = None;
        visible_to(actor).add(own.condition())
    } else {
        visible_to(actor).add(filter.condition())
    }
}
