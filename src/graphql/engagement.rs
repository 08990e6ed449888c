//! Recording what leads do.
use async_graphql::{Context, InputObject, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    context::ContextExt,
    types::{EngagementEvent, EngagementEventType},
    users::parse_id,
};
use crate::{
    error::AppResult,
    service::crm::engagement::{self, NewEvent},
};

#[derive(InputObject)]
pub struct EngagementEventInput {
    pub lead_id: ID,
    #[graphql(name = "type")]
    pub event_type: EngagementEventType,
    /// Default: now. At most 5 minutes in the future.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The sender's id for this event: a retried delivery with the same id is stored once.
    pub external_id: Option<String>,
    /// A JSON object (at most 4 KiB).
    pub metadata: Option<Json<Value>>,
}

impl EngagementEventInput {
    fn parse(self, field: &str) -> AppResult<NewEvent> {
        Ok(NewEvent {
            lead_id: parse_id(field, &self.lead_id)?,
            kind: self.event_type.into(),
            occurred_at: self.occurred_at,
            external_id: self.external_id,
            metadata: self.metadata.map(|j| j.0),
        })
    }
}

#[derive(Default)]
pub struct EngagementMutation;

#[Object]
impl EngagementMutation {
    async fn record_engagement_event(
        &self,
        ctx: &Context<'_>,
        input: EngagementEventInput,
    ) -> Result<EngagementEvent> {
        let event = input.parse("input.leadId")?;
        // The service names the one event `[0]`: here it is `input`.
        let mut stored = engagement::record(ctx.core(), ctx.actor()?, vec![event])
            .await
            .map_err(|e| e.within("input").renamed("input[0]", "input"))?;
        Ok(EngagementEvent(stored.remove(0)))
    }

    /// Up to 1,000 events, all or nothing; problems are reported by index
    /// (`extensions.errors[].field` such as `events[3].occurredAt`).
    async fn record_engagement_events(
        &self,
        ctx: &Context<'_>,
        events: Vec<EngagementEventInput>,
    ) -> Result<Vec<EngagementEvent>> {
        let events = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.parse(&format!("events[{i}].leadId")))
            .collect::<AppResult<Vec<_>>>()?;
        let stored = engagement::record(ctx.core(), ctx.actor()?, events)
            .await
            .map_err(|e| e.within("events"))?;
        Ok(stored.into_iter().map(EngagementEvent).collect())
    }
}
