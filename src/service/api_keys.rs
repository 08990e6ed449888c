//! API keys: how integrations (a website, a mail tool) feed leadscore without
//! a person's password. A key is shown once and stored as a SHA-256 hash (it
//! carries 256 random bits, so a slow hash would add nothing). It may do what
//! its scopes name and nothing else; it acts for the admin who made it, so it
//! stops working when that admin is deactivated or is no longer an admin.
use chrono::{Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{
        token::{hash_secret, new_opaque_secret},
        Actor,
    },
    entity::{api_key, user},
    error::{AppError, AppResult},
    service::audit::{self, AuditEntry},
};

/// Every secret starts with this, so a leaked one is easy to recognise.
pub const SECRET_PREFIX: &str = "lsk_";
/// How much of the secret is kept in clear, to tell keys apart.
const SHOWN_CHARS: usize = 12;
/// `last_used_at` is written at most this often per key.
const USE_RESOLUTION_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `recordEngagementEvent(s)`.
    EventsWrite,
    /// `createLead` and `updateLead`.
    LeadsWrite,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EventsWrite => "EVENTS_WRITE",
            Scope::LeadsWrite => "LEADS_WRITE",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "EVENTS_WRITE" => Some(Scope::EventsWrite),
            "LEADS_WRITE" => Some(Scope::LeadsWrite),
            _ => None,
        }
    }
}

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

/// A verified key: what it may do, and the admin it acts for.
#[derive(Debug, Clone)]
pub struct ApiKeyGrant {
    pub key_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub acting: Actor,
}

impl ApiKeyGrant {
    /// The actor to run an operation as, if this key holds `scope`.
    pub fn actor_for(&self, scope: Scope) -> AppResult<&Actor> {
        if self.scopes.contains(&scope) {
            Ok(&self.acting)
        } else {
            Err(AppError::Forbidden(format!(
                "this API key lacks the {} scope",
                scope.as_str()
            )))
        }
    }
}

/// Creates a key (admins only); returns it with its secret, shown this once.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    scopes: &[Scope],
) -> AppResult<(api_key::Model, String)> {
    actor.require_admin()?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("name", "must be 1 to 200 characters"));
    }
    if scopes.is_empty() {
        return Err(AppError::bad_input("scopes", "name at least one scope"));
    }
    let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let secret = format!("{SECRET_PREFIX}{}", new_opaque_secret());
    let txn = db.begin().await?;
    let key = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_string()),
        prefix: Set(secret[..SHOWN_CHARS].to_string()),
        secret_hash: Set(hash_secret(&secret)),
        scopes: Set(json!(names)),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("api_key.created")
            .actor(actor.user_id)
            .entity("api_key", key.id)
            .subject(&key.name)
            .details(json!({ "scopes": names })),
    )
    .await?;
    txn.commit().await?;
    Ok((key, secret))
}

/// Revokes a key at once (admins only); revoking twice changes nothing.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, key = %id))]
pub async fn revoke(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<api_key::Model> {
    actor.require_admin()?;
    let txn = db.begin().await?;
    let key = api_key::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut row: api_key::ActiveModel = key.into();
    row.revoked_at = Set(Some(Utc::now()));
    let key = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new("api_key.revoked")
            .actor(actor.user_id)
            .entity("api_key", key.id)
            .subject(&key.name),
    )
    .await?;
    txn.commit().await?;
    Ok(key)
}

/// Every key, newest first, revoked ones included (admins only).
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> AppResult<Vec<api_key::Model>> {
    actor.require_admin()?;
    Ok(api_key::Entity::find()
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// Turns `Authorization: ApiKey <secret>` into a grant.
pub async fn authenticate(db: &DatabaseConnection, secret: &str) -> AppResult<ApiKeyGrant> {
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
    acting.api_key = Some(key.id);
    Ok(ApiKeyGrant {
        key_id: key.id,
        scopes: scopes_of(&key),
        name: key.name,
        acting,
    })
}
