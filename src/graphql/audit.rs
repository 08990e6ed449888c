//! The audit log, for admins.
use async_graphql::{
    connection::{Connection, Edge},
    Context, InputObject, Object, Result, ID,
};
use chrono::{DateTime, Utc};

use super::{context::ContextExt, cursor, types::AuditEntry, users::parse_id, users::TotalCount};
use crate::service::{audit, page::PageRequest};

#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// e.g. `login.failed`, `lead.updated`.
    pub action: Option<String>,
    pub actor_id: Option<ID>,
    /// `user`, `lead` or `note`.
    pub entity_type: Option<String>,
    pub entity_id: Option<ID>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Newest first (admins only).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AuditEntry, TotalCount>> {
        let filter = filter.unwrap_or_default();
        let filter = audit::AuditFilter {
            action: filter.action,
            actor_id: filter
                .actor_id
                .as_ref()
                .map(|id| parse_id("filter.actorId", id))
                .transpose()?,
            entity_type: filter.entity_type,
            entity_id: filter
                .entity_id
                .as_ref()
                .map(|id| parse_id("filter.entityId", id))
                .transpose()?,
            from: filter.from,
            to: filter.to,
        };
        let page = PageRequest {
            first: first.map(|n| n.max(0) as u64),
            after: after
                .as_deref()
                .map(|c| cursor::decode("after", c))
                .transpose()?,
        };
        let (page, total_count) = audit::list(&ctx.api().db, ctx.actor()?, filter, page).await?;
        let mut connection = Connection::with_additional_fields(
            page.has_previous_page,
            page.has_next_page,
            TotalCount { total_count },
        );
        connection.edges.extend(
            page.items
                .into_iter()
                .map(|e| Edge::new(cursor::encode(e.id), AuditEntry(e))),
        );
        Ok(connection)
    }
}
