//! Team management: admins create, change and deactivate users; managers may list them.
use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    access, api_keys,
    sessions::{email_taken, insert_user, revoke_all_sessions},
};
use crate::{
    auth::{password, Actor},
    core::Core,
    db::{Dialect, UnitOfWork},
    entity::user::{self, Column, Role},
    error::{AppError, AppResult},
    events::Event,
    service::{
        audit::{self, AuditEntry},
        page::{Page, PageRequest},
        search::contains,
    },
    values::{Email, FullName, Password, Text},
};

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Case-insensitive substring of email or full name.
    pub search: Option<Text<100>>,
}

/// A new account, every field validated.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub full_name: FullName,
    pub role: Role,
    pub password: Password,
}

#[derive(Debug, Default)]
pub struct UserChange {
    pub email: Option<Email>,
    pub full_name: Option<FullName>,
    pub role: Option<Role>,
}

/// One page of users and how many match in all.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: UserFilter,
    page: PageRequest,
) -> AppResult<(Page<user::Model>, u64)> {
    actor.person()?.require_manager_or_admin()?;
    let db = core.reads();
    let mut condition = Condition::all();
    if let Some(role) = filter.role {
        condition = condition.add(Column::Role.eq(role));
    }
    if let Some(active) = filter.is_active {
        condition = condition.add(Column::IsActive.eq(active));
    }
    if let Some(search) = &filter.search {
        condition = condition.add(
            Condition::any()
                .add(Expr::col(Column::Email).like(contains(search.as_str())))
                .add(
                    Expr::expr(Func::lower(Expr::col(Column::FullName)))
                        .like(contains(search.as_str())),
                ),
        );
    }
    let total_count = user::Entity::find()
        .filter(condition.clone())
        .count(db)
        .await?;
    let limit = page.limit();
    let mut query = user::Entity::find().filter(condition);
    if let Some(after) = page.after {
        query = query.filter(Column::Id.gt(after));
    }
    // UUID v7 ids grow with creation time, so id order is sign-up order.
    let items = query
        .order_by_asc(Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok((page.page(items), total_count))
}

pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> AppResult<user::Model> {
    actor.person()?;
    if actor.user_id != id {
        actor.require_manager_or_admin()?;
    } else if let Some(user) = access::checked_user(core, actor) {
        return Ok(user);
    }
    user::Entity::find_by_id(id)
        .one(core.reads())
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Creates an account (admins, and the command line's operator).
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, email = %input.email.as_str()))]
pub async fn create(core: &Core, actor: &Actor, input: NewUser) -> AppResult<user::Model> {
    actor.person()?.require_admin()?;
    let hash = password::hash(input.password.into_inner()).await?;
    let uow = core.begin().await?;
    let user = insert_user(uow.conn(), input.email, input.full_name, input.role, hash).await?;
    audit::record(
        uow.conn(),
        AuditEntry::new("user.created")
            .by(actor)
            .entity("user", user.id)
            .subject(&user.email)
            .details(json!({ "role": user.role })),
    )
    .await?;
    uow.commit().await?;
    Ok(user)
}

/// Fails with CONFLICT when `user_id` is the only active admin. The admin rows
/// are locked so two admins demoting each other at once cannot both succeed.
async fn ensure_another_active_admin<C: ConnectionTrait>(
    conn: &C,
    dialect: Dialect,
    user_id: Uuid,
    what: &str,
) -> AppResult<()> {
    let admins = dialect
        .for_update(
            user::Entity::find()
                .filter(Column::Role.eq(Role::Admin))
                .filter(Column::IsActive.eq(true)),
        )
        .all(conn)
        .await?;
    if admins.iter().any(|a| a.id != user_id) {
        Ok(())
    } else {
        Err(AppError::Conflict {
            field: None,
            message: format!("cannot {what} the last active admin: make another admin first"),
            existing_id: None,
        })
    }
}

/// Opens an admin's change to user `id`: the unit of work and the user as
/// it was.
async fn begin_change(
    core: &Core,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(UnitOfWork, user::Model)> {
    actor.person()?.require_admin()?;
    let uow = core.begin().await?;
    let before = user::Entity::find_by_id(id)
        .one(uow.conn())
        .await?
        .ok_or(AppError::NotFound("user"))?;
    Ok((uow, before))
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, user_id = %id))]
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    input: UserChange,
) -> AppResult<user::Model> {
    let UserChange {
        email,
        full_name: name,
        role,
    } = input;
    let (uow, before) = begin_change(core, actor, id).await?;
    let txn = uow.conn();
    if before.role == Role::Admin && role.is_some_and(|r| r != Role::Admin) && before.is_active {
        ensure_another_active_admin(txn, uow.dialect(), id, "demote").await?;
    }
    let mut active = before.clone().into_active_model();
    if let Some(email) = email {
        active.email = Set(email.into_inner());
    }
    if let Some(name) = name {
        active.full_name = Set(name.into_inner());
    }
    if let Some(role) = role.filter(|r| *r != before.role) {
        active.role = Set(role);
        if before.role == Role::Admin {
            // Keys act for an admin: they stop with the role and stay off.
            api_keys::disable_created_by(txn, id).await?;
        }
    }
    // Live connections verified the old role and re-check; the access cache
    // holds the old row for `me`.
    uow.publish(Event::AccessChanged { user_id: id });
    active.updated_at = Set(Utc::now());
    let after = active.update(txn).await.map_err(email_taken)?;
    let changes = audit::changes(&[
        ("email", json!(before.email), json!(after.email)),
        ("fullName", json!(before.full_name), json!(after.full_name)),
        ("role", json!(before.role), json!(after.role)),
    ]);
    audit::acted(txn, actor, "user.updated", ("user", id), changes).await?;
    uow.commit().await?;
    Ok(after)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, user_id = %id, active))]
pub async fn set_active(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> AppResult<user::Model> {
    let (uow, before) = begin_change(core, actor, id).await?;
    let txn = uow.conn();
    if !active && before.role == Role::Admin && before.is_active {
        ensure_another_active_admin(txn, uow.dialect(), id, "deactivate").await?;
    }
    if before.is_active == active {
        uow.commit().await?;
        return Ok(before);
    }
    let version = before.token_version + 1;
    let mut model = before.into_active_model();
    model.is_active = Set(active);
    model.updated_at = Set(Utc::now());
    if !active {
        // Every live access token dies with the version bump.
        model.token_version = Set(version);
        revoke_all_sessions(&uow, id).await?;
        api_keys::disable_created_by(txn, id).await?;
    }
    let after = model.update(txn).await?;
    uow.publish(Event::AccessChanged { user_id: id });
    let action = if active {
        "user.reactivated"
    } else {
        "user.deactivated"
    };
    audit::acted(txn, actor, action, ("user", id), None).await?;
    uow.commit().await?;
    Ok(after)
}
