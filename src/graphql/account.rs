//! Signing up, signing in and out, sessions and one's own account.
use async_graphql::{Context, InputObject, Object, Result};

use super::{
    context::ContextExt,
    types::{AuthPayload, User},
    wire::parse,
};
use crate::{
    error::AppResult,
    service::accounts::{self, users, Registration},
    values::{Email, FullName, Password},
};

#[derive(InputObject)]
pub struct RegisterInput {
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    pub full_name: String,
}

impl RegisterInput {
    fn parse(self) -> AppResult<Registration> {
        Ok(Registration {
            email: parse::<Email>("input.email", self.email)?,
            password: parse::<Password>("input.password", self.password)?,
            full_name: parse::<FullName>("input.fullName", self.full_name)?,
        })
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let actor = ctx.actor()?;
        let user = users::get(ctx.core(), actor, actor.user_id).await?;
        Ok(User(user))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Self sign-up: creates a SALES_REP (unless ALLOW_SIGNUP=false) and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let input = input.parse()?;
        let session = accounts::register(ctx.core(), input, ctx.client_ip().as_deref())
            .await
            .map_err(|e| e.within("input"))?;
        Ok(session.into())
    }

    /// A wrong password and an unknown email get the same answer in the same
    /// time. Failures are throttled per account from one address (5 in 15
    /// minutes), per account (20) and per address (100).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        let session =
            accounts::login(ctx.core(), &email, password, ctx.client_ip().as_deref()).await?;
        Ok(session.into())
    }

    /// Trades a refresh token (single use) for a new access and refresh token.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let session =
            accounts::refresh(ctx.core(), &refresh_token, ctx.client_ip().as_deref()).await?;
        Ok(session.into())
    }

    /// Ends the session of this refresh token, including its access tokens.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        accounts::logout(ctx.core(), &refresh_token, ctx.client_ip().as_deref()).await?;
        Ok(true)
    }

    /// Ends every session of the signed-in user and returns a new one.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<AuthPayload> {
        let new_password = parse::<Password>("newPassword", new_password)?;
        let session = accounts::change_password(
            ctx.core(),
            ctx.actor()?,
            current_password,
            new_password,
            ctx.client_ip().as_deref(),
        )
        .await?;
        Ok(session.into())
    }
}
