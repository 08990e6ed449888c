use async_graphql::{Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::{auth::Scope, entity::api_key, service::accounts::api_keys};

/// What an API key may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ApiKeyScope", remote = "Scope")]
pub enum ApiKeyScope {
    /// `recordEngagementEvent` and `recordEngagementEvents`.
    EventsWrite,
    /// `createLead`, `updateLead`, `logActivity`, `addNote`, and imports
    /// (`POST /imports`, `createLeadImport` and its reads).
    LeadsWrite,
    /// `lead`, `leads` and `myLeads` with the leads' own fields and scores
    /// (probability and drivers included), and `GET /exports/leads.csv`:
    /// what an integration reads back.
    LeadsRead,
    /// `reports`, every report, rep names and emails included: what a BI
    /// dashboard reads.
    ReportsRead,
}

/// An integration's credential. The secret itself is shown only once, by
/// `createApiKey`; `prefix` tells keys apart.
pub struct ApiKey(pub api_key::Model);

#[Object]
impl ApiKey {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The first characters of the secret.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn scopes(&self) -> Vec<ApiKeyScope> {
        api_keys::scopes_of(&self.0)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    async fn created_by_id(&self) -> Option<ID> {
        self.0.created_by.map(|id| ID(id.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// To the minute.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When the key was turned off because its admin was demoted or
    /// deactivated; `enableApiKey` turns it back on.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
}

/// A new key and its secret: store the secret now, it is never shown again.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// Send as `Authorization: ApiKey <secret>`.
    pub secret: String,
}
