//! The audit log: who did what, when, from where. Written in the same
//! transaction as the change it records.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::{entity::audit_log, error::AppResult};

#[derive(Debug, Default)]
pub struct AuditEntry {
    pub action: &'static str,
    pub actor_id: Option<Uuid>,
    pub entity_type: Option<&'static str>,
    pub entity_id: Option<Uuid>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub details: Option<Value>,
    /// The API key the actor acted through, if any (kept in `details`).
    pub api_key_id: Option<Uuid>,
}

impl AuditEntry {
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            ..Self::default()
        }
    }

    /// Who acted. The command line's operator has the nil id and is no
    /// user: its entries have no actor.
    pub fn actor(mut self, actor_id: Uuid) -> Self {
        self.actor_id = (!actor_id.is_nil()).then_some(actor_id);
        self
    }

    /// The actor, and the API key if one acted for them.
    pub fn by(self, actor: &crate::auth::Actor) -> Self {
        let api_key = actor.api_key();
        let mut entry = self.actor(actor.user_id);
        entry.api_key_id = api_key;
        entry
    }

    pub fn entity(mut self, entity_type: &'static str, id: Uuid) -> Self {
        self.entity_type = Some(entity_type);
        self.entity_id = Some(id);
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn ip(mut self, ip: Option<&str>) -> Self {
        self.ip = ip.map(str::to_string);
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// Records that `actor` (and the API key they acted through) did `action`
/// to the entity `(type, id)`.
pub async fn acted<C: ConnectionTrait>(
    conn: &C,
    actor: &crate::auth::Actor,
    action: &'static str,
    (entity_type, id): (&'static str, Uuid),
    details: impl Into<Option<Value>>,
) -> AppResult<()> {
    let mut entry = AuditEntry::new(action).by(actor).entity(entity_type, id);
    entry.details = details.into();
    record(conn, entry).await
}

pub async fn record<C: ConnectionTrait>(conn: &C, entry: AuditEntry) -> AppResult<()> {
    row(entry).insert(conn).await?;
    Ok(())
}

/// Many entries in few statements: a bulk operation's per-lead entries.
pub async fn record_many<C: ConnectionTrait>(conn: &C, entries: Vec<AuditEntry>) -> AppResult<()> {
    let mut rows = entries.into_iter().map(row).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<audit_log::ActiveModel> = rows.by_ref().take(CHUNK).collect();
        audit_log::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Rows per statement, well inside SQLite's bind limit.
const CHUNK: usize = 500;

fn row(entry: AuditEntry) -> audit_log::ActiveModel {
    let details = match (entry.details, entry.api_key_id) {
        (details, None) => details,
        (Some(Value::Object(mut map)), Some(key)) => {
            map.insert("apiKeyId".into(), Value::String(key.to_string()));
            Some(Value::Object(map))
        }
        (Some(other), Some(key)) => Some(serde_json::json!({ "apiKeyId": key, "details": other })),
        (None, Some(key)) => Some(serde_json::json!({ "apiKeyId": key })),
    };
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(Utc::now()),
        actor_id: Set(entry.actor_id),
        action: Set(entry.action.to_string()),
        entity_type: Set(entry.entity_type.map(str::to_string)),
        entity_id: Set(entry.entity_id),
        subject: Set(entry.subject),
        ip: Set(entry.ip),
        details: Set(details),
    }
}

/// `{"field": {"before": .., "after": ..}}` for the fields that differ.
pub fn changes(pairs: &[(&str, Value, Value)]) -> Value {
    let map = pairs
        .iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| {
            (
                (*field).to_string(),
                serde_json::json!({"before": before, "after": after}),
            )
        })
        .collect();
    Value::Object(map)
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub from: Option<chrono::DateTime<Utc>>,
    pub to: Option<chrono::DateTime<Utc>>,
}

/// One page of the audit log, newest first, and how many entries match (admins only).
pub async fn list(
    core: &crate::core::Core,
    actor: &crate::auth::Actor,
    filter: AuditFilter,
    page: crate::service::page::PageRequest,
) -> AppResult<(crate::service::page::Page<audit_log::Model>, u64)> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

    use crate::entity::audit_log::Column;

    actor.person()?.require_admin()?;
    let db = core.reads();
    let mut c = sea_orm::Condition::all();
    if let Some(action) = filter.action {
        c = c.add(Column::Action.eq(action));
    }
    if let Some(id) = filter.actor_id {
        c = c.add(Column::ActorId.eq(id));
    }
    if let Some(kind) = filter.entity_type {
        c = c.add(Column::EntityType.eq(kind));
    }
    if let Some(id) = filter.entity_id {
        c = c.add(Column::EntityId.eq(id));
    }
    if let Some(from) = filter.from {
        c = c.add(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        c = c.add(Column::OccurredAt.lt(to));
    }
    let total_count = audit_log::Entity::find()
        .filter(c.clone())
        .count(db)
        .await?;
    let mut query = audit_log::Entity::find().filter(c);
    // UUID v7 ids order by time: id order is occurrence order.
    if let Some(after) = page.after {
        query = query.filter(Column::Id.lt(after));
    }
    let limit = page.limit();
    let items = query
        .order_by_desc(Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok((page.page(items), total_count))
}
