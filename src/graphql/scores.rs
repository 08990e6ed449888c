//! A lead's score, live.
use async_graphql::{Context, Result, Subscription, ID};
use futures_util::{Stream, StreamExt};

use super::{context::ContextExt, notifications::shared_reads, types::LeadScore, users::parse_id};
use crate::{events::streams, service::scores::live::ScoreAs};

#[derive(Default)]
pub struct ScoreSubscription;

#[Subscription]
impl ScoreSubscription {
    /// The lead's score each time its result changes. NOT_FOUND at once for
    /// a lead you may not see; the stream ends with NOT_FOUND if you lose it.
    async fn lead_score_changed(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
    ) -> Result<impl Stream<Item = Result<LeadScore>>> {
        let actor = ctx.actor()?.person()?.clone();
        let lead_id = parse_id("leadId", &lead_id)?;
        let core = ctx.core().clone();
        let events = core.bus().subscribe_lead(lead_id);
        let reads = ScoreAs {
            core,
            actor,
            lead_id,
        };
        let watch = streams::score_watch(reads, lead_id, events, shared_reads(ctx)).await?;
        Ok(watch.map(|item| {
            item.map(|(score, insights)| LeadScore::full(score, Some(insights)))
                .map_err(Into::into)
        }))
    }
}
