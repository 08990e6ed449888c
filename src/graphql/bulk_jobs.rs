//! Bulk changes by filter: a dry run counts and samples, the change names
//! the count and runs as a background job.
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    context::ContextExt,
    leads::filter::LeadFilterInput,
    types::{Lead, LeadStatus, TaskStatus},
    users::parse_id,
    wire::parse_optional,
};
use crate::{
    entity::lead_bulk_job::{self, BulkAction as EntityAction, BulkParams},
    service::bulk_jobs::{self, BulkRequest},
    values::LongText,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "EntityAction")]
pub enum BulkLeadAction {
    /// Give every lead to `userId` (as `bulkAssignLeads`).
    Assign,
    /// Move every lead to `status` (as `bulkUpdateLeadStatus`).
    SetStatus,
    /// Soft-delete every lead (managers and admins).
    Delete,
}

#[derive(InputObject)]
pub struct BulkLeadsByFilterInput {
    /// The leads, as `leads(filter:)` selects them (among those you may see).
    pub filter: LeadFilterInput,
    pub action: BulkLeadAction,
    /// ASSIGN: who receives the leads.
    pub user_id: Option<ID>,
    /// ASSIGN: why, kept with each assignment.
    pub note: Option<String>,
    /// SET_STATUS: the new status.
    pub status: Option<LeadStatus>,
    /// The `count` a dry run returned: the change starts only if the filter
    /// still selects exactly that many leads (CONFLICT otherwise).
    pub expected_count: Option<i64>,
    /// Count and sample; change nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

/// What a filter selects, and the job changing it (none for a dry run).
#[derive(SimpleObject)]
pub struct BulkLeadsByFilterPayload {
    pub count: i64,
    /// The first 10 leads, by id.
    pub sample: Vec<Lead>,
    pub job: Option<BulkLeadJob>,
}

/// A change to many leads in the background (see `bulkChangeLeadsByFilter`).
pub struct BulkLeadJob(pub lead_bulk_job::Model);

#[Object]
impl BulkLeadJob {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn action(&self) -> BulkLeadAction {
        self.0.action.into()
    }
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
    /// Leads the filter selected when the job started.
    async fn total(&self) -> i64 {
        self.0.total
    }
    /// Leads walked so far.
    async fn processed(&self) -> i64 {
        self.0.processed
    }
    /// Leads it changed (the rest already were so).
    async fn changed(&self) -> i64 {
        self.0.changed
    }
    /// Why a FAILED job failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

#[derive(Default)]
pub struct BulkJobQuery;

#[Object]
impl BulkJobQuery {
    /// A bulk job you started (admins: anyone's).
    async fn bulk_lead_job(&self, ctx: &Context<'_>, id: ID) -> Result<BulkLeadJob> {
        let id = parse_id("id", &id)?;
        Ok(BulkLeadJob(
            bulk_jobs::get(ctx.core(), ctx.actor()?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct BulkJobMutation;

#[Object]
impl BulkJobMutation {
    /// The bulk calls for any number of leads: first with `dryRun: true`
    /// (the count and a sample), then with `expectedCount` set to that
    /// count, which starts a background job (resumable, cancellable) that
    /// changes the leads in batches exactly as the bulk calls would, with
    /// one notification per person at the end.
    async fn bulk_change_leads_by_filter(
        &self,
        ctx: &Context<'_>,
        input: BulkLeadsByFilterInput,
    ) -> Result<BulkLeadsByFilterPayload> {
        let request = BulkRequest {
            filter: input.filter.parse()?,
            action: input.action.into(),
            params: BulkParams {
                user_id: input
                    .user_id
                    .as_ref()
                    .map(|id| parse_id("input.userId", id))
                    .transpose()?,
                note: parse_optional::<LongText>("input.note", input.note)?
                    .map(LongText::into_inner),
                status: input.status.map(Into::into),
                batch: 0,
            },
            expected_count: input.expected_count,
            dry_run: input.dry_run,
        };
        let started = bulk_jobs::start(ctx.core(), ctx.actor()?, request).await?;
        Ok(BulkLeadsByFilterPayload {
            count: started.count,
            sample: started.sample.into_iter().map(Lead).collect(),
            job: started.job.map(BulkLeadJob),
        })
    }

    /// Stops a bulk job after its current batch; what it changed stays.
    async fn cancel_bulk_lead_job(&self, ctx: &Context<'_>, id: ID) -> Result<BulkLeadJob> {
        let id = parse_id("id", &id)?;
        Ok(BulkLeadJob(
            bulk_jobs::cancel(ctx.core(), ctx.actor()?, id).await?,
        ))
    }
}
