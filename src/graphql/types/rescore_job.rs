use async_graphql::{Enum, Object, ID};
use chrono::{DateTime, Utc};

use crate::entity::rescore_job::{self, JobStatus as EntityStatus};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "JobStatus", remote = "EntityStatus")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// Rescoring a set of leads in the background (see `rescoreLeads`).
pub struct RescoreJob(pub rescore_job::Model);

#[Object]
impl RescoreJob {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn status(&self) -> JobStatus {
        self.0.status.into()
    }
    /// Leads that matched the filter when the job was created.
    async fn total(&self) -> i64 {
        self.0.total
    }
    /// Leads rescored so far. Leads that something else rescored meanwhile
    /// (an event, an edit) are not redone, so a finished job may stop short
    /// of `total`.
    async fn processed(&self) -> i64 {
        self.0.processed
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
