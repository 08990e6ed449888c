//! Scoring leads and keeping the result: history when the result changes,
//! the latest on the lead row for sorting.
//!
//! One lead or five hundred cost the same handful of statements: inputs are
//! read for the whole batch (one query per kind), scored in memory, and
//! written back with multi-row statements. Callers hold the leads' rows
//! locked (`FOR NO KEY UPDATE` on PostgreSQL) inside the transaction that
//! made the change, so two events for one lead scored at once queue up and
//! the later run reads both: no update is lost.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Alias, Expr, Func, LockType, Query, WindowStatement},
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, StatementBuilder,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    bus::{self, Event},
    entity::{
        assignment::{self, AssignmentStatus},
        engagement_event, inventory_item,
        lead::{self, LeadStatus},
        lead_activity::{self, ActivityKind},
        lead_insight, lead_note, lead_score,
    },
    error::AppResult,
    scoring::{
        self, Classification, EventKind, Score, ScoringInput, Stage, Text, TextSource, Thresholds,
    },
    service::{
        notifications::{self, lead_label, Kind, Notice},
        score_store,
        scores::{classification_name, confidence_name, insight_name, tier_name},
    },
};

/// Signals older than this weigh nothing worth reading (the longest half-life
/// is 14 days: after 180 days a signal keeps 0.01% of its weight).
const HORIZON_DAYS: i64 = 180;
/// Per lead, at most this many events and texts are read; older ones beyond
/// it would change nothing a person could see.
const MAX_EVENTS_PER_LEAD: usize = 5_000;
const MAX_TEXTS_PER_LEAD: usize = 500;
/// Leads per lock statement, far below both backends' bind limits.
const LEADS_PER_STATEMENT: usize = 500;

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

/// Locks and rescores one lead; none if it is gone.
pub async fn rescore<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
    thresholds: Thresholds,
) -> AppResult<Option<lead_score::Model>> {
    Ok(rescore_ids(conn, &[lead_id], thresholds).await?.pop())
}

/// Locks the live leads among `ids` (in id order, so two callers never wait
/// on each other in a cycle) and rescores them.
pub async fn rescore_ids<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
    thresholds: Thresholds,
) -> AppResult<Vec<lead_score::Model>> {
    let mut stored = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(LEADS_PER_STATEMENT) {
        let leads = lead::Entity::find()
            .filter(lead::Column::Id.is_in(chunk.iter().copied()))
            .filter(lead::Column::DeletedAt.is_null())
            .order_by_asc(lead::Column::Id)
            .lock(LockType::NoKeyUpdate)
            .all(conn)
            .await?;
        let inventory = inventory(conn).await?;
        stored.extend(rescore_leads(conn, &leads, &inventory, thresholds, Utc::now()).await?);
    }
    Ok(stored)
}

/// Scores `leads` (already locked by the caller) at `now` and keeps the
/// results; returns the stored score of each, in the order given.
pub async fn rescore_leads<C: ConnectionTrait>(
    conn: &C,
    leads: &[lead::Model],
    inventory: &[scoring::InventoryItem],
    thresholds: Thresholds,
    now: DateTime<Utc>,
) -> AppResult<Vec<lead_score::Model>> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
    let mut inputs = gather(conn, &ids, now).await?;
    let previous = latest_results(conn, &ids).await?;

    let mut rows = Vec::with_capacity(leads.len());
    let mut refreshed = Vec::new();
    let mut insights = Vec::new();
    let mut changed = Vec::new();
    let mut turned_hot = Vec::new();
    for lead in leads {
        let input = inputs.take(lead, inventory.to_vec());
        let score = scoring::score(&input, now, thresholds);
        let prev = previous.get(&lead.id);
        let row = match prev {
            // Same result: the latest row stays the one history entry for it,
            // but its figures, evidence and insights are brought up to date.
            Some(prev) if prev.same_as(&score) => {
                refreshed.push(prev.id);
                score_row(prev.id, lead.id, &score)
            }
            _ => {
                changed.push(Event::ScoreChanged { lead_id: lead.id });
                score_row(Uuid::now_v7(), lead.id, &score)
            }
        };
        let was_hot =
            prev.is_some_and(|p| p.classification == classification_name(Classification::Hot));
        if score.classification == Classification::Hot && !was_hot {
            turned_hot.push((lead, reasons_of(&score)));
        }
        insights.extend(insight_rows(&row, &score));
        rows.push(row);
    }

    score_store::save(conn, &rows, &refreshed, &insights).await?;
    notify_hot(conn, &turned_hot, &rows).await?;
    bus::publish(conn, &changed).await?;
    Ok(rows)
}

/// The strongest evidence of a score, for a notification's body.
fn reasons_of(score: &Score) -> String {
    let mut factors: Vec<_> = score
        .factors
        .iter()
        .filter(|f| f.points > 0.0 && !f.evidence.is_empty())
        .collect();
    factors.sort_by(|a, b| b.points.total_cmp(&a.points));
    let top: Vec<&str> = factors
        .iter()
        .take(2)
        .map(|f| f.evidence.as_str())
        .collect();
    top.join("; ")
}

/// Tells each lead's assignee that it crossed into HOT.
async fn notify_hot<C: ConnectionTrait>(
    conn: &C,
    turned_hot: &[(&lead::Model, String)],
    rows: &[lead_score::Model],
) -> AppResult<()> {
    if turned_hot.is_empty() {
        return Ok(());
    }
    let owners: HashMap<Uuid, Uuid> = assignment::Entity::find()
        .filter(assignment::Column::LeadId.is_in(turned_hot.iter().map(|(l, _)| l.id)))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Active))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.lead_id, a.assignee_id))
        .collect();
    let totals: HashMap<Uuid, i32> = rows.iter().map(|r| (r.lead_id, r.total)).collect();
    let notices = turned_hot
        .iter()
        .filter_map(|(lead, reasons)| {
            let user_id = *owners.get(&lead.id)?;
            let total = totals.get(&lead.id).copied().unwrap_or_default();
            Some(Notice {
                user_id,
                kind: Kind::LeadBecameHot,
                title: "One of your leads turned HOT".into(),
                body: format!("{} now scores {total}: {reasons}", lead_label(lead)),
                lead_id: Some(lead.id),
            })
        })
        .collect();
    notifications::push(conn, notices).await
}

/// The engine's inputs for a batch of leads, read with one query per kind.
struct Gathered {
    events: HashMap<Uuid, Vec<scoring::Event>>,
    texts: HashMap<Uuid, Vec<Text>>,
    last_activity: HashMap<Uuid, DateTime<Utc>>,
}

impl Gathered {
    fn take(&mut self, lead: &lead::Model, inventory: Vec<scoring::InventoryItem>) -> ScoringInput {
        let stage = match lead.status {
            LeadStatus::Won | LeadStatus::Lost => Stage::Closed,
            LeadStatus::Proposal | LeadStatus::Negotiation => Stage::Late,
            _ => Stage::Open,
        };
        ScoringInput {
            lead: scoring::LeadFacts {
                has_contact: lead.email.is_some() || lead.phone.is_some(),
                budget_min: lead.budget_min,
                budget_max: lead.budget_max,
                currency: lead.currency.clone(),
                product_interest: lead.product_interest.clone(),
                purchase_timeline: lead.purchase_timeline.clone(),
                is_repeat_customer: lead.is_repeat_customer,
                stage: Some(stage),
                last_activity_at: self.last_activity.get(&lead.id).copied(),
            },
            events: self.events.remove(&lead.id).unwrap_or_default(),
            texts: self.texts.remove(&lead.id).unwrap_or_default(),
            inventory,
        }
    }
}

/// Keeps the newest `max` of each lead's items.
fn newest<T>(by_lead: &mut HashMap<Uuid, Vec<T>>, max: usize, at: impl Fn(&T) -> DateTime<Utc>) {
    for items in by_lead.values_mut().filter(|items| items.len() > max) {
        items.sort_by_key(|item| std::cmp::Reverse(at(item)));
        items.truncate(max);
    }
}

async fn gather<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<Gathered> {
    let since = now - Duration::days(HORIZON_DAYS);
    let event_rows: Vec<(Uuid, String, DateTime<Utc>, serde_json::Value)> =
        engagement_event::Entity::find()
            .select_only()
            .columns([
                engagement_event::Column::LeadId,
                engagement_event::Column::EventType,
                engagement_event::Column::OccurredAt,
                engagement_event::Column::Metadata,
            ])
            .filter(engagement_event::Column::LeadId.is_in(ids.iter().copied()))
            .filter(engagement_event::Column::OccurredAt.gte(since))
            .into_tuple()
            .all(conn)
            .await?;
    let mut events: HashMap<Uuid, Vec<scoring::Event>> = HashMap::new();
    let mut texts: HashMap<Uuid, Vec<Text>> = HashMap::new();
    for (lead_id, event_type, at, metadata) in event_rows {
        let Some(kind) = EventKind::parse(&event_type) else {
            continue;
        };
        if kind == EventKind::ChatMessage {
            if let Some(text) = metadata.get("text").and_then(|t| t.as_str()) {
                texts.entry(lead_id).or_default().push(Text {
                    source: TextSource::Chat,
                    text: text.to_string(),
                    at,
                });
            }
        }
        let seconds = metadata
            .get("seconds")
            .and_then(|s| s.as_u64())
            .map(|s| s.min(86_400) as u32);
        events
            .entry(lead_id)
            .or_default()
            .push(scoring::Event { kind, at, seconds });
    }
    newest(&mut events, MAX_EVENTS_PER_LEAD, |e| e.at);

    let notes: Vec<(Uuid, String, DateTime<Utc>)> = lead_note::Entity::find()
        .select_only()
        .columns([
            lead_note::Column::LeadId,
            lead_note::Column::Body,
            lead_note::Column::CreatedAt,
        ])
        .filter(lead_note::Column::LeadId.is_in(ids.iter().copied()))
        .filter(lead_note::Column::DeletedAt.is_null())
        .filter(lead_note::Column::CreatedAt.gte(since))
        .into_tuple()
        .all(conn)
        .await?;
    for (lead_id, text, at) in notes {
        texts.entry(lead_id).or_default().push(Text {
            source: TextSource::Note,
            text,
            at,
        });
    }

    let spoken = [
        ActivityKind::Call,
        ActivityKind::Email,
        ActivityKind::Meeting,
        ActivityKind::Sms,
        ActivityKind::Other,
    ];
    let activities: Vec<(Uuid, String, DateTime<Utc>)> = lead_activity::Entity::find()
        .select_only()
        .columns([
            lead_activity::Column::LeadId,
            lead_activity::Column::Summary,
            lead_activity::Column::OccurredAt,
        ])
        .filter(lead_activity::Column::LeadId.is_in(ids.iter().copied()))
        .filter(lead_activity::Column::Kind.is_in(spoken))
        .filter(lead_activity::Column::OccurredAt.gte(since))
        .into_tuple()
        .all(conn)
        .await?;
    let mut last_activity: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for (lead_id, text, at) in activities {
        let last = last_activity.entry(lead_id).or_insert(at);
        *last = (*last).max(at);
        texts.entry(lead_id).or_default().push(Text {
            source: TextSource::Activity,
            text,
            at,
        });
    }
    newest(&mut texts, MAX_TEXTS_PER_LEAD * 3, |t| t.at);
    Ok(Gathered {
        events,
        texts,
        last_activity,
    })
}

/// What decides whether a new score is a new history entry.
#[derive(Debug, FromQueryResult)]
struct StoredResult {
    id: Uuid,
    lead_id: Uuid,
    total: i32,
    classification: String,
    priority_tier: String,
    confidence_level: String,
    model_version: String,
}

impl StoredResult {
    fn same_as(&self, score: &Score) -> bool {
        self.total == i32::from(score.total)
            && self.classification == classification_name(score.classification)
            && self.priority_tier == tier_name(score.priority_tier)
            && self.confidence_level == confidence_name(score.confidence_level)
            && self.model_version == score.model_version
    }
}

/// The newest stored result of each lead, in one statement.
async fn latest_results<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, StoredResult>> {
    use lead_score::Column;
    use sea_orm::sea_query::ExprTrait;
    let rank = Alias::new("rank_in_lead");
    let ranked = Query::select()
        .columns([
            Column::Id,
            Column::LeadId,
            Column::Total,
            Column::Classification,
            Column::PriorityTier,
            Column::ConfidenceLevel,
            Column::ModelVersion,
        ])
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            WindowStatement::partition_by(Column::LeadId)
                .order_by(Column::ScoredAt, sea_orm::Order::Desc)
                .order_by(Column::Id, sea_orm::Order::Desc)
                .take(),
            rank.clone(),
        )
        .from(lead_score::Entity)
        .and_where(Column::LeadId.is_in(ids.iter().copied()))
        .take();
    let outer = Query::select()
        .expr(Expr::cust("*"))
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(1))
        .take();
    let statement = StatementBuilder::build(&outer, &conn.get_database_backend());
    Ok(StoredResult::find_by_statement(statement)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.lead_id, r))
        .collect())
}

fn factors_json(score: &Score) -> serde_json::Value {
    let factors: Vec<_> = score
        .factors
        .iter()
        .map(|f| json!({ "name": f.name, "category": format!("{:?}", f.category), "points": f.points, "maxPoints": f.max_points, "evidence": f.evidence }))
        .collect();
    json!(factors)
}

fn score_row(id: Uuid, lead_id: Uuid, score: &Score) -> lead_score::Model {
    lead_score::Model {
        id,
        lead_id,
        total: i32::from(score.total),
        engagement_score: score.engagement,
        buying_signal_score: score.buying_signals,
        demographic_score: score.demographic,
        confidence: score.confidence,
        confidence_level: confidence_name(score.confidence_level).into(),
        classification: classification_name(score.classification).into(),
        priority_tier: tier_name(score.priority_tier).into(),
        factors: factors_json(score),
        missing: json!(score.missing),
        model_version: score.model_version.into(),
        scored_at: score.scored_at,
    }
}

fn insight_rows(row: &lead_score::Model, score: &Score) -> Vec<lead_insight::Model> {
    score
        .insights
        .iter()
        .enumerate()
        .map(|(position, insight)| lead_insight::Model {
            id: Uuid::now_v7(),
            lead_id: row.lead_id,
            score_id: row.id,
            kind: insight_name(insight.kind).into(),
            text: insight.text.clone(),
            evidence: json!([insight.evidence]),
            position: position as i32,
            created_at: score.scored_at,
        })
        .collect()
}
