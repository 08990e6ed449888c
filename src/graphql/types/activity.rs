use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::lead::{user_of, visible_lead};
use super::{ActivityDirection, ActivityKind, Lead, User};
use crate::entity::lead_activity;

pub struct Activity(pub lead_activity::Model);

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> ActivityKind {
        self.0.kind.into()
    }
    async fn direction(&self) -> Option<ActivityDirection> {
        self.0.direction.map(Into::into)
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// Who logged it or caused it.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_of(ctx, self.0.actor_id).await
    }
    async fn lead(&self, ctx: &Context<'_>) -> Result<Lead> {
        visible_lead(ctx, self.0.lead_id).await
    }
}
