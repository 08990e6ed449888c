use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::{ActivityDirection, ActivityKind, Lead, User};
use crate::{entity::lead_activity, error::AppError, graphql::context::ContextExt};

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
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
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
