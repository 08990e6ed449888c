use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::lead::{user_of, visible_lead};
use super::{Lead, User};
use crate::entity::lead_note;

pub struct Note(pub lead_note::Model);

#[Object]
impl Note {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Plain text exactly as written; render it as text, never as HTML.
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_of(ctx, self.0.author_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn lead(&self, ctx: &Context<'_>) -> Result<Lead> {
        visible_lead(ctx, self.0.lead_id).await
    }
}
