use sea_orm::{entity::prelude::*, FromJsonQueryResult};
use serde::{Deserialize, Serialize};

use super::{lead::LeadStatus, lead_import::ImportStatus, rescore_job::StoredFilter};

/// What a bulk job does to each lead.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BulkAction {
    #[sea_orm(string_value = "ASSIGN")]
    Assign,
    #[sea_orm(string_value = "SET_STATUS")]
    SetStatus,
    #[sea_orm(string_value = "DELETE")]
    Delete,
}

/// The action's arguments, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(default)]
pub struct BulkParams {
    pub user_id: Option<Uuid>,
    pub note: Option<String>,
    pub status: Option<LeadStatus>,
    /// Leads per batch (0: the default).
    pub batch: usize,
}

/// A change to every lead a filter selected when the job started (ids up
/// to `max_id`), walked in id order; progress (`last_id`) commits with each
/// batch.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_bulk_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub action: BulkAction,
    pub filter: StoredFilter,
    pub params: BulkParams,
    pub status: ImportStatus,
    /// Leads the filter selected at the start (the count the caller confirmed).
    pub total: i64,
    /// Leads walked so far...
    pub processed: i64,
    /// ...and how many of them it changed (others already were so, or no
    /// longer matched).
    pub changed: i64,
    pub last_id: Option<Uuid>,
    /// The newest lead the job may touch: leads created later are not its.
    pub max_id: Uuid,
    /// Per person, the leads they received or lost (for one notification
    /// each at the end): `{"received": Tally, "lost": {"<user>": Tally}}`.
    pub tallies: Json,
    pub error: Option<String>,
    pub requested_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub heartbeat_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
