//! What was known about each lead of a batch before its own cutoff (its
//! outcome for training, now for scoring), read with one statement per
//! kind: events, logged activities, notes, and the field changes made after
//! the cutoff, which are undone so a lead's fields read as they were.
use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{
    entity::{
        audit_log, engagement_event, lead,
        lead_activity::{self, ActivityKind, Direction},
        lead_note,
    },
    error::AppResult,
    learning::{LeadHistory, Logged, Profile, Touch},
    scoring::{EventKind, InventoryItem, Text, TextSource},
    service::scores::inputs::{chat_text, event_rows, seconds},
};

/// Per lead, at most this many of its newest events are read.
const MAX_EVENTS_PER_LEAD: usize = 5_000;
const MAX_TEXTS_PER_LEAD: usize = 1_500;

/// Kinds people log; the others are written by the system.
const LOGGED: [ActivityKind; 5] = [
    ActivityKind::Call,
    ActivityKind::Email,
    ActivityKind::Meeting,
    ActivityKind::Sms,
    ActivityKind::Other,
];

/// Lead, kind, direction, summary and time of one logged activity.
type ActivityRow = (Uuid, ActivityKind, Option<Direction>, String, DateTime<Utc>);

/// The history of each `(lead, cutoff)`, in the order given.
pub async fn histories<C: ConnectionTrait>(
    conn: &C,
    leads: &[(lead::Model, DateTime<Utc>)],
    inventory: &Arc<[InventoryItem]>,
) -> AppResult<Vec<LeadHistory>> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = leads.iter().map(|(l, _)| l.id).collect();
    let cutoff: HashMap<Uuid, DateTime<Utc>> = leads.iter().map(|(l, at)| (l.id, *at)).collect();
    let latest = leads
        .iter()
        .map(|(_, at)| *at)
        .max()
        .unwrap_or_else(Utc::now);
    let earliest = leads
        .iter()
        .map(|(_, at)| *at)
        .min()
        .unwrap_or_else(Utc::now);
    let before = |id: &Uuid, at: DateTime<Utc>| cutoff.get(id).is_some_and(|c| at < *c);

    let mut events: HashMap<Uuid, Vec<Touch>> = HashMap::new();
    let mut texts: HashMap<Uuid, Vec<Text>> = HashMap::new();
    let rows = event_rows(conn, &ids, engagement_event::Column::OccurredAt.lt(latest)).await?;
    for (lead_id, kind, at, metadata) in rows {
        let Some(kind) = EventKind::parse(&kind).filter(|_| before(&lead_id, at)) else {
            continue;
        };
        if let Some(text) = chat_text(kind, &metadata, at) {
            texts.entry(lead_id).or_default().push(text);
        }
        events.entry(lead_id).or_default().push(Touch {
            kind,
            at,
            seconds: seconds(&metadata),
            pages: metadata.get("pages").and_then(Value::as_f64),
        });
    }
    for list in events
        .values_mut()
        .filter(|l| l.len() > MAX_EVENTS_PER_LEAD)
    {
        list.sort_by_key(|e| std::cmp::Reverse(e.at));
        list.truncate(MAX_EVENTS_PER_LEAD);
    }

    let mut activities: HashMap<Uuid, Vec<Logged>> = HashMap::new();
    let rows: Vec<ActivityRow> = lead_activity::Entity::find()
        .select_only()
        .columns([
            lead_activity::Column::LeadId,
            lead_activity::Column::Kind,
            lead_activity::Column::Direction,
            lead_activity::Column::Summary,
            lead_activity::Column::OccurredAt,
        ])
        .filter(lead_activity::Column::LeadId.is_in(ids.iter().copied()))
        .filter(lead_activity::Column::Kind.is_in(LOGGED))
        .filter(lead_activity::Column::OccurredAt.lt(latest))
        .into_tuple()
        .all(conn)
        .await?;
    for (lead_id, kind, direction, summary, at) in rows {
        if !before(&lead_id, at) {
            continue;
        }
        let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
        activities.entry(lead_id).or_default().push(Logged {
            kind: name(serde_json::json!(kind)),
            direction: direction.map(|d| name(serde_json::json!(d))),
            at,
        });
        texts.entry(lead_id).or_default().push(Text {
            source: TextSource::Activity,
            text: summary,
            at,
        });
    }

    // A note deleted after the cutoff was there before it.
    let rows: Vec<(Uuid, String, DateTime<Utc>)> = lead_note::Entity::find()
        .select_only()
        .columns([
            lead_note::Column::LeadId,
            lead_note::Column::Body,
            lead_note::Column::CreatedAt,
        ])
        .filter(lead_note::Column::LeadId.is_in(ids.iter().copied()))
        .filter(lead_note::Column::CreatedAt.lt(latest))
        .filter(
            Condition::any()
                .add(lead_note::Column::DeletedAt.is_null())
                .add(lead_note::Column::DeletedAt.gte(earliest)),
        )
        .into_tuple()
        .all(conn)
        .await?;
    for (lead_id, body, at) in rows {
        if before(&lead_id, at) {
            texts.entry(lead_id).or_default().push(Text {
                source: TextSource::Note,
                text: body,
                at,
            });
        }
    }
    for list in texts.values_mut().filter(|l| l.len() > MAX_TEXTS_PER_LEAD) {
        list.sort_by_key(|t| std::cmp::Reverse(t.at));
        list.truncate(MAX_TEXTS_PER_LEAD);
    }

    let mut undone = later_changes(conn, &ids, earliest, &cutoff).await?;
    Ok(leads
        .iter()
        .map(|(lead, _)| {
            let (mut profile, mut attributes) = profile_of(lead);
            for diff in undone.remove(&lead.id).unwrap_or_default() {
                undo(&mut profile, &mut attributes, &diff);
            }
            LeadHistory {
                profile,
                attributes,
                events: events.remove(&lead.id).unwrap_or_default(),
                activities: activities.remove(&lead.id).unwrap_or_default(),
                texts: texts.remove(&lead.id).unwrap_or_default(),
                inventory: inventory.clone(),
            }
        })
        .collect())
}

fn profile_of(lead: &lead::Model) -> (Profile, Map<String, Value>) {
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    (
        Profile {
            created_at: lead.created_at,
            source: name(serde_json::json!(lead.source)),
            job_title: lead.job_title.clone(),
            company: lead.company.is_some(),
            email: lead.email.is_some(),
            phone: lead.phone.is_some(),
            budget_min: lead.budget_min,
            budget_max: lead.budget_max,
            currency: lead.currency.clone(),
            product_interest: lead.product_interest.clone(),
            purchase_timeline: lead.purchase_timeline.clone(),
            repeat_customer: lead.is_repeat_customer,
            country: lead.country.clone(),
            city: lead.city.clone(),
        },
        lead.attributes.as_object().cloned().unwrap_or_default(),
    )
}

/// Each lead's field changes made at or after its cutoff, newest first.
async fn later_changes<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
    earliest: DateTime<Utc>,
    cutoff: &HashMap<Uuid, DateTime<Utc>>,
) -> AppResult<HashMap<Uuid, Vec<Value>>> {
    let rows: Vec<(Option<Uuid>, DateTime<Utc>, Option<Value>)> = audit_log::Entity::find()
        .select_only()
        .columns([
            audit_log::Column::EntityId,
            audit_log::Column::OccurredAt,
            audit_log::Column::Details,
        ])
        .filter(audit_log::Column::Action.eq("lead.updated"))
        .filter(audit_log::Column::EntityType.eq("lead"))
        .filter(audit_log::Column::EntityId.is_in(ids.iter().copied()))
        .filter(audit_log::Column::OccurredAt.gte(earliest))
        .into_tuple()
        .all(conn)
        .await?;
    let mut by_lead: HashMap<Uuid, Vec<(DateTime<Utc>, Value)>> = HashMap::new();
    for (lead_id, at, details) in rows {
        let (Some(lead_id), Some(details)) = (lead_id, details) else {
            continue;
        };
        if cutoff.get(&lead_id).is_some_and(|c| at >= *c) {
            by_lead.entry(lead_id).or_default().push((at, details));
        }
    }
    Ok(by_lead
        .into_iter()
        .map(|(id, mut diffs)| {
            diffs.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
            (id, diffs.into_iter().map(|(_, d)| d).collect())
        })
        .collect())
}

/// Puts back what one audited change replaced (`{"field": {"before": ..}}`).
fn undo(profile: &mut Profile, attributes: &mut Map<String, Value>, diff: &Value) {
    let Some(fields) = diff.as_object() else {
        return;
    };
    for (field, change) in fields {
        let before = &change["before"];
        let text = || before.as_str().map(str::to_string);
        match field.as_str() {
            "source" => profile.source = text().unwrap_or_default(),
            "jobTitle" => profile.job_title = text(),
            "company" => profile.company = !before.is_null(),
            "email" => profile.email = !before.is_null(),
            "phone" => profile.phone = !before.is_null(),
            "budgetMin" => profile.budget_min = before.as_i64(),
            "budgetMax" => profile.budget_max = before.as_i64(),
            "currency" => profile.currency = text().unwrap_or_default(),
            "productInterest" => profile.product_interest = text(),
            "purchaseTimeline" => profile.purchase_timeline = text(),
            "isRepeatCustomer" => profile.repeat_customer = before.as_bool().unwrap_or(false),
            "country" => profile.country = text(),
            "city" => profile.city = text(),
            "attributes" => *attributes = before.as_object().cloned().unwrap_or_default(),
            _ => {}
        }
    }
}
