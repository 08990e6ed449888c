use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::Lead;
use crate::{
    entity::notification::{self, NotificationKind as Kind},
    events::streams::NotificationItem,
    graphql::{context::ContextExt, cursor, loaders::LeadId},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "NotificationKind", remote = "Kind")]
pub enum NotificationKind {
    /// To the assignee.
    LeadAssigned,
    /// To the previous and the new assignee.
    LeadTransferred,
    /// To whoever made the assignment.
    AssignmentCompleted,
    /// To the assignee, when the lead's classification crosses into HOT.
    LeadBecameHot,
    /// To the assignee, when someone else adds a note to their lead.
    NoteAdded,
    /// To every admin, when the active scoring model's live figures fall
    /// (a retraining has started).
    ModelDrift,
}

pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where this notification sits: pass it as `after` to
    /// `notificationAdded` to resume from here.
    async fn cursor(&self) -> String {
        cursor::encode(self.0.id)
    }
    async fn kind(&self) -> Option<NotificationKind> {
        Some(self.0.kind.into())
    }
    /// Never names the lead.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Names the lead; blanked when you may no longer see it.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// None when the lead is gone or you may no longer see it.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<Lead>> {
        let Some(id) = self.0.lead_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.load_one(LeadId(id)).await?.map(Lead))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
}

/// A new notification and the unread count it brings.
#[derive(SimpleObject)]
pub struct NotificationAdded {
    pub notification: Notification,
    pub unread_count: u64,
}

impl From<NotificationItem> for NotificationAdded {
    fn from(item: NotificationItem) -> Self {
        Self {
            notification: Notification(item.notification),
            unread_count: item.unread_count,
        }
    }
}
