//! The bell: a user's notifications, the unread count, marking read.
//!
//! A user reaches only their own notifications. One about a lead the user
//! may no longer see keeps its title (which never names the lead) but loses
//! its body and its link to the lead.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::{lead, notification},
    error::{AppError, AppResult},
    events::Event,
    service::{
        leads::visibility::find_visible,
        page::{Page, PageRequest},
    },
};

/// What the body says when its lead is out of the reader's sight.
pub const REDACTED: &str = "You no longer have access to this lead.";
/// At most this many ids per `markNotificationsRead`.
pub const MAX_MARK: usize = 500;

/// Blanks what `actor` may no longer see (the bell, and the digest).
pub async fn redact<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    mut items: Vec<notification::Model>,
) -> AppResult<Vec<notification::Model>> {
    let lead_ids: HashSet<Uuid> = items.iter().filter_map(|n| n.lead_id).collect();
    if lead_ids.is_empty() {
        return Ok(items);
    }
    let visible: HashSet<Uuid> = find_visible(actor)
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
    core: &Core,
    actor: &Actor,
    unread_only: bool,
    page: PageRequest,
) -> AppResult<Page<notification::Model>> {
    actor.person()?;
    let db = core.reads();
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
pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> AppResult<Option<notification::Model>> {
    let db = core.reads();
    let Some(row) = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(actor.user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(redact(db, actor, vec![row]).await?.pop())
}

/// The actor's notifications after `after` (from the first when none),
/// oldest first, at most `limit`: what a client that saw `after` last has
/// missed.
pub async fn after(
    core: &Core,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    let mut query =
        notification::Entity::find().filter(notification::Column::UserId.eq(actor.user_id));
    if let Some(after) = after {
        query = query.filter(notification::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(core.reads())
        .await?;
    redact(core.reads(), actor, rows).await
}

/// The newest of the actor's notifications.
pub async fn latest(core: &Core, actor: &Actor) -> AppResult<Option<Uuid>> {
    Ok(notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(notification::Column::UserId.eq(actor.user_id))
        .order_by_desc(notification::Column::Id)
        .into_tuple()
        .one(core.reads())
        .await?)
}

pub async fn unread_count(core: &Core, actor: &Actor) -> AppResult<u64> {
    let db = core.reads();
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks the actor's notifications among `ids` read (others' ids are
/// ignored); returns how many changed.
pub async fn mark_read(core: &Core, actor: &Actor, ids: &[Uuid]) -> AppResult<u64> {
    actor.person()?;
    if ids.len() > MAX_MARK {
        return Err(AppError::bad_input(
            "ids",
            format!("mark at most {MAX_MARK} at once"),
        ));
    }
    mark(core, actor, Some(ids)).await
}

/// Marks all the actor's notifications read; returns how many changed.
pub async fn mark_all_read(core: &Core, actor: &Actor) -> AppResult<u64> {
    actor.person()?;
    mark(core, actor, None).await
}

async fn mark(core: &Core, actor: &Actor, ids: Option<&[Uuid]>) -> AppResult<u64> {
    let uow = core.begin().await?;
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        update = update.filter(notification::Column::Id.is_in(ids.iter().copied()));
    }
    let changed = update.exec(uow.conn()).await?.rows_affected;
    if changed > 0 {
        uow.publish(Event::UnreadChanged {
            user_id: actor.user_id,
        });
    }
    uow.commit().await?;
    Ok(changed)
}
