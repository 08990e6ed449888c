//! What live streams read, as the subscriber, through traits the service
//! layer implements (fuel-core's read ports): the streams never see the
//! database or a service, only these answers.
use async_trait::async_trait;
use uuid::Uuid;

use crate::{
    entity::{lead_insight, lead_score, notification},
    error::AppResult,
};

/// A user's notifications, read as that user.
#[async_trait]
pub trait NotificationReads: Send + Sync + 'static {
    /// Whether the user may still act: active, the same role, the session
    /// not ended.
    async fn still_allowed(&self) -> AppResult<bool>;
    /// One notification, if it is the user's.
    async fn notification(&self, id: Uuid) -> AppResult<Option<notification::Model>>;
    /// The user's notifications after `after` (from the first when none),
    /// oldest first, at most `limit`.
    async fn after(&self, after: Option<Uuid>, limit: u64) -> AppResult<Vec<notification::Model>>;
    /// The newest of the user's notifications, where a live-only stream starts.
    async fn latest(&self) -> AppResult<Option<Uuid>>;
    async fn unread_count(&self) -> AppResult<u64>;
}

/// One lead's score, read as one user.
#[async_trait]
pub trait ScoreReads: Send + Sync + 'static {
    async fn still_allowed(&self) -> AppResult<bool>;
    /// The lead's current score and insights; NOT_FOUND once the user may
    /// no longer see the lead.
    async fn current(&self) -> AppResult<Option<(lead_score::Model, Vec<lead_insight::Model>)>>;
}
