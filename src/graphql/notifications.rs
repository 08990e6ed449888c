//! The notification bell: list, count, mark read.
use async_graphql::{
    connection::{Connection, Edge},
    Context, Object, Result, ID,
};

use super::{context::ContextExt, cursor, types::Notification, users::parse_id};
use crate::service::{notifications, page::PageRequest};

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your notifications, newest first.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        unread_only: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Notification>> {
        let page = PageRequest {
            first: first.map(|n| n.max(0) as u64),
            after: after
                .as_deref()
                .map(|c| cursor::decode("after", c))
                .transpose()?,
        };
        let page = notifications::list(
            &ctx.api().db,
            ctx.actor()?,
            unread_only.unwrap_or(false),
            page,
        )
        .await?;
        let mut connection = Connection::new(page.has_previous_page, page.has_next_page);
        connection.edges.extend(
            page.items
                .into_iter()
                .map(|n| Edge::new(cursor::encode(n.id), Notification(n))),
        );
        Ok(connection)
    }

    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(notifications::unread_count(&ctx.api().db, ctx.actor()?).await?)
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
        Ok(notifications::mark_read(&ctx.api().db, ctx.actor()?, &ids).await?)
    }

    /// Returns how many were unread.
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(notifications::mark_all_read(&ctx.api().db, ctx.actor()?).await?)
    }
}
