//! Rescoring many leads at once, for admins: start a job, watch it.
use async_graphql::{Context, Object, Result, ID};

use super::{
    context::ContextExt, leads::filter::LeadFilterInput, types::RescoreJob, users::parse_id,
};
use crate::service::scores::jobs;

#[derive(Default)]
pub struct RescoreQuery;

#[Object]
impl RescoreQuery {
    /// A rescore job's progress (admins only).
    async fn rescore_job(&self, ctx: &Context<'_>, id: ID) -> Result<RescoreJob> {
        let id = parse_id("id", &id)?;
        Ok(RescoreJob(jobs::get(ctx.core(), ctx.actor()?, id).await?))
    }
}

#[derive(Default)]
pub struct RescoreMutation;

#[Object]
impl RescoreMutation {
    /// Admins only. Rescores every live lead the filter selects (all of them
    /// without one) in the background; poll `rescoreJob` for progress. A job
    /// whose server stops is taken over by another at its next sweep.
    async fn rescore_leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilterInput>,
    ) -> Result<RescoreJob> {
        let filter = filter.unwrap_or_default().parse()?;
        let job = jobs::start(ctx.core(), ctx.actor()?, filter).await?;
        Ok(RescoreJob(job))
    }
}
