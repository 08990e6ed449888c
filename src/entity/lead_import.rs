use std::collections::BTreeMap;

use sea_orm::{entity::prelude::*, FromJsonQueryResult};
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportStatus {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl ImportStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// How an attribute column's cells are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttributeType {
    Text,
    Number,
    Boolean,
}

/// Where a column's cells go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// A lead field, by its service name (`first_name`).
    Field(String),
    /// A custom attribute.
    Attribute { name: String, kind: AttributeType },
}

/// One mapped column of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMap {
    /// The column's position in the file, from 0.
    pub index: usize,
    /// Its header, for error reports.
    pub header: String,
    pub target: Target,
    /// Cell values translated before validation (matched trimmed and
    /// case-insensitively).
    pub values: BTreeMap<String, String>,
    /// What any other non-blank cell becomes; none: the cell as it is.
    pub otherwise: Option<String>,
}

/// Which key finds the lead a row means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DedupeKey {
    Email,
    ExternalId,
    Phone,
}

/// What a row whose key matches a lead does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnMatch {
    Skip,
    Update,
    Create,
}

/// The settings an import was started with, in their own versioned shape
/// (as rescore jobs keep their filter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(default)]
pub struct ImportSettings {
    pub version: u32,
    pub columns: Vec<ColumnMap>,
    /// Values for fields a row leaves blank or no column gives:
    /// `(service field name, value)`.
    pub defaults: Vec<(String, String)>,
    pub dedupe_key: Option<DedupeKey>,
    pub on_match: Option<OnMatch>,
    /// Who the leads an import creates are assigned to.
    pub default_assignee: Option<Uuid>,
    /// Rows per transaction (0: the default).
    pub chunk_rows: usize,
}

/// A lead import: a job that reads an upload's rows in order, a chunk per
/// transaction, with its progress stored in the same transaction.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub upload_id: Uuid,
    pub requested_by: Option<Uuid>,
    pub status: ImportStatus,
    pub settings: ImportSettings,
    /// Validates and counts, writes no lead.
    pub dry_run: bool,
    pub total_rows: i64,
    /// Rows done...
    pub processed_rows: i64,
    /// ...the last of them (the file's row number): the job goes on after it.
    pub last_row: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    /// Leads assigned per user: `{"<user id>": n}`, for the summary notifications.
    pub assigned: Json,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub heartbeat_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
