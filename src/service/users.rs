//! Team management: admins create, change and deactivate users; managers may list them.
use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{password, Actor},
    entity::user::{self, Column, Role},
    error::{is_unique_violation, AppError, AppResult},
    service::{
        accounts::{self, full_name},
        audit::{self, AuditEntry},
        page::{Page, PageRequest},
    },
    validate::Email,
};

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Case-insensitive substring of email or full name.
    pub search: Option<String>,
}

pub struct CreateUser {
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Default)]
pub struct UpdateUser {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role: Option<Role>,
}

/// One page of users and how many match in all.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: UserFilter,
    page: PageRequest,
) -> AppResult<(Page<user::Model>, u64)> {
    actor.require_manager_or_admin()?;
    let mut condition = Condition::all();
    if let Some(role) = filter.role {
        condition = condition.add(Column::Role.eq(role));
    }
    if let Some(active) = filter.is_active {
        condition = condition.add(Column::IsActive.eq(active));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!(
            "%{}%",
            search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        condition = condition.add(
            Condition::any()
                .add(Expr::col(Column::Email).like(LikeExpr::new(pattern.as_str()).escape('\\')))
                .add(
                    Expr::expr(Func::lower(Expr::col(Column::FullName)))
                        .like(LikeExpr::new(pattern.as_str()).escape('\\')),
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

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<user::Model> {
    if actor.user_id != id {
        actor.require_manager_or_admin()?;
    }
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("user"))
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, email = %input.email))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateUser,
) -> AppResult<user::Model> {
    actor.require_admin()?;
    let email = Email::parse("input.email", &input.email)?;
    let full_name = full_name("input.fullName", &input.full_name)?;
    password::validate("input.password", &input.password)?;
    let hash = password::hash(input.password).await?;
    let txn = db.begin().await?;
    let user =
        accounts::insert_user(&txn, email, full_name, input.role, hash, "input.email").await?;
    audit::record(
        &txn,
        AuditEntry::new("user.created")
            .actor(actor.user_id)
            .entity("user", user.id)
            .subject(&user.email)
            .details(json!({ "role": user.role })),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Fails with CONFLICT when `user_id` is the only active admin. The admin rows
/// are locked (on PostgreSQL) so two admins demoting each other at once
/// cannot both succeed.
async fn ensure_another_active_admin<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    what: &str,
) -> AppResult<()> {
    let admins = user::Entity::find()
        .filter(Column::Role.eq(Role::Admin))
        .filter(Column::IsActive.eq(true))
        .lock_exclusive()
        .all(conn)
        .await?;
    if admins.iter().any(|a| a.id != user_id) {
        Ok(())
    } else {
        Err(AppError::Conflict {
            message: format!("cannot {what} the last active admin: make another admin first"),
            existing_id: None,
        })
    }
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, user_id = %id))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateUser,
) -> AppResult<user::Model> {
    actor.require_admin()?;
    let email = input
        .email
        .as_deref()
        .map(|e| Email::parse("input.email", e))
        .transpose()?;
    let name = input
        .full_name
        .as_deref()
        .map(|n| full_name("input.fullName", n))
        .transpose()?;
    let txn = db.begin().await?;
    let before = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if before.role == Role::Admin
        && input.role.is_some_and(|r| r != Role::Admin)
        && before.is_active
    {
        ensure_another_active_admin(&txn, id, "demote").await?;
    }
    let mut active = before.clone().into_active_model();
    if let Some(email) = email {
        active.email = Set(email.into_inner());
    }
    if let Some(name) = name {
        active.full_name = Set(name);
    }
    if let Some(role) = input.role.filter(|r| *r != before.role) {
        active.role = Set(role);
        // Live connections verified the old role: they re-check.
        crate::bus::publish(&txn, &[crate::bus::Event::AccessChanged { user_id: id }]).await?;
    }
    active.updated_at = Set(Utc::now());
    let after = active.update(&txn).await.map_err(|err| {
        if is_unique_violation(&err) {
            AppError::Conflict {
                message: "input.email: an account with this email already exists".into(),
                existing_id: None,
            }
        } else {
            err.into()
        }
    })?;
    let changes = audit::changes(&[
        ("email", json!(before.email), json!(after.email)),
        ("fullName", json!(before.full_name), json!(after.full_name)),
        ("role", json!(before.role), json!(after.role)),
    ]);
    audit::record(
        &txn,
        AuditEntry::new("user.updated")
            .actor(actor.user_id)
            .entity("user", id)
            .details(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, user_id = %id, active))]
pub async fn set_active(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> AppResult<user::Model> {
    actor.require_admin()?;
    let txn = db.begin().await?;
    let before = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if !active && before.role == Role::Admin && before.is_active {
        ensure_another_active_admin(&txn, id, "deactivate").await?;
    }
    if before.is_active == active {
        txn.commit().await?;
        return Ok(before);
    }
    let version = before.token_version + 1;
    let mut model = before.into_active_model();
    model.is_active = Set(active);
    model.updated_at = Set(Utc::now());
    if !active {
        // Every live access token dies with the version bump.
        model.token_version = Set(version);
        accounts::revoke_all_sessions(&txn, id).await?;
    }
    let after = model.update(&txn).await?;
    let action = if active {
        "user.reactivated"
    } else {
        "user.deactivated"
    };
    audit::record(
        &txn,
        AuditEntry::new(action)
            .actor(actor.user_id)
            .entity("user", id),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
