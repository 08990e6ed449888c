//! The call list: which leads to call next, best first.
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, NullOrdering, Query, QueryStatementBuilder},
    ColumnTrait, ConnectionTrait, FromQueryResult, IdenStatic, Iterable, Order, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, StatementBuilder,
};
use uuid::Uuid;

use super::codec::reasons;
use crate::{
    auth::Actor,
    core::Core,
    entity::{
        lead,
        lead_insight::{self, InsightKind},
        lead_score,
    },
    error::{AppError, AppResult},
    service::leads::visibility::{actively_assigned_to, find_visible},
};

/// One line of the call list.
pub struct Prioritized {
    pub lead: lead::Model,
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
    let rows = with_current_scores(core, picked).await?;
    Ok(rows
        .into_iter()
        .map(|(lead, score, insights)| {
            let talking_points = insights
                .iter()
                .filter(|i| i.kind != InsightKind::Concern)
                .map(|i| i.text.clone())
                .collect();
            Prioritized {
                reasons: reasons(&score, 3),
                talking_points,
                lead,
                score,
                insights,
            }
        })
        .collect())
}

/// The leads `picked` selects (already visible to the actor, in call-list
/// order), each with its current score and that score's insights, in one
/// statement: a lead never scored is left out.
async fn with_current_scores(
    core: &Core,
    picked: sea_orm::sea_query::SelectStatement,
) -> AppResult<Vec<(lead::Model, lead_score::Model, Vec<lead_insight::Model>)>> {
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
    let db = core.reads();
    let rows = db
        .query_all_raw(StatementBuilder::build(&query, &db.get_database_backend()))
        .await?;
    let mut out: Vec<(lead::Model, lead_score::Model, Vec<lead_insight::Model>)> = Vec::new();
    for row in rows {
        let lead_id: Uuid = row.try_get("", "l_id")?;
        if out.last().is_none_or(|(lead, _, _)| lead.id != lead_id) {
            out.push((
                lead::Model::from_query_result(&row, "l_")?,
                lead_score::Model::from_query_result(&row, "s_")?,
                Vec::new(),
            ));
        }
        if row.try_get::<Option<Uuid>>("", "i_id")?.is_some() {
            if let Some((_, _, insights)) = out.last_mut() {
                insights.push(lead_insight::Model::from_query_result(&row, "i_")?);
            }
        }
    }
    Ok(out)
}
