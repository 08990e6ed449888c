use sea_orm::{entity::prelude::*, FromJsonQueryResult};
use serde::{Deserialize, Serialize};

/// How warm a lead is, from its score.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Classification {
    #[sea_orm(string_value = "HOT")]
    Hot,
    #[sea_orm(string_value = "WARM")]
    Warm,
    #[sea_orm(string_value = "COLD")]
    Cold,
}

/// When to call. A score row of a WON or LOST lead says `Unranked`; the
/// lead's copy of it is then NULL, so the call list's index skips it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PriorityTier {
    #[sea_orm(string_value = "P1")]
    P1,
    #[sea_orm(string_value = "P2")]
    P2,
    #[sea_orm(string_value = "P3")]
    P3,
    #[sea_orm(string_value = "P4")]
    P4,
    #[sea_orm(string_value = "NONE")]
    #[serde(rename = "NONE")]
    Unranked,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConfidenceLevel {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "MEDIUM")]
    Medium,
    #[sea_orm(string_value = "HIGH")]
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FactorCategory {
    Engagement,
    BuyingSignals,
    DemographicFit,
}

/// One factor of a score, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFactor {
    pub name: String,
    pub category: FactorCategory,
    pub points: f64,
    pub max_points: f64,
    pub evidence: String,
}

/// Every factor with its points, cap and evidence: a typed JSON column, so
/// an unreadable row is an error, never a silent default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Factors(pub Vec<StoredFactor>);

/// What the score lacked ("no budget", ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Missing(pub Vec<String>);

/// What a score was based on: the rules alone, or a learned model blended
/// with them by how much data it learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BasisKind {
    Rules,
    Learned,
}

/// One driver of a learned score, in words and points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDriver {
    pub feature: String,
    pub label: String,
    pub value: String,
    /// Percentage points of conversion probability against the average lead.
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(rename_all = "camelCase")]
pub struct Basis {
    pub kind: BasisKind,
    pub model_id: Option<Uuid>,
    pub version: Option<i32>,
    /// The learned probability's share of the total, 0 to 1.
    pub learned_weight: f64,
    /// Why: "rules only: 57 of 200 outcomes", "learned model v3 (7,390 outcomes)".
    pub explanation: String,
    pub drivers: Vec<StoredDriver>,
}

/// One scoring of one lead; a new row whenever the result changes, so
/// history is kept.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lead_id: Uuid,
    pub total: i32,
    pub engagement_score: f64,
    pub buying_signal_score: f64,
    pub demographic_score: f64,
    pub confidence: f64,
    pub confidence_level: ConfidenceLevel,
    pub classification: Classification,
    pub priority_tier: PriorityTier,
    pub factors: Factors,
    pub missing: Missing,
    pub model_version: String,
    pub scored_at: DateTimeUtc,
    /// Calibrated, 0 to 1; none while the rules score alone.
    pub conversion_probability: Option<f64>,
    /// None on scores from before learned scoring: the rules alone.
    pub basis: Option<Basis>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
