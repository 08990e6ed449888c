//! The notification bell. Notifications are written in the transaction of
//! the change that causes them (so a crash after commit loses none) and
//! announced on the [`bus`](crate::bus) when it commits. People are not
//! notified of their own actions.
//!
//! A user reaches only their own notifications. One about a lead the user
//! may no longer see keeps its title (which never names the lead) but loses
//! its body and its link to the lead.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    bus::{self, Event},
    entity::{lead, notification},
    error::{AppError, AppResult},
    service::{
        leads,
        page::{Page, PageRequest},
    },
};

/// What the body says when its lead is out of the reader's sight.
pub const REDACTED: &str = "You no longer have access to this lead.";
/// At most this many ids per `markNotificationsRead`.
pub const MAX_MARK: usize = 500;
/// A replay (`notificationAdded(after:)`) returns at most this many.
pub const MAX_REPLAY: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LeadAssigned,
    LeadTransferred,
    AssignmentCompleted,
    LeadBecameHot,
    NoteAdded,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LeadAssigned => "LEAD_ASSIGNED",
            Kind::LeadTransferred => "LEAD_TRANSFERRED",
            Kind::AssignmentCompleted => "ASSIGNMENT_COMPLETED",
            Kind::LeadBecameHot => "LEAD_BECAME_HOT",
            Kind::NoteAdded => "NOTE_ADDED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [
            Kind::LeadAssigned,
            Kind::LeadTransferred,
            Kind::AssignmentCompleted,
            Kind::LeadBecameHot,
            Kind::NoteAdded,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// A notification to write.
#[derive(Debug, Clone)]
pub struct Notice {
    pub user_id: Uuid,
    pub kind: Kind,
    /// Never names the lead: it stays readable when the lead is out of sight.
    pub title: String,
    pub body: String,
    pub lead_id: Option<Uuid>,
}

/// "Pat Lead (Acme)": how bodies name a lead.
pub fn lead_label(lead: &lead::Model) -> String {
    match &lead.company {
        Some(company) => format!("{} {} ({company})", lead.first_name, lead.last_name),
        None => format!("{} {}", lead.first_name, lead.last_name),
    }
}

/// Writes `notices` in the caller's transaction and announces them at commit.
pub async fn push<C: ConnectionTrait>(conn: &C, notices: Vec<Notice>) -> AppResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows: Vec<notification::ActiveModel> = notices
        .iter()
        .map(|n| notification::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(n.user_id),
            kind: Set(n.kind.as_str().into()),
            title: Set(n.title.chars().take(200).collect()),
            body: Set(n.body.clone()),
            lead_id: Set(n.lead_id),
            created_at: Set(now),
            read_at: Set(None),
        })
        .collect();
    let mut events = Vec::with_capacity(rows.len() * 2);
    for row in &rows {
        let (id, user_id) = (*row.id.as_ref(), *row.user_id.as_ref());
        events.push(Event::Notification { id, user_id });
        events.push(Event::UnreadChanged { user_id });
    }
    notification::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    bus::publish(conn, &events).await
}

/// Blanks what `actor` may no longer see.
async fn redact<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    mut items: Vec<notification::Model>,
) -> AppResult<Vec<notification::Model>> {
    let lead_ids: HashSet<Uuid> = items.iter().filter_map(|n| n.lead_id).collect();
    if lead_ids.is_empty() {
        return Ok(items);
    }
    let visible: HashSet<Uuid> = leads::find_visible(actor)
        .filter(lead::Column::Id.is_in(lead_ids))
        .select_only()
        .column(lead::Column::Id)
        .into_tuple::<Uuid>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    for n in &mut items {
        if n.lead_id.is_some_and(|id| !visible.contains(&id)) {
            n.lead_id = None;
            n.body = REDACTED.into();
        }
    }
    Ok(items)
}

/// The actor's notifications, newest first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    unread_only: bool,
    page: PageRequest,
) -> AppResult<Page<notification::Model>> {
    let mut query =
        notification::Entity::find().filter(notification::Column::UserId.eq(actor.user_id));
    if unread_only {
        query = query.filter(notification::Column::ReadAt.is_null());
    }
    // UUID v7 ids grow with time: id order is creation order.
    if let Some(after) = page.after {
        query = query.filter(notification::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(notification::Column::Id)
        .limit(page.limit() + 1)
        .all(db)
        .await?;
    let mut page = page.page(rows);
    page.items = redact(db, actor, page.items).await?;
    Ok(page)
}

/// One of the actor's notifications (none if it is someone else's).
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Option<notification::Model>> {
    let Some(row) = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(actor.user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(redact(db, actor, vec![row]).await?.pop())
}

/// The actor's notifications after `after`, oldest first: what a client that
/// saw `after` last has missed.
pub async fn since(
    db: &DatabaseConnection,
    actor: &Actor,
    after: Uuid,
) -> AppResult<Vec<notification::Model>> {
    let rows = notification::Entity::find()
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::Id.gt(after))
        .order_by_asc(notification::Column::Id)
        .limit(MAX_REPLAY)
        .all(db)
        .await?;
    redact(db, actor, rows).await
}

pub async fn unread_count(db: &DatabaseConnection, actor: &Actor) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks the actor's notifications among `ids` read (others' ids are
/// ignored); returns how many changed.
pub async fn mark_read(db: &DatabaseConnection, actor: &Actor, ids: &[Uuid]) -> AppResult<u64> {
    if ids.len() > MAX_MARK {
        return Err(AppError::bad_input(
            "ids",
            format!("mark at most {MAX_MARK} at once"),
        ));
    }
    mark(db, actor, Some(ids)).await
}

/// Marks all the actor's notifications read; returns how many changed.
pub async fn mark_all_read(db: &DatabaseConnection, actor: &Actor) -> AppResult<u64> {
    mark(db, actor, None).await
}

async fn mark(db: &DatabaseConnection, actor: &Actor, ids: Option<&[Uuid]>) -> AppResult<u64> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        update = update.filter(notification::Column::Id.is_in(ids.iter().copied()));
    }
    let changed = update.exec(&txn).await?.rows_affected;
    if changed > 0 {
        bus::publish(
            &txn,
            &[Event::UnreadChanged {
                user_id: actor.user_id,
            }],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(changed)
}
