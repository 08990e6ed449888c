//! Whether a user may act now: active, and their session not ended. The
//! one check behind both a request's bearer token and a live connection's
//! periodic re-check.
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::{refresh_token, user},
    error::{AppError, AppResult},
};

/// The user, if active and (with a session) that session theirs and not
/// revoked. The session must exist: a token naming one that was never
/// opened is refused, so a leaked signing key alone cannot mint sessions.
async fn current_user(
    core: &Core,
    user_id: Uuid,
    session: Option<Uuid>,
) -> AppResult<Option<user::Model>> {
    let Some(user) = user::Entity::find_by_id(user_id)
        .one(core.reads())
        .await?
        .filter(|u| u.is_active)
    else {
        return Ok(None);
    };
    let Some(session) = session else {
        return Ok(Some(user));
    };
    // A revoked token of the family first, if there is one.
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(session))
        .order_by(
            Expr::col(refresh_token::Column::RevokedAt).is_null(),
            Order::Asc,
        )
        .one(core.reads())
        .await?;
    let open = token.is_some_and(|t| t.user_id == user.id && t.revoked_at.is_none());
    Ok(open.then_some(user))
}

/// Turns a bearer token into an [`Actor`]: the token verifies, the user is
/// active, the token version is current and the session is not revoked
/// (read from the database, or remembered since the last access change:
/// see [`AccessCache`](crate::auth::cache::AccessCache)).
pub async fn authenticate(core: &Core, bearer: &str) -> AppResult<Actor> {
    let invalid = || {
        AppError::Unauthenticated(
            "the access token is invalid or expired: refresh it or sign in again".into(),
        )
    };
    let claims = core.auth().keys.verify(bearer).ok_or_else(invalid)?;
    let generation = core.bus().access_generation();
    if let Some(actor) = core
        .access()
        .get(claims.sub, claims.sid, claims.ver, generation)
    {
        return Ok(actor);
    }
    let user = current_user(core, claims.sub, Some(claims.sid))
        .await?
        .filter(|u| u.token_version == claims.ver)
        .ok_or_else(invalid)?;
    let actor = Actor::from_user(&user, Some(claims.sid));
    core.access().put(claims.sid, generation, &actor, user);
    Ok(actor)
}

/// The signed-in user's row as read by this request's token check (or a
/// check since the last access change), without reading it again.
pub fn checked_user(core: &Core, actor: &Actor) -> Option<user::Model> {
    let session = actor.session_id.filter(|_| actor.key.is_none())?;
    core.access()
        .user(actor.user_id, session, core.bus().access_generation())
        .map(|user| (*user).clone())
}

/// Whether `actor` (verified earlier, on a long-lived connection) may still
/// act: active, with the same role, and its session not ended.
pub async fn still_valid(core: &Core, actor: &Actor) -> AppResult<bool> {
    Ok(current_user(core, actor.user_id, actor.session_id)
        .await?
        .is_some_and(|u| u.role == actor.role))
}

/// The person a background job (an import, a bulk change) acts as: who
/// started it, as they are now (their role read again); the command line's
/// operator when no one did. An inactive user's job stops.
pub async fn job_actor(core: &Core, requested_by: Option<Uuid>) -> AppResult<Actor> {
    let Some(user_id) = requested_by else {
        return Ok(Actor::operator());
    };
    match current_user(core, user_id, None).await? {
        Some(user) => Ok(Actor::from_user(&user, None)),
        None => Err(AppError::Forbidden(
            "the user who started this job is no longer active".into(),
        )),
    }
}
