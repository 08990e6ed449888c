//! What a user's notification streams read, as that user.
use async_trait::async_trait;
use uuid::Uuid;

use super::bell;
use crate::{
    auth::Actor, core::Core, entity::notification, error::AppResult,
    events::ports::NotificationReads, service::accounts::access::still_valid,
};

pub struct NotificationsAs {
    pub core: Core,
    pub actor: Actor,
}

#[async_trait]
impl NotificationReads for NotificationsAs {
    async fn still_allowed(&self) -> AppResult<bool> {
        still_valid(&self.core, &self.actor).await
    }

    async fn notification(&self, id: Uuid) -> AppResult<Option<notification::Model>> {
        bell::get(&self.core, &self.actor, id).await
    }

    async fn after(&self, after: Option<Uuid>, limit: u64) -> AppResult<Vec<notification::Model>> {
        bell::after(&self.core, &self.actor, after, limit).await
    }

    async fn latest(&self) -> AppResult<Option<Uuid>> {
        bell::latest(&self.core, &self.actor).await
    }

    async fn unread_count(&self) -> AppResult<u64> {
        bell::unread_count(&self.core, &self.actor).await
    }
}
