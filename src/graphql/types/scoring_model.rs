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
    /// Trained, not scoring: it did not clearly beat what scored then
    /// (see `comparison`).
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
    /// The active model's live figures fell (see `live`).
    Drift,
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

/// Measured on leads the model never saw: by five-fold cross-validation
/// under 5,000 outcomes, else on the most recent fifth, held out.
#[derive(SimpleObject)]
pub struct ModelMetrics {
    /// ROC AUC: the chance a won lead outranks a lost one (0.5 is chance).
    pub auc: f64,
    /// The AUC's 95% confidence interval (DeLong); null for models trained
    /// before it was kept.
    pub auc_low: Option<f64>,
    pub auc_high: Option<f64>,
    /// How the figures were measured.
    pub method: Option<String>,
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
        self.0.metrics.as_ref().map(|m| ModelMetrics {
            auc: m.auc,
            auc_low: m.auc_low,
            auc_high: m.auc_high,
            method: m.method.clone(),
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
    /// The comparison that decided whether this model replaced what scored
    /// when it was trained; null for models trained before comparisons.
    async fn comparison(&self) -> Option<ModelComparison> {
        self.0.comparison.as_ref().map(ModelComparison::from)
    }
    /// While active (and after): its figures on the outcomes that arrived
    /// after it was trained.
    async fn live(&self) -> Option<LiveFigures> {
        self.0.live.as_ref().map(LiveFigures::from)
    }
}

/// What a model was compared with: another model, or the rules.
#[derive(SimpleObject)]
pub struct ComparedModel {
    /// Null: the rules (no model was active).
    pub id: Option<ID>,
    pub version: Option<i32>,
    pub rules: bool,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ModelDecision {
    /// It was better, clearly: it became the active model.
    Activate,
    /// It stayed READY (see `reason`); `activateScoringModel` overrules.
    KeepReady,
}

/// A new model against what scored then, on the same leads: those the
/// active model never learned from, each as it was just before its outcome.
#[derive(SimpleObject)]
pub struct ModelComparison {
    pub against: ComparedModel,
    /// Leads both were measured on, and their outcomes.
    pub leads: i64,
    pub won: i64,
    pub lost: i64,
    /// The AUC of what scored then (the active model, or the rules).
    pub active_auc: f64,
    pub candidate_auc: f64,
    pub difference: f64,
    /// DeLong's paired test, one-sided; null when the leads were too few.
    pub p_value: Option<f64>,
    pub decision: ModelDecision,
    pub reason: String,
}

impl From<&scoring_model::StoredComparison> for ModelComparison {
    fn from(c: &scoring_model::StoredComparison) -> Self {
        Self {
            against: ComparedModel {
                id: c.against.model_id.map(|id| ID(id.to_string())),
                version: c.against.version,
                rules: c.against.model_id.is_none(),
            },
            leads: c.leads,
            won: c.won,
            lost: c.lost,
            active_auc: c.active_auc,
            candidate_auc: c.candidate_auc,
            difference: c.difference,
            p_value: c.p_value,
            decision: if c.decision == "ACTIVATE" {
                ModelDecision::Activate
            } else {
                ModelDecision::KeepReady
            },
            reason: c.reason.clone(),
        }
    }
}

/// A model's figures on the outcomes recorded after its training read its
/// own, each lead scored as it was just before its outcome.
#[derive(SimpleObject)]
pub struct LiveFigures {
    pub outcomes: i64,
    pub won: i64,
    pub lost: i64,
    /// Null until both outcomes have been seen.
    pub auc: Option<f64>,
    pub calibration_error: Option<f64>,
    /// Outcomes recorded from then on count.
    pub since: DateTime<Utc>,
    pub computed_at: DateTime<Utc>,
    /// Why the model was found drifting (a retraining was started and
    /// admins told), if it was.
    pub drift: Option<String>,
    pub drift_at: Option<DateTime<Utc>>,
}

impl From<&scoring_model::StoredLive> for LiveFigures {
    fn from(l: &scoring_model::StoredLive) -> Self {
        Self {
            outcomes: l.outcomes,
            won: l.won,
            lost: l.lost,
            auc: l.auc,
            calibration_error: l.calibration_error,
            since: l.since,
            computed_at: l.computed_at,
            drift: l.drift.clone(),
            drift_at: l.drift_at,
        }
    }
}
