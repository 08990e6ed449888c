//! The audit log, for admins.
use async_graphql::{connection::Connection, Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::{context::ContextExt, paging::TotalCount, types::AuditEntry, users::parse_id};
use crate::service::audit;

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
    #[graphql(complexity = "super::paging::cost(first, None, child_complexity)")]
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
        let page = super::paging::forward(first, after)?;
        let (page, total_count) = audit::list(ctx.core(), ctx.actor()?, filter, page).await?;
        Ok(super::paging::connection(
            page,
            TotalCount { total_count },
            |e| e.id,
            AuditEntry,
        ))
    }
}
