use async_graphql::{Context, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::User;
use crate::{entity::audit_log, graphql::context::ContextExt};

pub struct AuditEntry(pub audit_log::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()?
            .load_one(crate::graphql::loaders::UserId(id))
            .await?
            .map(User))
    }
    /// Dotted verb: `login.failed`, `lead.updated`, `lead.assigned`, ...
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn entity_type(&self) -> Option<&str> {
        self.0.entity_type.as_deref()
    }
    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.map(|id| ID(id.to_string()))
    }
    /// The account an anonymous attempt named, such as the email tried at login.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    /// What changed (`{"field": {"before": .., "after": ..}}`) or other context.
    async fn details(&self) -> Option<Json<Value>> {
        self.0.details.clone().map(Json)
    }
}
