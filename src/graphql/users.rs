//! Team management: admins create and change users, managers list them.
use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, SimpleObject, ID,
};

use super::{
    context::ContextExt,
    cursor,
    types::{Role, User},
};
use crate::{
    error::{AppError, AppResult},
    service::{
        page::PageRequest,
        users::{self, CreateUser, UpdateUser, UserFilter as ServiceFilter},
    },
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

/// The size of a whole result, across all pages.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many items match the filter, across all pages.
    pub total_count: u64,
}

pub type UserConnection = Connection<String, User, TotalCount, EmptyFields>;

pub fn parse_id(field: &str, id: &ID) -> AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, "not an id this API issued"))
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// Users, in sign-up order (managers and admins). `first` is capped at 100.
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        let filter = filter.unwrap_or_default();
        let page = PageRequest {
            first: first.map(|n| n.max(0) as u64),
            after: after
                .as_deref()
                .map(|c| cursor::decode("after", c))
                .transpose()?,
        };
        let filter = ServiceFilter {
            role: filter.role.map(Into::into),
            is_active: filter.is_active,
            search: filter.search,
        };
        let (page, total_count) = users::list(&ctx.api().db, ctx.actor()?, filter, page).await?;
        let mut connection = Connection::with_additional_fields(
            page.has_previous_page,
            page.has_next_page,
            TotalCount { total_count },
        );
        connection.edges.extend(
            page.items
                .into_iter()
                .map(|u| Edge::new(cursor::encode(u.id), User(u))),
        );
        Ok(connection)
    }

    /// One user (managers and admins; anyone for themselves).
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let id = parse_id("id", &id)?;
        Ok(User(users::get(&ctx.api().db, ctx.actor()?, id).await?))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Admins only.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let input = CreateUser {
            email: input.email,
            full_name: input.full_name,
            role: input.role.into(),
            password: input.password,
        };
        Ok(User(
            users::create(&ctx.api().db, ctx.actor()?, input).await?,
        ))
    }

    /// Admins only. The last active admin cannot be demoted.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> Result<User> {
        let id = parse_id("id", &id)?;
        let input = UpdateUser {
            email: input.email,
            full_name: input.full_name,
            role: input.role.map(Into::into),
        };
        Ok(User(
            users::update(&ctx.api().db, ctx.actor()?, id, input).await?,
        ))
    }

    /// Admins only. Ends all the user's sessions at once; the last active admin cannot be deactivated.
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let id = parse_id("id", &id)?;
        Ok(User(
            users::set_active(&ctx.api().db, ctx.actor()?, id, false).await?,
        ))
    }

    /// Admins only.
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let id = parse_id("id", &id)?;
        Ok(User(
            users::set_active(&ctx.api().db, ctx.actor()?, id, true).await?,
        ))
    }
}
