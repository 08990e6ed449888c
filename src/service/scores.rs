//! Reading scores: the current one, history, and the prioritized call list.
//! Computing and storing them is [`rescoring`](super::rescoring).
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::{
    entity::{lead, lead_insight, lead_score},
    error::AppResult,
    scoring::{Classification, ConfidenceLevel, InsightKind, PriorityTier, Thresholds},
};

pub fn classification_name(c: Classification) -> &'static str {
    match c {
        Classification::Hot => "HOT",
        Classification::Warm => "WARM",
        Classification::Cold => "COLD",
    }
}

pub fn tier_name(t: Option<PriorityTier>) -> &'static str {
    match t {
        Some(PriorityTier::P1) => "P1",
        Some(PriorityTier::P2) => "P2",
        Some(PriorityTier::P3) => "P3",
        Some(PriorityTier::P4) => "P4",
        None => "NONE",
    }
}

pub fn confidence_name(c: ConfidenceLevel) -> &'static str {
    match c {
        ConfidenceLevel::Low => "LOW",
        ConfidenceLevel::Medium => "MEDIUM",
        ConfidenceLevel::High => "HIGH",
    }
}

pub fn insight_name(k: InsightKind) -> &'static str {
    match k {
        InsightKind::TalkingPoint => "TALKING_POINT",
        InsightKind::Concern => "CONCERN",
        InsightKind::Opportunity => "OPPORTUNITY",
    }
}

/// The newest stored score of a lead.
pub async fn latest<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
) -> AppResult<Option<lead_score::Model>> {
    Ok(lead_score::Entity::find()
        .filter(lead_score::Column::LeadId.eq(lead_id))
        .order_by_desc(lead_score::Column::ScoredAt)
        .order_by_desc(lead_score::Column::Id)
        .one(conn)
        .await?)
}

/// The insights of a stored score, in order.
pub async fn insights<C: ConnectionTrait>(
    conn: &C,
    score_id: Uuid,
) -> AppResult<Vec<lead_insight::Model>> {
    Ok(lead_insight::Entity::find()
        .filter(lead_insight::Column::ScoreId.eq(score_id))
        .order_by_asc(lead_insight::Column::Position)
        .all(conn)
        .await?)
}

/// The lead's current score and its insights, if it has been scored.
pub async fn current(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::auth::Actor,
    lead_id: Uuid,
) -> AppResult<Option<(lead_score::Model, Vec<lead_insight::Model>)>> {
    crate::service::leads::get(db, actor, lead_id).await?;
    let Some(score) = latest(db, lead_id).await? else {
        return Ok(None);
    };
    let insights = insights(db, score.id).await?;
    Ok(Some((score, insights)))
}

/// Scores the lead now (a manual refresh) and returns the result.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id))]
pub async fn score_now(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::auth::Actor,
    lead_id: Uuid,
    thresholds: Thresholds,
) -> AppResult<(lead_score::Model, Vec<lead_insight::Model>)> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    crate::service::leads::get(&txn, actor, lead_id).await?;
    let score = crate::service::rescoring::rescore(&txn, lead_id, thresholds)
        .await?
        .ok_or(crate::error::AppError::NotFound("lead"))?;
    let insights = insights(&txn, score.id).await?;
    txn.commit().await?;
    Ok((score, insights))
}

/// Past scores, newest first (a row is kept whenever the result changed).
pub async fn history(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::auth::Actor,
    lead_id: Uuid,
    page: crate::service::page::PageRequest,
) -> AppResult<crate::service::page::Page<lead_score::Model>> {
    crate::service::leads::get(db, actor, lead_id).await?;
    let mut query = lead_score::Entity::find().filter(lead_score::Column::LeadId.eq(lead_id));
    // UUID v7 ids grow with time: id order is scoring order.
    if let Some(after) = page.after {
        query = query.filter(lead_score::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(lead_score::Column::Id)
        .limit(page.limit() + 1)
        .all(db)
        .await?;
    Ok(page.page(rows))
}

/// One line of the call list.
pub struct Prioritized {
    pub lead: lead::Model,
    pub score: lead_score::Model,
    pub insights: Vec<lead_insight::Model>,
}

/// Which leads to call next: prioritized leads by tier (P1 first), then
/// score. A sales rep gets their own; managers and admins all, or one
/// assignee's. WON and LOST leads have no tier and never appear.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, limit))]
pub async fn prioritized(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::auth::Actor,
    limit: i64,
    assignee: Option<Uuid>,
) -> AppResult<Vec<Prioritized>> {
    use crate::error::AppError;
    if !(1..=50).contains(&limit) {
        return Err(AppError::bad_input("limit", "limit must be from 1 to 50"));
    }
    if assignee.is_some_and(|id| id != actor.user_id) && !actor.is_manager_or_admin() {
        return Err(AppError::Forbidden(
            "a sales rep's call list holds only their own leads".into(),
        ));
    }
    let mut query =
        crate::service::leads::find_visible(actor).filter(lead::Column::PriorityTier.is_not_null());
    if let Some(id) = assignee {
        query = query.filter(crate::service::leads::actively_assigned_to(id));
    }
    let leads = query
        .order_by_asc(lead::Column::PriorityTier)
        .order_by_with_nulls(
            lead::Column::Score,
            sea_orm::Order::Desc,
            sea_orm::sea_query::NullOrdering::Last,
        )
        .order_by_desc(lead::Column::Id)
        .limit(limit as u64)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
    // The newest score of each lead, then their insights: two statements in all.
    let mut newest: std::collections::HashMap<Uuid, lead_score::Model> =
        std::collections::HashMap::new();
    for s in lead_score::Entity::find()
        .filter(lead_score::Column::LeadId.is_in(ids.clone()))
        .order_by_desc(lead_score::Column::Id)
        .all(db)
        .await?
    {
        newest.entry(s.lead_id).or_insert(s);
    }
    let score_ids: Vec<Uuid> = newest.values().map(|s| s.id).collect();
    let mut insights_by_score: std::collections::HashMap<Uuid, Vec<lead_insight::Model>> =
        std::collections::HashMap::new();
    for i in lead_insight::Entity::find()
        .filter(lead_insight::Column::ScoreId.is_in(score_ids))
        .order_by_asc(lead_insight::Column::Position)
        .all(db)
        .await?
    {
        insights_by_score.entry(i.score_id).or_default().push(i);
    }
    Ok(leads
        .into_iter()
        .filter_map(|lead| {
            let score = newest.remove(&lead.id)?;
            let insights = insights_by_score.remove(&score.id).unwrap_or_default();
            Some(Prioritized {
                lead,
                score,
                insights,
            })
        })
        .collect())
}

/// Why a lead ranks where it does: its strongest factors' evidence.
pub fn reasons(score: &lead_score::Model) -> Vec<String> {
    let mut factors: Vec<(f64, String)> = score
        .factors
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|f| Some((f["points"].as_f64()?, f["evidence"].as_str()?.to_string())))
                .filter(|(points, evidence)| *points > 0.0 && !evidence.is_empty())
                .collect()
        })
        .unwrap_or_default();
    factors.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    factors
        .into_iter()
        .take(3)
        .map(|(_, evidence)| evidence)
        .collect()
}
