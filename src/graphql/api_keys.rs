//! API keys for integrations, managed by admins.
use async_graphql::{Context, Object, Result, ID};

use super::{
    context::ContextExt,
    types::{ApiKey, ApiKeyScope, CreatedApiKey},
    users::parse_id,
    wire::parse,
};
use crate::{auth::Scope, service::accounts::api_keys, values::ShortText};

#[derive(Default)]
pub struct ApiKeyQuery;

#[Object]
impl ApiKeyQuery {
    /// Every key, newest first, revoked ones included (admins only).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let keys = api_keys::list(ctx.core(), ctx.actor()?).await?;
        Ok(keys.into_iter().map(ApiKey).collect())
    }
}

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    /// Admins only. The secret is in the answer and nowhere else, ever.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        name: String,
        scopes: Vec<ApiKeyScope>,
    ) -> Result<CreatedApiKey> {
        let scopes: Vec<Scope> = scopes.into_iter().map(Into::into).collect();
        let name = parse::<ShortText>("name", name)?;
        let (key, secret) = api_keys::create(ctx.core(), ctx.actor()?, name, &scopes).await?;
        Ok(CreatedApiKey {
            api_key: ApiKey(key),
            secret,
        })
    }

    /// Admins only. A key disabled when its admin was demoted or deactivated
    /// works again, once that admin is an active admin again.
    async fn enable_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let id = parse_id("id", &id)?;
        Ok(ApiKey(
            api_keys::enable(ctx.core(), ctx.actor()?, id).await?,
        ))
    }

    /// Admins only. The key stops working at once.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let id = parse_id("id", &id)?;
        Ok(ApiKey(
            api_keys::revoke(ctx.core(), ctx.actor()?, id).await?,
        ))
    }
}
