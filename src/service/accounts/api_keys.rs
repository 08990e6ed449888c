//! API keys: how integrations (a website, a mail tool) feed leadscore without
//! a person's password. A key is shown once and stored as a SHA-256 hash (it
//! carries 256 random bits, so a slow hash would add nothing). It may do what
//! its scopes name and nothing else; it acts for the admin who made it, so it
//! stops working when that admin is deactivated or is no longer an admin.
use chrono::{Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{
        token::{hash_secret, new_opaque_secret},
        Actor, KeyGrant, Scope,
    },
    core::Core,
    db::UnitOfWork,
    entity::{api_key, user},
    error::{AppError, AppResult},
    service::audit::{self, AuditEntry},
    values::ShortText,
};

/// Every secret starts with this, so a leaked one is easy to recognise.
pub const SECRET_PREFIX: &str = "lsk_";
/// How much of the secret is kept in clear, to tell keys apart.
const SHOWN_CHARS: usize = 12;
/// `last_used_at` is written at most this often per key.
const USE_RESOLUTION_SECS: i64 = 60;

/// The scopes a stored key holds (unknown names are ignored, never granted).
pub fn scopes_of(key: &api_key::Model) -> Vec<Scope> {
    key.scopes
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().and_then(Scope::parse))
                .collect()
        })
        .unwrap_or_default()
}

/// Creates a key (admins only); returns it with its secret, shown this once.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn create(
    core: &Core,
    actor: &Actor,
    name: ShortText,
    scopes: &[Scope],
) -> AppResult<(api_key::Model, String)> {
    actor.person()?.require_admin()?;
    if scopes.is_empty() {
        return Err(AppError::bad_input("scopes", "name at least one scope"));
    }
    let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let secret = format!("{SECRET_PREFIX}{}", new_opaque_secret());
    let uow = core.begin().await?;
    let txn = uow.conn();
    let key = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.into_inner()),
        prefix: Set(secret[..SHOWN_CHARS].to_string()),
        secret_hash: Set(hash_secret(&secret)),
        scopes: Set(json!(names)),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        disabled_at: Set(None),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        AuditEntry::new("api_key.created")
            .by(actor)
            .entity("api_key", key.id)
            .subject(&key.name)
            .details(json!({ "scopes": names })),
    )
    .await?;
    uow.commit().await?;
    Ok((key, secret))
}

/// Revokes a key at once (admins only); revoking twice changes nothing.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, key = %id))]
pub async fn revoke(core: &Core, actor: &Actor, id: Uuid) -> AppResult<api_key::Model> {
    actor.person()?.require_admin()?;
    let uow = core.begin().await?;
    let key = find(&uow, id).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut row: api_key::ActiveModel = key.into();
    row.revoked_at = Set(Some(Utc::now()));
    save(uow, actor, row, "api_key.revoked").await
}

async fn find(uow: &UnitOfWork, id: Uuid) -> AppResult<api_key::Model> {
    api_key::Entity::find_by_id(id)
        .one(uow.conn())
        .await?
        .ok_or(AppError::NotFound("API key"))
}

/// Writes a change to a key, audits it as `action`, and commits.
async fn save(
    uow: UnitOfWork,
    actor: &Actor,
    row: api_key::ActiveModel,
    action: &'static str,
) -> AppResult<api_key::Model> {
    let key = row.update(uow.conn()).await?;
    audit::record(
        uow.conn(),
        AuditEntry::new(action)
            .by(actor)
            .entity("api_key", key.id)
            .subject(&key.name),
    )
    .await?;
    uow.commit().await?;
    Ok(key)
}

/// Turns off the live keys an admin made, when that admin is demoted or
/// deactivated. They stay off after a re-promotion until [`enable`]d.
pub async fn disable_created_by<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<()> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::DisabledAt, Expr::value(Utc::now()))
        .filter(api_key::Column::CreatedBy.eq(user_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(api_key::Column::DisabledAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Turns a disabled key back on (admins only), once its creator is an
/// active admin again; enabling an enabled key changes nothing.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, key = %id))]
pub async fn enable(core: &Core, actor: &Actor, id: Uuid) -> AppResult<api_key::Model> {
    actor.person()?.require_admin()?;
    let uow = core.begin().await?;
    let key = find(&uow, id).await?;
    if key.revoked_at.is_some() {
        return Err(AppError::Conflict {
            field: Some("id".into()),
            message: "a revoked key cannot be enabled; create a new one".into(),
            existing_id: None,
        });
    }
    if key.disabled_at.is_none() {
        return Ok(key);
    }
    let creator = match key.created_by {
        Some(user_id) => user::Entity::find_by_id(user_id).one(uow.conn()).await?,
        None => None,
    };
    if !creator.is_some_and(|u| u.is_active && u.role == user::Role::Admin) {
        return Err(AppError::Conflict {
            field: Some("id".into()),
            message: "the key's creator is not an active admin, so it cannot act for them".into(),
            existing_id: None,
        });
    }
    let mut row: api_key::ActiveModel = key.into();
    row.disabled_at = Set(None);
    save(uow, actor, row, "api_key.enabled").await
}

/// Every key, newest first, revoked ones included (admins only).
pub async fn list(core: &Core, actor: &Actor) -> AppResult<Vec<api_key::Model>> {
    actor.person()?.require_admin()?;
    Ok(api_key::Entity::find()
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .all(core.db())
        .await?)
}

/// Turns `Authorization: ApiKey <secret>` into the actor the key acts as:
/// the admin who made it, limited to the key's scopes.
pub async fn authenticate(core: &Core, secret: &str) -> AppResult<Actor> {
    let db = core.db();
    let invalid = || AppError::Unauthenticated("the API key is invalid or revoked".into());
    if !secret.starts_with(SECRET_PREFIX) {
        return Err(invalid());
    }
    let key = api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(hash_secret(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if key.disabled_at.is_some() {
        return Err(AppError::Unauthenticated(
            "the API key was disabled when its admin lost admin rights: an admin may enable it \
             again (enableApiKey)"
                .into(),
        ));
    }
    let creator = match key.created_by {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let Some(creator) = creator.filter(|u| u.is_active && u.role == user::Role::Admin) else {
        return Err(AppError::Unauthenticated(
            "the API key's creator is no longer an active admin: create a new key".into(),
        ));
    };
    let now = Utc::now();
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(key.id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lt(now - Duration::seconds(USE_RESOLUTION_SECS))),
        )
        .exec(db)
        .await?;
    let mut acting = Actor::from_user(&creator, None);
    acting.key = Some(KeyGrant {
        id: key.id,
        scopes: scopes_of(&key),
    });
    Ok(acting)
}
