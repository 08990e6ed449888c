use async_graphql::{Context, Enum, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Lead;
use crate::{entity::engagement_event, error::AppError, scoring::EventKind};

/// What a lead did. PAGE_VIEW carries `url`, `seconds` and optionally
/// `pages` (pages seen in the visit), CHAT_MESSAGE its `text`,
/// INVENTORY_VIEWED an `inventoryItemId` in `metadata`. EMAIL_BOUNCED,
/// EMAIL_UNSUBSCRIBED, EMAIL_MARKED_SPAM, SMS_RECEIVED and CALL_COMPLETED
/// weigh only in a learned model, which learns what they mean.
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
    EmailBounced,
    EmailUnsubscribed,
    EmailMarkedSpam,
    SmsReceived,
    CallCompleted,
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
        super::lead::visible_lead(ctx, self.0.lead_id).await
    }
}
