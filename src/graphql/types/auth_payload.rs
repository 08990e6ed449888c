use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};

use super::User;
use crate::service::accounts::Session;

/// A signed-in session. Send `accessToken` as `Authorization: Bearer ...`;
/// before `expiresAt`, trade `refreshToken` for a new pair with `refreshToken`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(session: Session) -> Self {
        Self {
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            expires_at: session.expires_at,
            user: User(session.user),
        }
    }
}
