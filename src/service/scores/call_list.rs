//! The call list: which leads to call next, best first.
use sea_orm::{sea_query::NullOrdering, ColumnTrait, Order, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{codec::reasons, read::current_for};
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
    let leads = query
        .order_by_asc(lead::Column::PriorityTier)
        .order_by_with_nulls(lead::Column::Score, Order::Desc, NullOrdering::Last)
        .order_by_desc(lead::Column::Id)
        .limit(limit as u64)
        .all(core.db())
        .await?;
    let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
    let mut current = current_for(core, actor, &ids).await?;
    Ok(leads
        .into_iter()
        .filter_map(|lead| {
            let (score, insights) = current.remove(&lead.id)?;
            let talking_points = insights
                .iter()
                .filter(|i| i.kind != InsightKind::Concern)
                .map(|i| i.text.clone())
                .collect();
            Some(Prioritized {
                reasons: reasons(&score, 3),
                talking_points,
                lead,
                score,
                insights,
            })
        })
        .collect())
}
