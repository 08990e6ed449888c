use async_graphql::{Context, Enum, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Lead;
use crate::{
    entity::engagement_event, error::AppError, graphql::context::ContextExt, scoring::EventKind,
};

/// What a lead did. PAGE_VIEW carries `url` and `seconds`, CHAT_MESSAGE its
/// `text`, INVENTORY_VIEWED an `inventoryItemId` in `metadata`.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "EngagementEventType", remote = "EventKind")]
pub enum EngagementEventType {
    EmailSent,
    EmailOpened,
    EmailClicked,
    EmailReplied,
    PageView,
    PricingView,
    CalculatorUsed,
    BrochureDownloaded,
    FormSubmitted,
    ChatMessage,
    DemoRequested,
    InventoryViewed,
}

pub struct EngagementEvent(pub engagement_event::Model);

#[Object]
impl EngagementEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    #[graphql(name = "type")]
    async fn event_type(&self) -> Result<EngagementEventType> {
        EventKind::parse(&self.0.event_type)
            .map(Into::into)
            .ok_or_else(|| {
                AppError::internal(format!("unknown stored event type {}", self.0.event_type))
                    .into()
            })
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    async fn metadata(&self) -> Json<Value> {
        Json(self.0.metadata.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn lead(&self, ctx: &Context<'_>) -> Result<Lead> {
        ctx.loaders()?
            .leads
            .load_one(self.0.lead_id)
            .await?
            .map(Lead)
            .ok_or_else(|| AppError::NotFound("lead").into())
    }
}
