//! Sign-up, sign-in, sessions (refresh-token families) and request authentication.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{
        password,
        token::{self, TokenKeys},
        Actor,
    },
    bus::{self, Event},
    entity::{
        refresh_token,
        user::{self, Role},
    },
    error::{is_unique_violation, AppError, AppResult},
    service::{
        audit::{self, AuditEntry},
        throttle,
    },
    validate::{self, Email},
};

/// What the account operations need besides a connection, built once at start-up.
#[derive(Clone)]
pub struct AuthConfig {
    pub keys: TokenKeys,
    /// Verified against when the email is unknown, to equalise timing.
    pub decoy_hash: String,
    pub allow_signup: bool,
}

/// A signed-in session: what `login`, `register` and `refreshToken` return.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub full_name: String,
}

const INVALID_LOGIN: &str = "invalid email or password";
const INVALID_REFRESH: &str = "the refresh token is invalid, expired or revoked: sign in again";

/// Starts a new session, or continues `family` when rotating a refresh token.
async fn open_session<C: ConnectionTrait>(
    conn: &C,
    auth: &AuthConfig,
    user: user::Model,
    family: Option<Uuid>,
) -> AppResult<Session> {
    let now = Utc::now();
    let family_id = family.unwrap_or_else(Uuid::now_v7);
    let secret = token::new_opaque_secret();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        family_id: Set(family_id),
        token_hash: Set(token::hash_secret(&secret)),
        created_at: Set(now),
        expires_at: Set(now + token::REFRESH_TTL),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    let (access_token, expires_at) = auth
        .keys
        .issue(user.id, user.role, user.token_version, family_id, now)
        .map_err(AppError::internal)?;
    Ok(Session {
        access_token,
        refresh_token: secret,
        expires_at,
        user,
    })
}

pub fn full_name(field: &str, raw: &str) -> AppResult<String> {
    validate::text(field, raw, 200)
}

/// Inserts a user, turning a duplicate email into CONFLICT on `field`.
pub async fn insert_user<C: ConnectionTrait>(
    conn: &C,
    email: Email,
    full_name: String,
    role: Role,
    password_hash: String,
    field: &str,
) -> AppResult<user::Model> {
    let now = Utc::now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.into_inner()),
        full_name: Set(full_name),
        password_hash: Set(password_hash),
        role: Set(role),
        is_active: Set(true),
        token_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
    };
    model.insert(conn).await.map_err(|err| {
        if is_unique_violation(&err) {
            AppError::Conflict {
                message: format!("{field}: an account with this email already exists"),
                existing_id: None,
            }
        } else {
            err.into()
        }
    })
}

#[tracing::instrument(skip_all, fields(email = %input.email))]
pub async fn register(
    db: &DatabaseConnection,
    auth: &AuthConfig,
    input: RegisterInput,
    ip: Option<&str>,
) -> AppResult<Session> {
    if !auth.allow_signup {
        return Err(AppError::Forbidden(
            "self sign-up is turned off here: ask an admin for an account".into(),
        ));
    }
    let email = Email::parse("input.email", &input.email)?;
    let full_name = full_name("input.fullName", &input.full_name)?;
    password::validate("input.password", &input.password)?;
    let hash = password::hash(input.password).await?;
    let txn = db.begin().await?;
    let user = insert_user(&txn, email, full_name, Role::SalesRep, hash, "input.email").await?;
    audit::record(
        &txn,
        AuditEntry::new("user.registered")
            .actor(user.id)
            .entity("user", user.id)
            .subject(&user.email)
            .ip(ip),
    )
    .await?;
    let session = open_session(&txn, auth, user, None).await?;
    txn.commit().await?;
    Ok(session)
}

#[tracing::instrument(skip_all, fields(email = %email))]
pub async fn login(
    db: &DatabaseConnection,
    auth: &AuthConfig,
    email: &str,
    password: String,
    ip: Option<&str>,
) -> AppResult<Session> {
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    if let Err(err) = throttle::check(db, &email, ip, now).await {
        audit::record(
            db,
            AuditEntry::new(throttle::LOGIN_THROTTLED)
                .subject(&email)
                .ip(ip),
        )
        .await?;
        return Err(err);
    }
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    // Always run argon2, against a decoy when the account is unknown, so the
    // answer takes the same time either way.
    let hash = user
        .as_ref()
        .map_or_else(|| auth.decoy_hash.clone(), |u| u.password_hash.clone());
    let password_ok = password::verify(password, hash).await?;
    let user = match user {
        Some(user) if password_ok && user.is_active => user,
        other => {
            let reason = match other {
                None => "unknown email",
                Some(u) if !u.is_active => "deactivated account",
                Some(_) => "wrong password",
            };
            audit::record(
                db,
                AuditEntry::new(throttle::LOGIN_FAILED)
                    .subject(&email)
                    .ip(ip)
                    .details(json!({ "reason": reason })),
            )
            .await?;
            return Err(AppError::Unauthenticated(INVALID_LOGIN.into()));
        }
    };
    let txn = db.begin().await?;
    let mut active = user.into_active_model();
    active.last_login_at = Set(Some(now));
    let user = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(throttle::LOGIN_SUCCEEDED)
            .actor(user.id)
            .entity("user", user.id)
            .subject(&email)
            .ip(ip),
    )
    .await?;
    let session = open_session(&txn, auth, user, None).await?;
    txn.commit().await?;
    Ok(session)
}

async fn revoke_family<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    family_id: Uuid,
) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    bus::publish(conn, &[Event::AccessChanged { user_id }]).await?;
    Ok(())
}

/// Ends every session of a user at once.
pub async fn revoke_all_sessions<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    bus::publish(conn, &[Event::AccessChanged { user_id }]).await
}

/// Rotates a refresh token: the presented one is spent, a new one of the
/// same session is returned. Presenting a spent token again means it was
/// stolen or replayed, so the whole session is revoked.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    db: &DatabaseConnection,
    auth: &AuthConfig,
    presented: &str,
    ip: Option<&str>,
) -> AppResult<Session> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token::hash_secret(presented.trim())))
        .one(&txn)
        .await?
    else {
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    };
    if stored.revoked_at.is_some() || stored.expires_at <= now {
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    }
    // Spend it only if nobody else has: the condition makes a race count as reuse.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        revoke_family(&txn, stored.user_id, stored.family_id).await?;
        audit::record(
            &txn,
            AuditEntry::new("session.reuse_detected")
                .actor(stored.user_id)
                .entity("user", stored.user_id)
                .ip(ip)
                .details(json!({ "session": stored.family_id })),
        )
        .await?;
        txn.commit().await?;
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    }
    let user = user::Entity::find_by_id(stored.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.is_active);
    let Some(user) = user else {
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    };
    let session = open_session(&txn, auth, user, Some(stored.family_id)).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to; its access tokens stop working too.
#[tracing::instrument(skip_all)]
pub async fn logout(db: &DatabaseConnection, presented: &str, ip: Option<&str>) -> AppResult<()> {
    let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token::hash_secret(presented.trim())))
        .one(db)
        .await?
    else {
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    };
    let txn = db.begin().await?;
    revoke_family(&txn, stored.user_id, stored.family_id).await?;
    audit::record(
        &txn,
        AuditEntry::new("logout")
            .actor(stored.user_id)
            .entity("user", stored.user_id)
            .ip(ip),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Changes the password, ends every session (on every device) and opens a new one here.
#[tracing::instrument(skip_all, fields(user_id = %actor.user_id))]
pub async fn change_password(
    db: &DatabaseConnection,
    auth: &AuthConfig,
    actor: &Actor,
    current: String,
    new: String,
) -> AppResult<Session> {
    password::validate("newPassword", &new)?;
    let user = user::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if !password::verify(current, user.password_hash.clone()).await? {
        return Err(AppError::bad_input(
            "currentPassword",
            "the current password is wrong",
        ));
    }
    let hash = password::hash(new).await?;
    let txn = db.begin().await?;
    let version = user.token_version + 1;
    let mut active = user.into_active_model();
    active.password_hash = Set(hash);
    active.token_version = Set(version);
    active.updated_at = Set(Utc::now());
    let user = active.update(&txn).await?;
    revoke_all_sessions(&txn, user.id).await?;
    audit::record(
        &txn,
        AuditEntry::new("user.password_changed")
            .actor(user.id)
            .entity("user", user.id),
    )
    .await?;
    let session = open_session(&txn, auth, user, None).await?;
    txn.commit().await?;
    Ok(session)
}

/// Whether `actor` (verified earlier, on a long-lived connection) may still
/// act: active, with the same role, and its session not ended.
pub async fn still_valid(db: &DatabaseConnection, actor: &Actor) -> AppResult<bool> {
    let Some(user) = user::Entity::find_by_id(actor.user_id).one(db).await? else {
        return Ok(false);
    };
    if !user.is_active || user.role != actor.role {
        return Ok(false);
    }
    let Some(session) = actor.session_id else {
        return Ok(true);
    };
    let revoked = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(session))
        .filter(refresh_token::Column::RevokedAt.is_not_null())
        .one(db)
        .await?;
    Ok(revoked.is_none())
}

/// Turns a bearer token into an [`Actor`], checking against the database that
/// the user is still active, the token version is current and the session
/// has not been revoked.
pub async fn authenticate(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    bearer: &str,
) -> AppResult<Actor> {
    let invalid = || {
        AppError::Unauthenticated(
            "the access token is invalid or expired: refresh it or sign in again".into(),
        )
    };
    let claims = keys.verify(bearer).ok_or_else(invalid)?;
    let user = user::Entity::find_by_id(claims.sub)
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if !user.is_active || user.token_version != claims.ver {
        return Err(invalid());
    }
    let revoked = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(claims.sid))
        .filter(refresh_token::Column::RevokedAt.is_not_null())
        .one(db)
        .await?;
    if revoked.is_some() {
        return Err(invalid());
    }
    Ok(Actor::from_user(&user, Some(claims.sid)))
}
