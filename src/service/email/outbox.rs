//! Writing the outbox, in the transaction of the notifications it mails.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
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

/// What some users chose, per kind; [`Preferences::of`] fills in the defaults.
pub struct Preferences(HashMap<(Uuid, NotificationKind), Delivery>);

impl Preferences {
    /// How `user_id` has `kind` delivered: their choice, or the default.
    pub fn of(&self, user_id: Uuid, kind: NotificationKind) -> Delivery {
        self.0
            .get(&(user_id, kind))
            .copied()
            .unwrap_or(Delivery::default_for(kind))
    }
}

/// What each of `users` chose.
pub async fn deliveries<C: sea_orm::ConnectionTrait>(
    conn: &C,
    users: &HashSet<Uuid>,
) -> AppResult<Preferences> {
    let chosen = notification_preference::Entity::find()
        .filter(notification_preference::Column::UserId.is_in(users.iter().copied()))
        .all(conn)
        .await?;
    Ok(Preferences(
        chosen
            .into_iter()
            .map(|p| ((p.user_id, p.kind), p.delivery))
            .collect(),
    ))
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
    let drafts: Vec<Draft> = written
        .into_iter()
        .filter(|w| active.contains(&w.user_id))
        .filter(|w| chosen.of(w.user_id, w.kind) == Delivery::Instant)
        .map(|w| Draft {
            user_id: w.user_id,
            kind: kind_name(w.kind),
            dedupe_key: format!("notification:{}", w.notification_id),
            lead_id: w.lead_id,
            subject: w.title,
            text: w.body,
            html: String::new(),
        })
        .collect();
    let now = Utc::now();
    insert(uow.conn(), drafts, now, now).await?;
    Ok(())
}

/// A message to queue: what differs from one to the next.
pub struct Draft {
    pub user_id: Uuid,
    pub kind: String,
    pub dedupe_key: String,
    pub lead_id: Option<Uuid>,
    pub subject: String,
    pub text: String,
    /// Empty: the worker wraps the text in markup when it sends.
    pub html: String,
}

/// Queues `drafts`, written at `created_at` and due at `due`; one whose
/// dedupe key is already queued is left out. How many were queued.
pub async fn insert<C: sea_orm::ConnectionTrait>(
    conn: &C,
    drafts: Vec<Draft>,
    created_at: DateTime<Utc>,
    due: DateTime<Utc>,
) -> AppResult<u64> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let rows = drafts.into_iter().map(|d| email_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(d.user_id),
        kind: Set(d.kind),
        dedupe_key: Set(d.dedupe_key),
        lead_id: Set(d.lead_id),
        subject: Set(d.subject),
        text_body: Set(d.text),
        html_body: Set(d.html),
        status: Set(EmailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(due),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(created_at),
        sent_at: Set(None),
    });
    Ok(email_outbox::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(email_outbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?)
}

/// The kind as stored and as GraphQL names it (its database value).
pub fn kind_name(kind: NotificationKind) -> String {
    kind.to_value()
}

/// The kind a stored name stands for.
pub fn kind_of(name: &str) -> Option<NotificationKind> {
    NotificationKind::try_from_value(&name.to_string()).ok()
}
