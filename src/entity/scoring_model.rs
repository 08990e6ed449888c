use sea_orm::{entity::prelude::*, FromJsonQueryResult};
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModelKind {
    #[sea_orm(string_value = "LOGISTIC_REGRESSION")]
    LogisticRegression,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModelStatus {
    /// Being trained; at most one at a time.
    #[sea_orm(string_value = "TRAINING")]
    Training,
    /// Trained, not scoring.
    #[sea_orm(string_value = "READY")]
    Ready,
    /// The one that scores; at most one.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Scored once, replaced since.
    #[sea_orm(string_value = "RETIRED")]
    Retired,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Why a model was trained.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModelTrigger {
    /// An admin asked.
    #[sea_orm(string_value = "MANUAL")]
    Manual,
    /// The retraining interval passed.
    #[sea_orm(string_value = "SCHEDULE")]
    Schedule,
    /// Outcomes grew by a tenth since the last model.
    #[sea_orm(string_value = "OUTCOMES")]
    Outcomes,
    /// The active model's live figures fell (see [`StoredLive`]).
    #[sea_orm(string_value = "DRIFT")]
    Drift,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct FeatureNames(pub Vec<String>);

/// A feature as the model weighs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFeature {
    pub name: String,
    pub kind: String,
    pub importance: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct StoredFeatures(pub Vec<StoredFeature>);

/// Held-out measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(rename_all = "camelCase")]
pub struct StoredMetrics {
    pub auc: f64,
    /// The AUC's 95% confidence interval (DeLong); absent for models
    /// trained before it was kept.
    #[serde(default)]
    pub auc_low: Option<f64>,
    #[serde(default)]
    pub auc_high: Option<f64>,
    pub brier: f64,
    pub calibration_error: f64,
    pub top_decile_lift: f64,
    pub holdout: i64,
    /// The rules' AUC on the same held-out leads: the baseline.
    pub rules_auc: f64,
    /// How the figures were measured, in words.
    #[serde(default)]
    pub method: Option<String>,
}

/// What scored when a model was compared with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparedWith {
    /// None: the rules (no model was active).
    pub model_id: Option<Uuid>,
    pub version: Option<i32>,
}

/// The comparison that decided whether a model replaced what scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(rename_all = "camelCase")]
pub struct StoredComparison {
    pub against: ComparedWith,
    pub leads: i64,
    pub won: i64,
    pub lost: i64,
    pub active_auc: f64,
    pub candidate_auc: f64,
    pub difference: f64,
    pub p_value: Option<f64>,
    /// `ACTIVATE` or `KEEP_READY`.
    pub decision: String,
    pub reason: String,
}

/// An active model's figures on the outcomes that arrived after its
/// training read them, each lead scored as it was just before its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(rename_all = "camelCase")]
pub struct StoredLive {
    pub outcomes: i64,
    pub won: i64,
    pub lost: i64,
    pub auc: Option<f64>,
    pub calibration_error: Option<f64>,
    /// Outcomes recorded from then on count.
    pub since: DateTimeUtc,
    pub computed_at: DateTimeUtc,
    /// Why the model was found drifting, when it was (a retraining was
    /// started and admins told).
    #[serde(default)]
    pub drift: Option<String>,
    #[serde(default)]
    pub drift_at: Option<DateTimeUtc>,
}

/// The fitted model itself (encoder, weights, calibration), as the
/// learning module serialises it; versioned so its shape can change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct StoredParams {
    pub format: u32,
    pub model: serde_json::Value,
}

/// A trained (or training) scoring model. Every replica scores with the
/// ACTIVE one, read from here.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scoring_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// 1, 2, 3...: what scores and clients cite.
    pub version: i32,
    pub kind: ModelKind,
    pub status: ModelStatus,
    pub trigger: ModelTrigger,
    pub requested_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    /// When training ended (the model's `trainedAt` when it succeeded).
    pub finished_at: Option<DateTimeUtc>,
    pub heartbeat_at: Option<DateTimeUtc>,
    pub activated_at: Option<DateTimeUtc>,
    /// Labelled leads to read, and read so far: training's progress.
    pub total: i64,
    pub processed: i64,
    pub error: Option<String>,
    pub labelled_leads: i32,
    pub won: i32,
    pub lost: i32,
    pub excluded_features: FeatureNames,
    pub features: StoredFeatures,
    pub metrics: Option<StoredMetrics>,
    pub params: Option<StoredParams>,
    /// A UUID v7 taken as training read the outcomes: status changes with a
    /// larger id are outcomes this model never learned from.
    pub data_mark: Option<Uuid>,
    pub comparison: Option<StoredComparison>,
    pub live: Option<StoredLive>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
