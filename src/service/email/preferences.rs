//! Each user's choice, per notification kind, of how it is mailed; and the
//! unsubscribe link, which turns one kind off without a sign-in.
use std::collections::HashSet;

use sea_orm::{sea_query::OnConflict, ColumnTrait, EntityTrait, Iterable, QueryFilter, Set};
use uuid::Uuid;

use super::outbox::{self, DIGEST};
use crate::{
    auth::Actor,
    core::Core,
    entity::{
        notification::NotificationKind,
        notification_preference::{self, Delivery},
        user,
    },
    error::{AppError, AppResult},
};

/// Every kind with how `user_id` has it delivered (their choice or the default).
async fn of(core: &Core, user_id: Uuid) -> AppResult<Vec<(NotificationKind, Delivery)>> {
    let chosen = outbox::deliveries(core.reads(), &HashSet::from([user_id])).await?;
    Ok(NotificationKind::iter()
        .map(|kind| (kind, chosen.of(user_id, kind)))
        .collect())
}

pub async fn mine(core: &Core, actor: &Actor) -> AppResult<Vec<(NotificationKind, Delivery)>> {
    actor.person()?;
    of(core, actor.user_id).await
}

async fn set(
    core: &Core,
    user_id: Uuid,
    changes: &[(NotificationKind, Delivery)],
) -> AppResult<()> {
    let rows = changes
        .iter()
        .map(|(kind, delivery)| notification_preference::ActiveModel {
            user_id: Set(user_id),
            kind: Set(*kind),
            delivery: Set(*delivery),
        });
    notification_preference::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                notification_preference::Column::UserId,
                notification_preference::Column::Kind,
            ])
            .update_column(notification_preference::Column::Delivery)
            .to_owned(),
        )
        .exec_without_returning(core.db())
        .await?;
    Ok(())
}

/// Sets the actor's choices (one per kind at most) and returns them all.
pub async fn update(
    core: &Core,
    actor: &Actor,
    changes: Vec<(NotificationKind, Delivery)>,
) -> AppResult<Vec<(NotificationKind, Delivery)>> {
    actor.person()?;
    for (i, (kind, _)) in changes.iter().enumerate() {
        if changes[..i].iter().any(|(k, _)| k == kind) {
            return Err(AppError::bad_input(
                format!("[{i}].kind"),
                format!("{} is listed twice", outbox::kind_name(*kind)),
            ));
        }
    }
    if !changes.is_empty() {
        set(core, actor.user_id, &changes).await?;
    }
    of(core, actor.user_id).await
}

/// What an unsubscribe link turns off, in words.
pub fn describe(kind: &str) -> String {
    if kind == DIGEST {
        "the daily digest".into()
    } else {
        format!(
            "\"{}\" notifications",
            kind.to_lowercase().replace('_', " ")
        )
    }
}

/// Turns off what an unsubscribe link names (a kind; for the digest, every
/// kind it carries); the user's email and what was turned off, in words.
pub async fn unsubscribe(core: &Core, token: &str) -> AppResult<(String, String)> {
    let invalid =
        || AppError::bad_input("token", "this unsubscribe link is not valid (or expired)");
    let (user_id, kind) = core
        .auth()
        .keys
        .verify_unsubscribe(token)
        .ok_or_else(invalid)?;
    let user = user::Entity::find_by_id(user_id)
        .one(core.reads())
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let off: Vec<(NotificationKind, Delivery)> = if kind == DIGEST {
        of(core, user_id)
            .await?
            .into_iter()
            .filter(|(_, delivery)| *delivery == Delivery::DailyDigest)
            .map(|(kind, _)| (kind, Delivery::Off))
            .collect()
    } else {
        vec![(outbox::kind_of(&kind).ok_or_else(invalid)?, Delivery::Off)]
    };
    if !off.is_empty() {
        set(core, user_id, &off).await?;
    }
    tracing::info!(user = %user_id, kind = %kind, "unsubscribed by link");
    Ok((user.email, describe(&kind)))
}

/// The IANA zone the actor's daily digest is timed in.
pub async fn time_zone(core: &Core, actor: &Actor) -> AppResult<String> {
    actor.person()?;
    let user = user::Entity::find_by_id(actor.user_id)
        .one(core.reads())
        .await?
        .ok_or(AppError::NotFound("user"))?;
    Ok(user.time_zone)
}

/// Sets it (an IANA name such as `Europe/Berlin`).
pub async fn set_time_zone(core: &Core, actor: &Actor, zone: &str) -> AppResult<String> {
    actor.person()?;
    let zone: chrono_tz::Tz = zone.trim().parse().map_err(|_| {
        AppError::bad_input(
            "timeZone",
            format!("{zone:?} is not an IANA time zone (such as Europe/Berlin)"),
        )
    })?;
    user::Entity::update_many()
        .col_expr(
            user::Column::TimeZone,
            sea_orm::sea_query::Expr::value(zone.name()),
        )
        .filter(user::Column::Id.eq(actor.user_id))
        .exec(core.db())
        .await?;
    Ok(zone.name().to_string())
}
