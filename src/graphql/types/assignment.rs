use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::{AssignmentStatus, Lead, User};
use crate::{entity::assignment, error::AppError, graphql::context::ContextExt};

pub struct Assignment(pub assignment::Model);

#[Object]
impl Assignment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn lead(&self, ctx: &Context<'_>) -> Result<Lead> {
        ctx.loaders()?
            .leads
            .load_one(self.0.lead_id)
            .await?
            .map(Lead)
            .ok_or_else(|| AppError::NotFound("lead").into())
    }
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(ctx
            .loaders()?
            .users
            .load_one(self.0.assignee_id)
            .await?
            .map(User))
    }
    async fn assigned_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.assigned_by else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
    }
    async fn status(&self) -> AssignmentStatus {
        self.0.status.into()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.assigned_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// Why it ended: the transfer reason or the completion outcome.
    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }
}
