//! What resolvers take from the context, in one place.
use std::net::IpAddr;

use async_graphql::Context;

use super::loaders::Loaders;
use crate::{
    auth::{actor, Actor},
    core::Core,
    error::{AppError, AppResult},
};

/// Per request (or per websocket connection): who is asking, from where.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// A signed-in person, or an API key acting for its admin.
    pub actor: Option<Actor>,
    pub client_ip: Option<IpAddr>,
}

pub trait ContextExt {
    fn core(&self) -> &Core;
    fn meta(&self) -> Option<&RequestMeta>;
    /// Whoever is signed in; what they may do is the services' to decide.
    fn actor(&self) -> AppResult<&Actor>;
    fn client_ip(&self) -> Option<String>;
    fn loaders(&self) -> AppResult<&Loaders>;
}

impl ContextExt for Context<'_> {
    fn core(&self) -> &Core {
        // Inserted by `build_schema`; a schema without it is never served.
        self.data_unchecked::<Core>()
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

    fn loaders(&self) -> AppResult<&Loaders> {
        self.data_opt::<Loaders>()
            .ok_or_else(|| AppError::internal("request has no DataLoaders"))
    }
}
