//! Engagement events: what integrations (and people) report a lead did.
//!
//! A batch is all or nothing: every event is checked first and the problems
//! are reported by index. `externalId` makes a retried delivery idempotent:
//! an event whose external id is already stored is not stored again, and the
//! stored one is returned in its place.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{engagement_event, lead},
    error::{AppError, AppResult},
    scoring::EventKind,
    service::{leads::visibility::find_visible, scores::rescoring},
};

pub const MAX_BATCH: usize = 1_000;
pub const MAX_METADATA_BYTES: usize = 4 * 1024;

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub lead_id: Uuid,
    pub kind: EventKind,
    pub occurred_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    pub metadata: Option<Value>,
}

fn chat_text_ok(text: Option<&Value>) -> bool {
    text.and_then(Value::as_str)
        .is_some_and(|t| !t.trim().is_empty() && t.chars().count() <= 10_000)
}

fn item_id_ok(id: Option<&Value>) -> bool {
    id.and_then(Value::as_str)
        .is_some_and(|id| Uuid::parse_str(id).is_ok())
}

/// What is wrong with one event, as (field, message) pairs.
fn problems(prefix: &str, event: &NewEvent, now: DateTime<Utc>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut bad =
        |field: &str, message: &str| out.push((format!("{prefix}{field}"), message.to_string()));
    if event
        .occurred_at
        .is_some_and(|at| at > now + Duration::minutes(5))
    {
        bad(
            "occurred_at",
            "must not be more than 5 minutes in the future",
        );
    }
    if let Some(id) = &event.external_id {
        if id.trim().is_empty() || id.chars().count() > 200 {
            bad("external_id", "must be 1 to 200 characters");
        }
    }
    let metadata = event.metadata.clone().unwrap_or_else(|| json!({}));
    let Some(fields) = metadata.as_object() else {
        bad("metadata", "must be a JSON object");
        return out;
    };
    if metadata.to_string().len() > MAX_METADATA_BYTES {
        bad(
            "metadata",
            &format!("must be at most {MAX_METADATA_BYTES} bytes of JSON"),
        );
    }
    match event.kind {
        EventKind::PageView => {
            if fields
                .get("seconds")
                .is_some_and(|s| s.as_u64().is_none_or(|s| s > 86_400))
            {
                bad(
                    "metadata.seconds",
                    "must be a whole number of seconds from 0 to 86400",
                );
            }
            if fields
                .get("pages")
                .is_some_and(|p| p.as_f64().is_none_or(|p| !(0.0..=1000.0).contains(&p)))
            {
                bad("metadata.pages", "must be a number of pages from 0 to 1000");
            }
            if fields
                .get("url")
                .is_some_and(|u| u.as_str().is_none_or(|u| u.len() > 2048))
            {
                bad(
                    "metadata.url",
                    "must be a string of at most 2048 characters",
                );
            }
        }
        EventKind::ChatMessage if !chat_text_ok(fields.get("text")) => {
            bad(
                "metadata.text",
                "a chat message needs its text (1 to 10000 characters)",
            );
        }
        EventKind::InventoryViewed if !item_id_ok(fields.get("inventoryItemId")) => {
            bad("metadata.inventoryItemId", "must name an inventory item id");
        }
        _ => {}
    }
    out
}

/// Records events for leads `actor` may see. Returns one stored event per
/// input, in order (the earlier one for a repeated `externalId`), and
/// rescores the leads that gained events.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, events = events.len()))]
pub async fn record(
    core: &Core,
    actor: &Actor,
    events: Vec<NewEvent>,
) -> AppResult<Vec<engagement_event::Model>> {
    actor.may(Scope::EventsWrite)?;
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(AppError::bad_input(
            "",
            format!("send 1 to {MAX_BATCH} events"),
        ));
    }
    let now = Utc::now();
    // Problems are named by the event's index; the caller says what of.
    let prefix = |i: usize| format!("[{i}].");
    let mut issues: Vec<(String, String)> = events
        .iter()
        .enumerate()
        .flat_map(|(i, e)| problems(&prefix(i), e, now))
        .collect();

    let uow = core.begin().await?;
    let txn = uow.conn();
    let wanted: HashSet<Uuid> = events.iter().map(|e| e.lead_id).collect();
    let visible: HashSet<Uuid> = find_visible(actor)
        .filter(lead::Column::Id.is_in(wanted.iter().copied()))
        .select_only()
        .column(lead::Column::Id)
        .into_tuple::<Uuid>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    for (i, e) in events.iter().enumerate() {
        if !visible.contains(&e.lead_id) {
            issues.push((format!("{}lead_id", prefix(i)), "no such lead".into()));
        }
    }
    if !issues.is_empty() {
        return Err(AppError::BadUserInputs(issues));
    }

    let external: Vec<String> = events
        .iter()
        .filter_map(|e| e.external_id.clone())
        .collect();
    let mut known: HashMap<String, engagement_event::Model> = if external.is_empty() {
        HashMap::new()
    } else {
        engagement_event::Entity::find()
            .filter(engagement_event::Column::ExternalId.is_in(external.clone()))
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|e| e.external_id.clone().map(|id| (id, e)))
            .collect()
    };
    // A stored external id is a replay only for the sender that first used
    // it; anyone else would read back another sender's event.
    for (i, e) in events.iter().enumerate() {
        let foreign = e
            .external_id
            .as_ref()
            .and_then(|x| known.get(x))
            .is_some_and(|stored| !sent_by(stored, actor));
        if foreign {
            issues.push((
                format!("{}external_id", prefix(i)),
                "another sender already used this externalId: choose ids unique to your system"
                    .into(),
            ));
        }
    }
    if !issues.is_empty() {
        return Err(AppError::BadUserInputs(issues));
    }
    let mut fresh = Vec::new();
    let mut order: Vec<Result<Uuid, String>> = Vec::with_capacity(events.len());
    let mut seen: HashSet<String> = HashSet::new();
    for e in &events {
        if let Some(ext) = &e.external_id {
            if known.contains_key(ext) || !seen.insert(ext.clone()) {
                order.push(Err(ext.clone()));
                continue;
            }
        }
        let id = Uuid::now_v7();
        order.push(Ok(id));
        fresh.push(engagement_event::ActiveModel {
            id: Set(id),
            lead_id: Set(e.lead_id),
            event_type: Set(e.kind.as_str().to_string()),
            occurred_at: Set(e.occurred_at.unwrap_or(now)),
            external_id: Set(e.external_id.clone()),
            metadata: Set(e.metadata.clone().unwrap_or_else(|| json!({}))),
            api_key_id: Set(actor.api_key()),
            recorded_by: Set(Some(actor.user_id)),
            created_at: Set(now),
        });
    }
    for chunk in fresh.chunks(500) {
        // A concurrent delivery of the same external id loses quietly: its twin is stored.
        let insert = engagement_event::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(engagement_event::Column::ExternalId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec(txn)
            .await;
        match insert {
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let new_ids: Vec<Uuid> = order
        .iter()
        .filter_map(|o| o.as_ref().ok().copied())
        .collect();
    let mut stored: HashMap<Uuid, engagement_event::Model> = HashMap::new();
    for chunk in new_ids.chunks(500) {
        for e in engagement_event::Entity::find()
            .filter(engagement_event::Column::Id.is_in(chunk.iter().copied()))
            .all(txn)
            .await?
        {
            stored.insert(e.id, e);
        }
    }
    // Ids that lost a race to a concurrent twin are found by external id.
    let lost: Vec<String> = events
        .iter()
        .zip(&order)
        .filter(|(_, o)| o.as_ref().is_ok_and(|id| !stored.contains_key(id)))
        .filter_map(|(e, _)| e.external_id.clone())
        .collect();
    if !lost.is_empty() {
        for e in engagement_event::Entity::find()
            .filter(Condition::all().add(engagement_event::Column::ExternalId.is_in(lost)))
            .all(txn)
            .await?
        {
            if let Some(ext) = e.external_id.clone() {
                known.insert(ext, e);
            }
        }
    }
    let by_external: HashMap<String, engagement_event::Model> = known
        .into_iter()
        .chain(
            stored
                .values()
                .filter_map(|e| e.external_id.clone().map(|x| (x, e.clone()))),
        )
        .collect();
    let mut result = Vec::with_capacity(events.len());
    for (i, (e, o)) in events.iter().zip(&order).enumerate() {
        let model = match o {
            Ok(id) => stored.get(id).cloned().or_else(|| {
                e.external_id
                    .as_ref()
                    .and_then(|x| by_external.get(x).cloned())
            }),
            Err(ext) => by_external.get(ext).cloned(),
        };
        let model =
            model.ok_or_else(|| AppError::internal("a recorded event could not be read back"))?;
        // A concurrent twin from another sender won the race for this id.
        if !sent_by(&model, actor) {
            return Err(AppError::bad_input(
                format!("{}external_id", prefix(i)),
                "another sender already used this externalId: choose ids unique to your system",
            ));
        }
        result.push(model);
    }
    // One order for every batch, so two batches never wait on each other's leads.
    let mut touched: Vec<Uuid> = wanted.into_iter().collect();
    touched.sort();
    // Scored in the same transaction: the events and their effect land together.
    rescoring::rescore_ids(core, &uow, &touched).await?;
    uow.commit().await?;
    Ok(result)
}

/// Whether `actor` (a person, or a key acting for its admin) sent `event`.
fn sent_by(event: &engagement_event::Model, actor: &Actor) -> bool {
    match actor.api_key() {
        Some(key) => event.api_key_id == Some(key),
        None => event.api_key_id.is_none() && event.recorded_by == Some(actor.user_id),
    }
}

/// A lead's events, newest first, for scoring (bounded: older ones weigh nothing).
pub async fn for_lead<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
    since: DateTime<Utc>,
) -> AppResult<Vec<engagement_event::Model>> {
    use sea_orm::QueryOrder;
    Ok(engagement_event::Entity::find()
        .filter(engagement_event::Column::LeadId.eq(lead_id))
        .filter(engagement_event::Column::OccurredAt.gte(since))
        .order_by_desc(engagement_event::Column::OccurredAt)
        .limit(5_000)
        .all(conn)
        .await?)
}
