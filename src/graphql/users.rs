//! Team management: admins create and change users, managers list them.
use async_graphql::{
    connection::{Connection, EmptyFields},
    Context, InputObject, Object, Result, ID,
};

use super::{
    context::ContextExt,
    types::{Role, User},
};
use crate::{
    error::{AppError, AppResult},
    graphql::wire::{parse, parse_optional},
    service::accounts::users::{self, NewUser, UserChange, UserFilter as ServiceFilter},
    values::{Email, FullName, Password, Text},
};

#[derive(InputObject, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Case-insensitive part of the email or full name.
    pub search: Option<String>,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub full_name: String,
    pub role: Role,
    /// 8 to 128 characters.
    pub password: String,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role: Option<Role>,
}

use super::paging::TotalCount;

pub type UserConnection = Connection<String, User, TotalCount, EmptyFields>;

pub fn parse_id(field: &str, id: &ID) -> AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, "not an id this API issued"))
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// Users, in sign-up order (managers and admins). `first` is 1 to 100.
    #[graphql(complexity = "super::paging::cost(first, None, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        let filter = filter.unwrap_or_default();
        let page = super::paging::forward(first, after)?;
        let filter = ServiceFilter {
            role: filter.role.map(Into::into),
            is_active: filter.is_active,
            search: parse_optional::<Text<100>>("filter.search", filter.search)?,
        };
        let (page, total_count) = users::list(ctx.core(), ctx.actor()?, filter, page).await?;
        Ok(super::paging::connection(
            page,
            TotalCount { total_count },
            |u| u.id,
            User,
        ))
    }

    /// One user (managers and admins; anyone for themselves).
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let id = parse_id("id", &id)?;
        Ok(User(users::get(ctx.core(), ctx.actor()?, id).await?))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Admins only.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let input = NewUser {
            email: parse::<Email>("input.email", input.email)?,
            full_name: parse::<FullName>("input.fullName", input.full_name)?,
            role: input.role.into(),
            password: parse::<Password>("input.password", input.password)?,
        };
        let user = users::create(ctx.core(), ctx.actor()?, input)
            .await
            .map_err(|e| e.within("input"))?;
        Ok(User(user))
    }

    /// Admins only. The last active admin cannot be demoted.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> Result<User> {
        let id = parse_id("id", &id)?;
        let input = UserChange {
            email: input
                .email
                .map(|e| parse::<Email>("input.email", e))
                .transpose()?,
            full_name: input
                .full_name
                .map(|n| parse::<FullName>("input.fullName", n))
                .transpose()?,
            role: input.role.map(Into::into),
        };
        let user = users::update(ctx.core(), ctx.actor()?, id, input)
            .await
            .map_err(|e| e.within("input"))?;
        Ok(User(user))
    }

    /// Admins only. Ends all the user's sessions at once; the last active admin cannot be deactivated.
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let id = parse_id("id", &id)?;
        Ok(User(
            users::set_active(ctx.core(), ctx.actor()?, id, false).await?,
        ))
    }

    /// Admins only.
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let id = parse_id("id", &id)?;
        Ok(User(
            users::set_active(ctx.core(), ctx.actor()?, id, true).await?,
        ))
    }
}
