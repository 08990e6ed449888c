//! The call list: which leads to call next, best first.
use sea_orm::{
    sea_query::{
        Alias, Expr, ExprTrait, NullOrdering, PostgresQueryBuilder, Query, QueryStatementBuilder,
    },
    ColumnTrait, ConnectionTrait, DbBackend, FromQueryResult, IdenStatic, Iterable, Order,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement, StatementBuilder,
};
use uuid::Uuid;

use super::codec::reasons;
use crate::{
    auth::Actor,
    core::Core,
    entity::{
        assignment::{self, AssignmentStatus},
        lead,
        lead_insight::{self, InsightKind},
        lead_score, user,
    },
    error::{AppError, AppResult},
    service::leads::visibility::{actively_assigned_to, find_visible},
};

/// One line of the call list.
pub struct Prioritized {
    pub lead: lead::Model,
    /// The user of the lead's ACTIVE assignment, read with it.
    pub assignee: Option<user::Model>,
    pub score: lead_score::Model,
    pub insights: Vec<lead_insight::Model>,
    /// The strongest factors' evidence.
    pub reasons: Vec<String>,
    /// What to say: the talking points and opportunities.
    pub talking_points: Vec<String>,
}

/// Prioritized leads by tier (P1 first), then score. A sales rep gets their
/// own; managers and admins all, or one assignee's. WON and LOST leads have
/// no tier and never appear.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, limit))]
pub async fn prioritized(
    core: &Core,
    actor: &Actor,
    limit: i64,
    assignee: Option<Uuid>,
) -> AppResult<Vec<Prioritized>> {
    actor.person()?;
    if !(1..=50).contains(&limit) {
        return Err(AppError::bad_input("limit", "limit must be from 1 to 50"));
    }
    if assignee.is_some_and(|id| id != actor.user_id) && !actor.is_manager_or_admin() {
        return Err(AppError::Forbidden(
            "a sales rep's call list holds only their own leads".into(),
        ));
    }
    let mut query = find_visible(actor).filter(lead::Column::PriorityTier.is_not_null());
    // A rep's own leads are what visibility already selects.
    if let Some(id) = assignee.filter(|_| actor.is_manager_or_admin()) {
        query = query.filter(actively_assigned_to(id));
    }
    let picked = query
        .order_by_asc(lead::Column::PriorityTier)
        .order_by_with_nulls(lead::Column::Score, Order::Desc, NullOrdering::Last)
        .order_by_desc(lead::Column::Id)
        .limit(limit as u64)
        .into_query();
    let mut lines = with_current_scores(core, picked).await?;
    for line in &mut lines {
        line.reasons = reasons(&line.score, 3);
        line.talking_points = line
            .insights
            .iter()
            .filter(|i| i.kind != InsightKind::Concern)
            .map(|i| i.text.clone())
            .collect();
    }
    Ok(lines)
}

/// The leads `picked` selects (already visible to the actor, in call-list
/// order), each with its current score, that score's insights and the
/// lead's assignee, in one statement: a lead never scored is left out.
async fn with_current_scores(
    core: &Core,
    picked: sea_orm::sea_query::SelectStatement,
) -> AppResult<Vec<Prioritized>> {
    let l = Alias::new("picked");
    let newest = Alias::new("newest");
    let current = Query::select()
        .column((newest.clone(), lead_score::Column::Id))
        .from_as(lead_score::Entity, newest.clone())
        .and_where(
            Expr::col((newest.clone(), lead_score::Column::LeadId))
                .equals((l.clone(), lead::Column::Id)),
        )
        .order_by((newest.clone(), lead_score::Column::ScoredAt), Order::Desc)
        .order_by((newest, lead_score::Column::Id), Order::Desc)
        .limit(1)
        .take();
    let mut query = Query::select();
    for c in lead::Column::iter() {
        query.expr_as(
            Expr::col((l.clone(), c)),
            Alias::new(format!("l_{}", c.as_str())),
        );
    }
    for c in lead_score::Column::iter() {
        query.expr_as(
            Expr::col((lead_score::Entity, c)),
            Alias::new(format!("s_{}", c.as_str())),
        );
    }
    for c in lead_insight::Column::iter() {
        query.expr_as(
            Expr::col((lead_insight::Entity, c)),
            Alias::new(format!("i_{}", c.as_str())),
        );
    }
    for c in user::Column::iter() {
        query.expr_as(
            Expr::col((user::Entity, c)),
            Alias::new(format!("u_{}", c.as_str())),
        );
    }
    query
        .from_subquery(picked, l.clone())
        .inner_join(
            lead_score::Entity,
            Expr::col((lead_score::Entity, lead_score::Column::LeadId))
                .equals((l.clone(), lead::Column::Id))
                .and(
                    Expr::col((lead_score::Entity, lead_score::Column::Id)).eq(Expr::SubQuery(
                        None,
                        Box::new(current.into_sub_query_statement()),
                    )),
                ),
        )
        .left_join(
            lead_insight::Entity,
            Expr::col((lead_insight::Entity, lead_insight::Column::ScoreId))
                .equals((lead_score::Entity, lead_score::Column::Id)),
        )
        .left_join(
            assignment::Entity,
            Expr::col((assignment::Entity, assignment::Column::LeadId))
                .equals((l.clone(), lead::Column::Id))
                .and(assignment::Column::Status.eq(AssignmentStatus::Active)),
        )
        .left_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((assignment::Entity, assignment::Column::AssigneeId)),
        )
        .order_by((l.clone(), lead::Column::PriorityTier), Order::Asc)
        .order_by_with_nulls(
            (l.clone(), lead::Column::Score),
            Order::Desc,
            NullOrdering::Last,
        )
        .order_by((l, lead::Column::Id), Order::Desc)
        .order_by(
            (lead_insight::Entity, lead_insight::Column::Position),
            Order::Asc,
        );
    // On PostgreSQL the values are written into the SQL, not bound: a
    // statement with parameters is planned afresh on every execution when
    // its generic plan looks costlier (here LIMIT $1 does), and planning
    // this join took 2.5 ms against 0.5 ms to run it. Without parameters the
    // plan is made once per connection and kept with the prepared
    // statement. sea-query quotes every value (ids, enum names, the limit).
    // SQLite plans cheaply, and stores ids as blobs a literal would not match.
    let db = core.reads();
    let statement = match db.get_database_backend() {
        DbBackend::Postgres => {
            Statement::from_string(DbBackend::Postgres, query.to_string(PostgresQueryBuilder))
        }
        backend => StatementBuilder::build(&query, &backend),
    };
    let rows = db.query_all_raw(statement).await?;
    let mut out: Vec<Prioritized> = Vec::new();
    for row in rows {
        let lead_id: Uuid = row.try_get("", "l_id")?;
        if out.last().is_none_or(|line| line.lead.id != lead_id) {
            let assignee = match row.try_get::<Option<Uuid>>("", "u_id")? {
                Some(_) => Some(user::Model::from_query_result(&row, "u_")?),
                None => None,
            };
            out.push(Prioritized {
                lead: lead::Model::from_query_result(&row, "l_")?,
                assignee,
                score: lead_score::Model::from_query_result(&row, "s_")?,
                insights: Vec::new(),
                reasons: Vec::new(),
                talking_points: Vec::new(),
            });
        }
        if row.try_get::<Option<Uuid>>("", "i_id")?.is_some() {
            if let Some(line) = out.last_mut() {
                line.insights
                    .push(lead_insight::Model::from_query_result(&row, "i_")?);
            }
        }
    }
    Ok(out)
}
