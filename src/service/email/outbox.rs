//! Writing the outbox, in the transaction of the notifications it mails.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    sea_query::OnConflict, ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    db::UnitOfWork,
    entity::{
        email_outbox::{self, EmailStatus},
        notification::NotificationKind,
        notification_preference::{self, Delivery},
        user,
    },
    error::AppResult,
};

/// The outbox kind of a daily digest.
pub const DIGEST: &str = "DIGEST";

/// A notification just written, as the outbox sees it.
pub struct Written {
    pub notification_id: Uuid,
    pub user_id: Uuid,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub lead_id: Option<Uuid>,
}

/// How each of `users` wants `kinds` delivered (defaults where they chose nothing).
pub async fn deliveries<C: sea_orm::ConnectionTrait>(
    conn: &C,
    users: &HashSet<Uuid>,
) -> AppResult<HashMap<(Uuid, NotificationKind), Delivery>> {
    let chosen = notification_preference::Entity::find()
        .filter(notification_preference::Column::UserId.is_in(users.iter().copied()))
        .all(conn)
        .await?;
    Ok(chosen
        .into_iter()
        .map(|p| ((p.user_id, p.kind), p.delivery))
        .collect())
}

/// Adds a message for each notification its recipient wants instantly.
/// Those for the digest are read from the notifications when it is due.
pub async fn enqueue(uow: &UnitOfWork, written: Vec<Written>) -> AppResult<()> {
    if !uow.mails() || written.is_empty() {
        return Ok(());
    }
    let users: HashSet<Uuid> = written.iter().map(|w| w.user_id).collect();
    let chosen = deliveries(uow.conn(), &users).await?;
    let active: HashSet<Uuid> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(users.iter().copied()))
        .filter(user::Column::IsActive.eq(true))
        .into_tuple::<Uuid>()
        .all(uow.conn())
        .await?
        .into_iter()
        .collect();
    let now = Utc::now();
    let rows: Vec<email_outbox::ActiveModel> = written
        .into_iter()
        .filter(|w| active.contains(&w.user_id))
        .filter(|w| {
            chosen
                .get(&(w.user_id, w.kind))
                .copied()
                .unwrap_or(Delivery::default_for(w.kind))
                == Delivery::Instant
        })
        .map(|w| email_outbox::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(w.user_id),
            kind: Set(kind_name(w.kind)),
            dedupe_key: Set(format!("notification:{}", w.notification_id)),
            lead_id: Set(w.lead_id),
            subject: Set(w.title),
            text_body: Set(w.body),
            html_body: Set(String::new()),
            status: Set(EmailStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    email_outbox::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(email_outbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(uow.conn())
        .await?;
    Ok(())
}

/// The kind as stored and as GraphQL names it (its database value).
pub fn kind_name(kind: NotificationKind) -> String {
    kind.to_value()
}

/// The kind a stored name stands for.
pub fn kind_of(name: &str) -> Option<NotificationKind> {
    NotificationKind::try_from_value(&name.to_string()).ok()
}
