use sea_orm::{entity::prelude::*, FromJsonQueryResult};
use serde::{Deserialize, Serialize};

use super::{
    lead::{LeadSource, LeadStatus},
    lead_score::Classification,
};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Whose leads a stored filter means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredAssignee {
    User(Uuid),
    Unassigned,
}

/// The lead filter a job was started with, as stored: its own versioned
/// shape, so renaming a field of the API's filter cannot break a stored
/// job. Version 1 is the shape jobs were first stored in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(default)]
pub struct StoredFilter {
    pub version: u32,
    pub statuses: Vec<LeadStatus>,
    pub source: Option<LeadSource>,
    pub classification: Option<Classification>,
    pub score_min: Option<i32>,
    pub score_max: Option<i32>,
    pub assignee: Option<StoredAssignee>,
    pub created_after: Option<DateTimeUtc>,
    pub created_before: Option<DateTimeUtc>,
    pub updated_after: Option<DateTimeUtc>,
    pub updated_before: Option<DateTimeUtc>,
    pub search: Option<String>,
}

/// An admin's request to rescore a set of leads.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rescore_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub status: JobStatus,
    pub filter: StoredFilter,
    /// Leads that matched when the job started.
    pub total: i64,
    pub processed: i64,
    /// Why it failed, in words fit for an admin (details are in the log).
    pub error: Option<String>,
    pub requested_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// Written after every batch; a job whose heartbeat stops is taken over.
    pub heartbeat_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
