use async_graphql::{Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::entity::scoring_model::{
    self, ModelKind as StoredKind, ModelStatus as StoredStatus, ModelTrigger as StoredTrigger,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ScoringModelKind", remote = "StoredKind")]
pub enum ScoringModelKind {
    /// L2-regularised, Platt-calibrated: each feature's contribution is its
    /// weight times its value.
    LogisticRegression,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ScoringModelStatus", remote = "StoredStatus")]
pub enum ScoringModelStatus {
    /// Being trained (`processed` of `total` labelled leads read).
    Training,
    /// Trained, not scoring: it did not beat the model scoring then.
    Ready,
    /// The model every score uses.
    Active,
    /// Scored once, replaced since.
    Retired,
    Failed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ScoringModelTrigger", remote = "StoredTrigger")]
pub enum ScoringModelTrigger {
    Manual,
    Schedule,
    Outcomes,
}

/// A feature as the model weighs it.
#[derive(SimpleObject)]
pub struct ModelFeature {
    /// What `excludedFeatures` takes: `source`, `time_on_site`,
    /// `attributes.occupation`, `events.email_opened.30d`, ...
    pub name: String,
    /// NUMERIC, CATEGORICAL, BOOLEAN or TEXT.
    pub kind: String,
    /// Its share of what the model weighs; all features sum to 1.
    pub importance: f64,
}

/// Measured on held-out leads the model never saw (a tenth of them).
#[derive(SimpleObject)]
pub struct ModelMetrics {
    /// ROC AUC: the chance a won lead outranks a lost one (0.5 is chance).
    pub auc: f64,
    /// The rule engine's AUC on the same leads: the baseline.
    pub rules_auc: f64,
    /// Mean squared error of the probabilities.
    pub brier: f64,
    /// Expected calibration error over ten bins.
    pub calibration_error: f64,
    /// Conversion in the top tenth by probability over the base rate.
    pub top_decile_lift: f64,
    /// How many held-out leads these figures come from.
    pub holdout: i64,
}

/// A trained (or training) scoring model.
pub struct ScoringModel(pub scoring_model::Model);

#[Object]
impl ScoringModel {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn kind(&self) -> ScoringModelKind {
        self.0.kind.into()
    }
    async fn status(&self) -> ScoringModelStatus {
        self.0.status.into()
    }
    /// Why it was trained.
    async fn trigger(&self) -> ScoringModelTrigger {
        self.0.trigger.into()
    }
    /// When training finished; none while training or after a failure.
    async fn trained_at(&self) -> Option<DateTime<Utc>> {
        (self.0.params.is_some())
            .then_some(self.0.finished_at)
            .flatten()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.activated_at
    }
    /// Labelled leads to read, and read so far.
    async fn total(&self) -> i64 {
        self.0.total
    }
    async fn processed(&self) -> i64 {
        self.0.processed
    }
    /// Won plus lost leads it learned from.
    async fn labelled_leads(&self) -> i32 {
        self.0.labelled_leads
    }
    async fn won(&self) -> i32 {
        self.0.won
    }
    async fn lost(&self) -> i32 {
        self.0.lost
    }
    /// Features it was told to leave out.
    async fn excluded_features(&self) -> &[String] {
        &self.0.excluded_features.0
    }
    /// Every feature it weighs, most important first.
    async fn features(&self) -> Vec<ModelFeature> {
        self.0
            .features
            .0
            .iter()
            .map(|f| ModelFeature {
                name: f.name.clone(),
                kind: f.kind.clone(),
                importance: f.importance,
            })
            .collect()
    }
    async fn metrics(&self) -> Option<ModelMetrics> {
        self.0.metrics.map(|m| ModelMetrics {
            auc: m.auc,
            rules_auc: m.rules_auc,
            brier: m.brier,
            calibration_error: m.calibration_error,
            top_decile_lift: m.top_decile_lift,
            holdout: m.holdout,
        })
    }
    /// Why a FAILED training failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}
