//! Signing up, signing in and out, sessions and one's own account.
use async_graphql::{Context, InputObject, Object, Result};

use super::{
    context::ContextExt,
    types::{AuthPayload, User},
};
use crate::service::accounts;

#[derive(InputObject)]
pub struct RegisterInput {
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    pub full_name: String,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let actor = ctx.actor()?;
        let user = crate::service::users::get(&ctx.api().db, actor, actor.user_id).await?;
        Ok(User(user))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Self sign-up: creates a SALES_REP (unless ALLOW_SIGNUP=false) and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let api = ctx.api();
        let input = accounts::RegisterInput {
            email: input.email,
            password: input.password,
            full_name: input.full_name,
        };
        let session =
            accounts::register(&api.db, &api.auth, input, ctx.client_ip().as_deref()).await?;
        Ok(session.into())
    }

    /// A wrong password and an unknown email get the same answer in the same
    /// time. Five failures in 15 minutes throttle the account and the client IP.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        let api = ctx.api();
        let session = accounts::login(
            &api.db,
            &api.auth,
            &email,
            password,
            ctx.client_ip().as_deref(),
        )
        .await?;
        Ok(session.into())
    }

    /// Trades a refresh token (single use) for a new access and refresh token.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let api = ctx.api();
        let session = accounts::refresh(
            &api.db,
            &api.auth,
            &refresh_token,
            ctx.client_ip().as_deref(),
        )
        .await?;
        Ok(session.into())
    }

    /// Ends the session of this refresh token, including its access tokens.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        accounts::logout(&ctx.api().db, &refresh_token, ctx.client_ip().as_deref()).await?;
        Ok(true)
    }

    /// Ends every session of the signed-in user and returns a new one.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<AuthPayload> {
        let api = ctx.api();
        let session = accounts::change_password(
            &api.db,
            &api.auth,
            ctx.actor()?,
            current_password,
            new_password,
        )
        .await?;
        Ok(session.into())
    }
}
