//! The notification bell: list, count, mark read, and live.
use std::sync::Arc;

use async_graphql::{
    connection::{Connection, EmptyFields},
    Context, Object, Result, Subscription, ID,
};
use futures_util::{Stream, StreamExt};

use super::{
    context::ContextExt,
    cursor,
    types::{Notification, NotificationAdded},
    users::parse_id,
};
use crate::{
    events::{shared::SharedReads, streams},
    service::notifications::{self, bell, live::NotificationsAs},
};

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your notifications, newest first.
    #[graphql(complexity = "super::paging::cost(first, None, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        unread_only: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Notification>> {
        let page = super::paging::forward(first, after)?;
        let page = bell::list(ctx.core(), ctx.actor()?, unread_only.unwrap_or(false), page).await?;
        Ok(super::paging::connection(
            page,
            EmptyFields,
            |n| n.id,
            Notification,
        ))
    }

    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(notifications::unread_count(ctx.core(), ctx.actor()?.person()?).await?)
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks these of your notifications read (at most 500); returns how
    /// many were unread. Ids that are not yours are ignored.
    async fn mark_notifications_read(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<u64> {
        let ids = ids
            .iter()
            .enumerate()
            .map(|(i, id)| parse_id(&format!("ids[{i}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(notifications::mark_read(ctx.core(), ctx.actor()?, &ids).await?)
    }

    /// Returns how many were unread.
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(notifications::mark_all_read(ctx.core(), ctx.actor()?).await?)
    }
}

/// The connection's shared reads (a websocket inserts them at init).
pub fn shared_reads(ctx: &Context<'_>) -> Arc<SharedReads> {
    ctx.data_opt::<Arc<SharedReads>>()
        .cloned()
        .unwrap_or_default()
}

#[derive(Default)]
pub struct NotificationSubscription;

#[Subscription]
impl NotificationSubscription {
    /// Each new notification for you, with the new unread count. With
    /// `after` (a notification's `cursor`), first everything since then, in
    /// order, then live: no gap and no repeat at the seam. A client that
    /// falls too far behind gets a SLOW_CONSUMER error and the stream ends;
    /// it resumes with `after`.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<NotificationAdded>>> {
        let actor = ctx.actor()?.person()?.clone();
        let after = after
            .as_deref()
            .map(|c| cursor::decode("after", c))
            .transpose()?;
        let core = ctx.core().clone();
        // Listen before reading the backlog, so nothing falls between them.
        let events = core.bus().subscribe_user(actor.user_id);
        let reads = NotificationsAs { core, actor };
        let feed = streams::notification_feed(reads, events, shared_reads(ctx), after).await?;
        Ok(feed.map(|item| item.map(NotificationAdded::from).map_err(Into::into)))
    }

    /// Your unread count: now, then whenever it changes (a new
    /// notification, or another tab marking some read).
    async fn unread_notification_count_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<u64>>> {
        let actor = ctx.actor()?.person()?.clone();
        let core = ctx.core().clone();
        let events = core.bus().subscribe_user(actor.user_id);
        let reads = NotificationsAs { core, actor };
        let counter = streams::unread_counter(reads, events, shared_reads(ctx)).await?;
        Ok(counter.map(|item| item.map_err(Into::into)))
    }
}
