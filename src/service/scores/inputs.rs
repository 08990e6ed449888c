//! What the engine scores a lead from, read for a whole batch of leads with
//! one query per kind: engagement events, notes, logged activities, and the
//! live inventory.
use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::SimpleExpr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::{
    entity::{
        engagement_event, inventory_item,
        lead::{self, LeadStatus},
        lead_activity::{self, ActivityKind},
        lead_note,
    },
    error::AppResult,
    scoring::{self, EventKind, ScoringInput, Stage, Text, TextSource},
};

/// Signals older than this weigh nothing worth reading (the longest half-life
/// is 14 days: after 180 days a signal keeps 0.01% of its weight).
const HORIZON_DAYS: i64 = 180;
/// Per lead, at most this many events and texts are read; older ones beyond
/// it would change nothing a person could see.
const MAX_EVENTS_PER_LEAD: usize = 5_000;
const MAX_TEXTS_PER_LEAD: usize = 500;

/// The live inventory, as the engine sees it.
pub async fn inventory<C: ConnectionTrait>(conn: &C) -> AppResult<Arc<[scoring::InventoryItem]>> {
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

/// The engine's inputs for a batch of leads, read with one query per kind.
pub struct Gathered {
    events: HashMap<Uuid, Vec<scoring::Event>>,
    texts: HashMap<Uuid, Vec<Text>>,
    last_activity: HashMap<Uuid, DateTime<Utc>>,
}

impl Gathered {
    /// The engine's input for `lead` (its events and texts move out).
    pub fn take(
        &mut self,
        lead: &lead::Model,
        inventory: &Arc<[scoring::InventoryItem]>,
    ) -> ScoringInput {
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
            inventory: inventory.clone(),
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

/// Lead, kind, time and metadata of one engagement event.
pub type EventRow = (Uuid, String, DateTime<Utc>, serde_json::Value);

/// The events of the leads `ids` whose time `when` keeps, in one statement:
/// what scoring (a recent horizon) and training (before each outcome) read.
pub async fn event_rows<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
    when: SimpleExpr,
) -> AppResult<Vec<EventRow>> {
    Ok(engagement_event::Entity::find()
        .select_only()
        .columns([
            engagement_event::Column::LeadId,
            engagement_event::Column::EventType,
            engagement_event::Column::OccurredAt,
            engagement_event::Column::Metadata,
        ])
        .filter(engagement_event::Column::LeadId.is_in(ids.iter().copied()))
        .filter(when)
        .into_tuple()
        .all(conn)
        .await?)
}

/// What a chat message event said, as text the engine reads.
pub fn chat_text(kind: EventKind, metadata: &serde_json::Value, at: DateTime<Utc>) -> Option<Text> {
    let text = metadata.get("text").and_then(serde_json::Value::as_str);
    (kind == EventKind::ChatMessage)
        .then_some(text)
        .flatten()
        .map(|text| Text {
            source: TextSource::Chat,
            text: text.to_string(),
            at,
        })
}

/// An event's duration, capped at a day.
pub fn seconds(metadata: &serde_json::Value) -> Option<u32> {
    metadata
        .get("seconds")
        .and_then(serde_json::Value::as_u64)
        .map(|s| s.min(86_400) as u32)
}

/// Reads the inputs of the leads `ids` at `now`.
pub async fn gather<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<Gathered> {
    let since = now - Duration::days(HORIZON_DAYS);
    let event_rows = event_rows(conn, ids, engagement_event::Column::OccurredAt.gte(since)).await?;
    let mut events: HashMap<Uuid, Vec<scoring::Event>> = HashMap::new();
    let mut texts: HashMap<Uuid, Vec<Text>> = HashMap::new();
    for (lead_id, event_type, at, metadata) in event_rows {
        let Some(kind) = EventKind::parse(&event_type) else {
            continue;
        };
        if let Some(text) = chat_text(kind, &metadata, at) {
            texts.entry(lead_id).or_default().push(text);
        }
        events.entry(lead_id).or_default().push(scoring::Event {
            kind,
            at,
            seconds: seconds(&metadata),
        });
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
