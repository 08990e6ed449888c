use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::lead::{user_of, visible_lead};
use super::{AssignmentStatus, Lead, User};
use crate::entity::assignment;

pub struct Assignment(pub assignment::Model);

#[Object]
impl Assignment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn lead(&self, ctx: &Context<'_>) -> Result<Lead> {
        visible_lead(ctx, self.0.lead_id).await
    }
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_of(ctx, Some(self.0.assignee_id)).await
    }
    async fn assigned_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_of(ctx, self.0.assigned_by).await
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
