//! What resolvers take from the context, in one place.
use std::{net::IpAddr, sync::Arc};

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::loaders::Loaders;
use crate::{
    auth::{actor, Actor},
    config::Settings,
    error::{AppError, AppResult},
    service::accounts::AuthConfig,
};

/// Shared for the life of the server.
#[derive(Clone)]
pub struct ApiContext {
    pub db: DatabaseConnection,
    pub auth: AuthConfig,
    pub settings: Arc<Settings>,
}

/// Per request (or per websocket connection): who is asking, from where.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub actor: Option<Actor>,
    pub client_ip: Option<IpAddr>,
}

pub trait ContextExt {
    fn api(&self) -> &ApiContext;
    fn meta(&self) -> Option<&RequestMeta>;
    fn actor(&self) -> AppResult<&Actor>;
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
        actor::require(self.meta().and_then(|m| m.actor.as_ref()))
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
        self.data_opt::<Loaders>()
            .ok_or_else(|| AppError::internal("request has no DataLoaders"))
    }
}
