//! What a `leadScoreChanged` stream reads, as its subscriber.
use async_trait::async_trait;
use uuid::Uuid;

use super::read::{current, Current};
use crate::{
    auth::Actor, core::Core, error::AppResult, events::ports::ScoreReads,
    service::accounts::access::still_valid,
};

/// One lead's score, read as one user.
pub struct ScoreAs {
    pub core: Core,
    pub actor: Actor,
    pub lead_id: Uuid,
}

#[async_trait]
impl ScoreReads for ScoreAs {
    async fn still_allowed(&self) -> AppResult<bool> {
        still_valid(&self.core, &self.actor).await
    }

    async fn current(&self) -> AppResult<Option<Current>> {
        current(&self.core, &self.actor, self.lead_id).await
    }
}
