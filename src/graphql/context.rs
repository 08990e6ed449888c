//! What resolvers take from the context, in one place.
use std::{net::IpAddr, sync::Arc};

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::loaders::Loaders;
use crate::{
    auth::{actor, Actor},
    config::Settings,
    error::{AppError, AppResult},
    service::{
        accounts::AuthConfig,
        api_keys::{ApiKeyGrant, Scope},
    },
};

/// Shared for the life of the server.
#[derive(Clone)]
pub struct ApiContext {
    pub db: DatabaseConnection,
    /// Live events for subscriptions.
    pub bus: crate::bus::Bus,
    pub auth: AuthConfig,
    pub settings: Arc<Settings>,
}

/// Per request (or per websocket connection): who is asking, from where.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub actor: Option<Actor>,
    /// An integration's key instead of a signed-in person.
    pub api_key: Option<ApiKeyGrant>,
    pub client_ip: Option<IpAddr>,
}

pub trait ContextExt {
    fn api(&self) -> &ApiContext;
    fn meta(&self) -> Option<&RequestMeta>;
    fn actor(&self) -> AppResult<&Actor>;
    /// The actor for an operation an API key with `scope` may also run.
    fn actor_for(&self, scope: Scope) -> AppResult<&Actor>;
    fn client_ip(&self) -> Option<String>;
    fn loaders(&self) -> AppResult<&Loaders>;
    fn thresholds(&self) -> crate::scoring::Thresholds;
}

impl ContextExt for Context<'_> {
    fn api(&self) -> &ApiContext {
        // Inserted by `build_schema`; a schema without it is never served.
        self.data_unchecked::<ApiContext>()
    }

    fn meta(&self) -> Option<&RequestMeta> {
        self.data_opt::<RequestMeta>()
    }

    fn actor(&self) -> AppResult<&Actor> {
        if let Some(grant) = self.meta().and_then(|m| m.api_key.as_ref()) {
            return Err(key_may_not(grant));
        }
        actor::require(self.meta().and_then(|m| m.actor.as_ref()))
    }

    fn actor_for(&self, scope: Scope) -> AppResult<&Actor> {
        match self.meta().and_then(|m| m.api_key.as_ref()) {
            Some(grant) => grant.actor_for(scope),
            None => self.actor(),
        }
    }

    fn client_ip(&self) -> Option<String> {
        self.meta()
            .and_then(|m| m.client_ip)
            .map(|ip| ip.to_string())
    }

    fn thresholds(&self) -> crate::scoring::Thresholds {
        self.api().settings.thresholds()
    }

    fn loaders(&self) -> AppResult<&Loaders> {
        if let Some(grant) = self.meta().and_then(|m| m.api_key.as_ref()) {
            return Err(key_may_not(grant));
        }
        self.data_opt::<Loaders>()
            .ok_or_else(|| AppError::internal("request has no DataLoaders"))
    }
}

/// An API key writes; it never reads, not even through a nested field.
fn key_may_not(grant: &ApiKeyGrant) -> AppError {
    let scopes: Vec<&str> = grant.scopes.iter().map(|s| s.as_str()).collect();
    AppError::Forbidden(format!(
        "an API key may only run the mutations its scopes allow ({}), and reads nothing else",
        scopes.join(", ")
    ))
}
