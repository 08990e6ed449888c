//! Reading leads: one, a page, your own, and the call list.
use async_graphql::{Context, Object, Result, ID};

use super::{
    connection::{lead_page, LeadConnection, PageArgs},
    filter::LeadFilterInput,
};
use crate::{
    graphql::{
        context::ContextExt,
        loaders::AssigneeOf,
        paging,
        types::{Lead, LeadOrderInput, LeadScore, PrioritizedLead},
        users::parse_id,
    },
    service::{leads, leads::AssigneeFilter, scores},
};

#[derive(Default)]
pub struct LeadQuery;

#[Object]
impl LeadQuery {
    async fn lead(&self, ctx: &Context<'_>, id: ID) -> Result<Lead> {
        let id = parse_id("id", &id)?;
        Ok(Lead(leads::read(ctx.core(), ctx.actor()?, id).await?))
    }

    /// The leads you may see: all for managers and admins, your own for a
    /// sales rep. `first`/`last` are 1 to 100; default order newest first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "paging::cost(first, last, child_complexity)")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilterInput>,
        order_by: Option<LeadOrderInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<LeadConnection> {
        let filter = filter.unwrap_or_default().parse()?;
        let args = PageArgs {
            order: order_by,
            first,
            after,
            last,
            before,
        };
        lead_page(ctx, filter, args).await
    }

    /// Which leads to call next, best first: for a sales rep their own, for
    /// managers and admins everyone's or one assignee's. `limit` 1 to 50.
    #[graphql(complexity = "paging::cost(limit, None, child_complexity)")]
    async fn prioritized_leads(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] limit: Option<i32>,
        assignee_id: Option<ID>,
    ) -> Result<Vec<PrioritizedLead>> {
        let assignee = assignee_id
            .as_ref()
            .map(|id| parse_id("assigneeId", id))
            .transpose()?;
        // `null` means the default, as the SDL's `limit: Int = 5` promises.
        let limit = i64::from(limit.unwrap_or(5));
        let list = scores::prioritized(ctx.core(), ctx.actor()?, limit, assignee).await?;
        // Read with the list: `lead { assignee }` needs no other statement.
        ctx.loaders()?
            .feed_many(
                list.iter()
                    .map(|p| (AssigneeOf(p.lead.id), p.assignee.clone())),
            )
            .await;
        Ok(list
            .into_iter()
            .enumerate()
            .map(|(i, p)| PrioritizedLead {
                rank: i as i32 + 1,
                reasons: p.reasons,
                talking_points: p.talking_points,
                lead: Lead(p.lead),
                score: LeadScore::full(p.score, Some(p.insights)),
            })
            .collect())
    }

    /// The leads assigned to you now.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "paging::cost(first, last, child_complexity)")]
    async fn my_leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilterInput>,
        order_by: Option<LeadOrderInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<LeadConnection> {
        let mut filter = filter.unwrap_or_default().parse()?;
        filter.assignee = Some(AssigneeFilter::User(ctx.actor()?.user_id));
        let args = PageArgs {
            order: order_by,
            first,
            after,
            last,
            before,
        };
        lead_page(ctx, filter, args).await
    }
}
