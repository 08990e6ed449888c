//! Sign-up, sign-in, refresh-token sessions, sign-out and password change.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::throttle;
use crate::{
    auth::{password, token, Actor, AuthConfig},
    core::Core,
    db::{dialect::unique_violation, UnitOfWork},
    entity::{
        refresh_token,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::Event,
    ops::metrics::Throttled,
    service::audit::{self, AuditEntry},
    values::{Email, FullName, Password},
};

/// A signed-in session: what `login`, `register` and `refreshToken` return.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// A sign-up, every field validated.
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub full_name: FullName,
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

/// Inserts a user, turning a duplicate email into CONFLICT on `email`.
pub async fn insert_user<C: ConnectionTrait>(
    conn: &C,
    email: Email,
    full_name: FullName,
    role: Role,
    password_hash: String,
) -> AppResult<user::Model> {
    let now = Utc::now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.into_inner()),
        full_name: Set(full_name.into_inner()),
        password_hash: Set(password_hash),
        role: Set(role),
        is_active: Set(true),
        token_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        time_zone: Set("UTC".into()),
    };
    model.insert(conn).await.map_err(email_taken)
}

/// A duplicate email as CONFLICT on `email`; anything else as it is.
pub fn email_taken(err: DbErr) -> AppError {
    if unique_violation(&err) == Some("users.email") {
        AppError::Conflict {
            field: Some("email".into()),
            message: "an account with this email already exists".into(),
            existing_id: None,
        }
    } else {
        err.into()
    }
}

#[tracing::instrument(skip_all, fields(email = %input.email.as_str()))]
pub async fn register(core: &Core, input: Registration, ip: Option<&str>) -> AppResult<Session> {
    let auth = core.auth();
    if !auth.allow_signup {
        return Err(AppError::Forbidden(
            "self sign-up is turned off here: ask an admin for an account".into(),
        ));
    }
    let db = core.db();
    // Counted before the hash: hashing is what an abuser would make us pay for.
    if let Err(err) = throttle::check_signup(db, ip, auth.signup_limit_per_hour, Utc::now()).await {
        if matches!(err, AppError::TooManyRequests { .. }) {
            core.ops().metrics().throttled(Throttled::Signup);
        }
        return Err(err);
    }
    let subject = input.email.as_str().to_string();
    let hash = password::hash(input.password.into_inner()).await?;
    let uow = core.begin().await?;
    let user = match insert_user(
        uow.conn(),
        input.email,
        input.full_name,
        Role::SalesRep,
        hash,
    )
    .await
    {
        Ok(user) => user,
        Err(err) => {
            drop(uow);
            audit::record(
                db,
                AuditEntry::new(throttle::SIGNUP_REFUSED)
                    .subject(subject)
                    .ip(ip),
            )
            .await?;
            return Err(err);
        }
    };
    audit::record(
        uow.conn(),
        AuditEntry::new(throttle::SIGNUP_SUCCEEDED)
            .actor(user.id)
            .entity("user", user.id)
            .subject(&user.email)
            .ip(ip),
    )
    .await?;
    let session = open_session(uow.conn(), auth, user, None).await?;
    uow.commit().await?;
    Ok(session)
}

#[tracing::instrument(skip_all, fields(email = %email))]
pub async fn login(
    core: &Core,
    email: &str,
    password: String,
    ip: Option<&str>,
) -> AppResult<Session> {
    let (db, auth) = (core.db(), core.auth());
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    if let Err(err) = throttle::check(db, &email, ip, now).await {
        if matches!(err, AppError::TooManyRequests { .. }) {
            core.ops().metrics().throttled(Throttled::Login);
        }
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
    let uow = core.begin().await?;
    let mut active = user.into_active_model();
    active.last_login_at = Set(Some(now));
    let user = active.update(uow.conn()).await?;
    // Other sessions' access-cache entries hold the row for `me`.
    uow.publish(Event::AccessChanged { user_id: user.id });
    audit::record(
        uow.conn(),
        AuditEntry::new(throttle::LOGIN_SUCCEEDED)
            .actor(user.id)
            .entity("user", user.id)
            .subject(&email)
            .ip(ip),
    )
    .await?;
    let session = open_session(uow.conn(), auth, user, None).await?;
    uow.commit().await?;
    Ok(session)
}

async fn revoke_family(uow: &UnitOfWork, user_id: Uuid, family_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(uow.conn())
        .await?;
    uow.publish(Event::AccessChanged { user_id });
    Ok(())
}

/// Ends every session of a user at once.
pub async fn revoke_all_sessions(uow: &UnitOfWork, user_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(uow.conn())
        .await?;
    uow.publish(Event::AccessChanged { user_id });
    Ok(())
}

/// Rotates a refresh token: the presented one is spent, a new one of the
/// same session is returned. Presenting a spent token again means it was
/// stolen or replayed, so the whole session is revoked.
#[tracing::instrument(skip_all)]
pub async fn refresh(core: &Core, presented: &str, ip: Option<&str>) -> AppResult<Session> {
    let now = Utc::now();
    let uow = core.begin().await?;
    let txn = uow.conn();
    let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token::hash_secret(presented.trim())))
        .one(txn)
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
        .exec(txn)
        .await?;
    if spent.rows_affected == 0 {
        revoke_family(&uow, stored.user_id, stored.family_id).await?;
        audit::record(
            uow.conn(),
            AuditEntry::new("session.reuse_detected")
                .actor(stored.user_id)
                .entity("user", stored.user_id)
                .ip(ip)
                .details(json!({ "session": stored.family_id })),
        )
        .await?;
        uow.commit().await?;
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    }
    let user = user::Entity::find_by_id(stored.user_id)
        .one(uow.conn())
        .await?
        .filter(|u| u.is_active);
    let Some(user) = user else {
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    };
    let session = open_session(uow.conn(), core.auth(), user, Some(stored.family_id)).await?;
    uow.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to; its access tokens stop working too.
#[tracing::instrument(skip_all)]
pub async fn logout(core: &Core, presented: &str, ip: Option<&str>) -> AppResult<()> {
    let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token::hash_secret(presented.trim())))
        .one(core.db())
        .await?
    else {
        return Err(AppError::Unauthenticated(INVALID_REFRESH.into()));
    };
    let uow = core.begin().await?;
    revoke_family(&uow, stored.user_id, stored.family_id).await?;
    audit::record(
        uow.conn(),
        AuditEntry::new("logout")
            .actor(stored.user_id)
            .entity("user", stored.user_id)
            .ip(ip),
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// Changes the password, ends every session (on every device) and opens a new one here.
#[tracing::instrument(skip_all, fields(user_id = %actor.user_id))]
pub async fn change_password(
    core: &Core,
    actor: &Actor,
    current: String,
    new: Password,
    ip: Option<&str>,
) -> AppResult<Session> {
    actor.person()?;
    let db = core.db();
    let user = user::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    // A wrong current password is a password guess like a failed sign-in:
    // a stolen access token must not become an unthrottled oracle.
    if let Err(err) = throttle::check(db, &user.email, ip, Utc::now()).await {
        if matches!(err, AppError::TooManyRequests { .. }) {
            core.ops().metrics().throttled(Throttled::Login);
        }
        return Err(err);
    }
    if !password::verify(current, user.password_hash.clone()).await? {
        audit::record(
            db,
            AuditEntry::new(throttle::LOGIN_FAILED)
                .actor(user.id)
                .subject(&user.email)
                .ip(ip)
                .details(json!({ "reason": "wrong current password (changePassword)" })),
        )
        .await?;
        return Err(AppError::bad_input(
            "current_password",
            "the current password is wrong",
        ));
    }
    let hash = password::hash(new.into_inner()).await?;
    let uow = core.begin().await?;
    let version = user.token_version + 1;
    let mut active = user.into_active_model();
    active.password_hash = Set(hash);
    active.token_version = Set(version);
    active.updated_at = Set(Utc::now());
    let user = active.update(uow.conn()).await?;
    revoke_all_sessions(&uow, user.id).await?;
    audit::record(
        uow.conn(),
        AuditEntry::new("user.password_changed")
            .actor(user.id)
            .entity("user", user.id),
    )
    .await?;
    let session = open_session(uow.conn(), core.auth(), user, None).await?;
    uow.commit().await?;
    Ok(session)
}
