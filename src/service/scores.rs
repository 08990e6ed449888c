//! Scoring leads: gathers a lead's inputs, runs the pure engine and keeps
//! the result (history when it changes, the latest on the lead for sorting).
//!
//! [`rescore`] locks the lead's row first (PostgreSQL), so two events for one
//! lead scored at once queue up, and the later run reads both: no update is
//! lost. Callers run it inside the transaction that made the change.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Expr, LockType},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    entity::{
        engagement_event, inventory_item,
        lead::{self, LeadStatus},
        lead_activity::{self, ActivityKind},
        lead_insight, lead_note, lead_score,
    },
    error::AppResult,
    scoring::{
        self, Classification, ConfidenceLevel, EventKind, InsightKind, PriorityTier, Score,
        ScoringInput, Stage, Text, TextSource, Thresholds,
    },
    service::engagement,
};

/// Signals older than this weigh nothing worth reading (the longest half-life
/// is 14 days: after 180 days a signal keeps 0.01% of its weight).
const HORIZON_DAYS: i64 = 180;

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

/// The live inventory, as the engine sees it.
pub async fn inventory<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<scoring::InventoryItem>> {
    let items = inventory_item::Entity::find()
        .filter(inventory_item::Column::DeletedAt.is_null())
        .limit(2_000)
        .all(conn)
        .await?;
    Ok(items
        .into_iter()
        .map(|i| scoring::InventoryItem {
            name: i.name,
            category: i.category,
            price: i.price,
            currency: i.currency,
            quantity_available: i.quantity_available,
        })
        .collect())
}

fn event_of(e: &engagement_event::Model) -> Option<scoring::Event> {
    let kind = EventKind::parse(&e.event_type)?;
    let seconds = e
        .metadata
        .get("seconds")
        .and_then(|s| s.as_u64())
        .map(|s| s.min(86_400) as u32);
    Some(scoring::Event {
        kind,
        at: e.occurred_at,
        seconds,
    })
}

/// Everything the engine reads about one lead.
pub async fn input_for<C: ConnectionTrait>(
    conn: &C,
    lead: &lead::Model,
    inventory: Vec<scoring::InventoryItem>,
    now: DateTime<Utc>,
) -> AppResult<ScoringInput> {
    let since = now - Duration::days(HORIZON_DAYS);
    let events = engagement::for_lead(conn, lead.id, since).await?;
    let mut texts: Vec<Text> = events
        .iter()
        .filter(|e| e.event_type == EventKind::ChatMessage.as_str())
        .filter_map(|e| {
            e.metadata
                .get("text")
                .and_then(|t| t.as_str())
                .map(|t| Text {
                    source: TextSource::Chat,
                    text: t.to_string(),
                    at: e.occurred_at,
                })
        })
        .collect();
    let notes = lead_note::Entity::find()
        .filter(lead_note::Column::LeadId.eq(lead.id))
        .filter(lead_note::Column::DeletedAt.is_null())
        .filter(lead_note::Column::CreatedAt.gte(since))
        .limit(500)
        .all(conn)
        .await?;
    texts.extend(notes.into_iter().map(|n| Text {
        source: TextSource::Note,
        text: n.body,
        at: n.created_at,
    }));
    let spoken = [
        ActivityKind::Call,
        ActivityKind::Email,
        ActivityKind::Meeting,
        ActivityKind::Sms,
        ActivityKind::Other,
    ];
    let activities = lead_activity::Entity::find()
        .filter(lead_activity::Column::LeadId.eq(lead.id))
        .filter(lead_activity::Column::Kind.is_in(spoken))
        .filter(lead_activity::Column::OccurredAt.gte(since))
        .limit(500)
        .all(conn)
        .await?;
    let last_activity_at = activities.iter().map(|a| a.occurred_at).max();
    texts.extend(activities.into_iter().map(|a| Text {
        source: TextSource::Activity,
        text: a.summary,
        at: a.occurred_at,
    }));
    let stage = match lead.status {
        LeadStatus::Won | LeadStatus::Lost => Stage::Closed,
        LeadStatus::Proposal | LeadStatus::Negotiation => Stage::Late,
        _ => Stage::Open,
    };
    Ok(ScoringInput {
        lead: scoring::LeadFacts {
            has_contact: lead.email.is_some() || lead.phone.is_some(),
            budget_min: lead.budget_min,
            budget_max: lead.budget_max,
            currency: lead.currency.clone(),
            product_interest: lead.product_interest.clone(),
            purchase_timeline: lead.purchase_timeline.clone(),
            is_repeat_customer: lead.is_repeat_customer,
            stage: Some(stage),
            last_activity_at,
        },
        events: events.iter().filter_map(event_of).collect(),
        texts,
        inventory,
    })
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

fn same_result(stored: &lead_score::Model, score: &Score) -> bool {
    stored.total == i32::from(score.total)
        && stored.classification == classification_name(score.classification)
        && stored.priority_tier == tier_name(score.priority_tier)
        && stored.confidence_level == confidence_name(score.confidence_level)
        && stored.model_version == score.model_version
}

/// Scores the lead now and keeps the result; none if the lead is gone.
/// `inventory` may be passed in by bulk callers; otherwise it is read.
pub async fn rescore<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
    thresholds: Thresholds,
    inventory: Option<Vec<scoring::InventoryItem>>,
) -> AppResult<Option<lead_score::Model>> {
    let Some(lead) = lead::Entity::find_by_id(lead_id)
        .filter(lead::Column::DeletedAt.is_null())
        .lock(LockType::NoKeyUpdate)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let inventory = match inventory {
        Some(items) => items,
        None => self::inventory(conn).await?,
    };
    let input = input_for(conn, &lead, inventory, now).await?;
    let score = scoring::score(&input, now, thresholds);
    let previous = latest(conn, lead_id).await?;
    let stored = match previous {
        // Same result: the latest row stays the one history entry for it, but
        // its figures, evidence and insights are brought up to date.
        Some(prev) if same_result(&prev, &score) => refresh(conn, prev, &score).await?,
        _ => store(conn, lead_id, &score).await?,
    };
    lead::Entity::update_many()
        .col_expr(lead::Column::Score, Expr::value(i32::from(score.total)))
        .col_expr(
            lead::Column::Classification,
            Expr::value(classification_name(score.classification)),
        )
        .col_expr(
            lead::Column::PriorityTier,
            Expr::value(score.priority_tier.map(|t| tier_name(Some(t)))),
        )
        .col_expr(lead::Column::ScoreConfidence, Expr::value(score.confidence))
        .col_expr(lead::Column::ScoredAt, Expr::value(now))
        .filter(lead::Column::Id.eq(lead_id))
        .exec(conn)
        .await?;
    Ok(Some(stored))
}

fn factors_json(score: &Score) -> serde_json::Value {
    let factors: Vec<_> = score
        .factors
        .iter()
        .map(|f| json!({ "name": f.name, "category": format!("{:?}", f.category), "points": f.points, "maxPoints": f.max_points, "evidence": f.evidence }))
        .collect();
    json!(factors)
}

async fn refresh<C: ConnectionTrait>(
    conn: &C,
    prev: lead_score::Model,
    score: &Score,
) -> AppResult<lead_score::Model> {
    let mut row: lead_score::ActiveModel = prev.into();
    row.engagement_score = Set(score.engagement);
    row.buying_signal_score = Set(score.buying_signals);
    row.demographic_score = Set(score.demographic);
    row.confidence = Set(score.confidence);
    row.factors = Set(factors_json(score));
    row.missing = Set(json!(score.missing));
    row.scored_at = Set(score.scored_at);
    let row = row.update(conn).await?;
    lead_insight::Entity::delete_many()
        .filter(lead_insight::Column::ScoreId.eq(row.id))
        .exec(conn)
        .await?;
    insert_insights(conn, &row, score).await?;
    Ok(row)
}

async fn store<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
    score: &Score,
) -> AppResult<lead_score::Model> {
    let row = lead_score::ActiveModel {
        id: Set(Uuid::now_v7()),
        lead_id: Set(lead_id),
        total: Set(i32::from(score.total)),
        engagement_score: Set(score.engagement),
        buying_signal_score: Set(score.buying_signals),
        demographic_score: Set(score.demographic),
        confidence: Set(score.confidence),
        confidence_level: Set(confidence_name(score.confidence_level).into()),
        classification: Set(classification_name(score.classification).into()),
        priority_tier: Set(tier_name(score.priority_tier).into()),
        factors: Set(factors_json(score)),
        missing: Set(json!(score.missing)),
        model_version: Set(score.model_version.into()),
        scored_at: Set(score.scored_at),
    }
    .insert(conn)
    .await?;
    insert_insights(conn, &row, score).await?;
    Ok(row)
}

async fn insert_insights<C: ConnectionTrait>(
    conn: &C,
    row: &lead_score::Model,
    score: &Score,
) -> AppResult<()> {
    for (position, insight) in score.insights.iter().enumerate() {
        lead_insight::ActiveModel {
            id: Set(Uuid::now_v7()),
            lead_id: Set(row.lead_id),
            score_id: Set(row.id),
            kind: Set(insight_name(insight.kind).into()),
            text: Set(insight.text.clone()),
            evidence: Set(json!([insight.evidence])),
            position: Set(position as i32),
            created_at: Set(score.scored_at),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
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
    let score = rescore(&txn, lead_id, thresholds, None)
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
