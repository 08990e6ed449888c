use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::Classification;
use crate::entity::{
    lead_insight,
    lead_score::{
        self, BasisKind, ConfidenceLevel as StoredConfidence, FactorCategory,
        PriorityTier as Stored,
    },
};
use crate::graphql::{context::ContextExt, loaders::InsightsOf};
use crate::learning::explain::sentence;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "StoredConfidence")]
pub enum ConfidenceLevel {
    Low,
    Medium,
    High,
}

/// P1 call now, P2 today, P3 this week, P4 nurture.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PriorityTier {
    P1,
    P2,
    P3,
    P4,
}

impl PriorityTier {
    /// None for an unranked score (a WON or LOST lead).
    pub fn of(tier: Stored) -> Option<Self> {
        match tier {
            Stored::P1 => Some(Self::P1),
            Stored::P2 => Some(Self::P2),
            Stored::P3 => Some(Self::P3),
            Stored::P4 => Some(Self::P4),
            Stored::Unranked => None,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "FactorCategory")]
pub enum ScoreCategory {
    Engagement,
    BuyingSignals,
    DemographicFit,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "lead_insight::InsightKind")]
pub enum InsightKind {
    TalkingPoint,
    Concern,
    Opportunity,
}

/// One row of the scoring model, as it applied to this lead.
#[derive(SimpleObject)]
pub struct ScoreFactor {
    pub name: String,
    pub category: ScoreCategory,
    pub points: f64,
    pub max_points: f64,
    /// What was counted, in words ("4 pricing views in the last 2 hours").
    pub evidence: String,
}

#[derive(SimpleObject)]
pub struct Insight {
    pub kind: InsightKind,
    pub text: String,
}

impl From<lead_insight::Model> for Insight {
    fn from(i: lead_insight::Model) -> Self {
        Self {
            kind: i.kind.into(),
            text: i.text,
        }
    }
}

/// What a score rests on.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "BasisKind")]
pub enum ScoreModelKind {
    /// The rule engine alone: too few outcomes yet, or no model trained.
    Rules,
    /// A learned model, blended with the rules by how much it learned from.
    Learned,
}

/// The model behind a score.
#[derive(SimpleObject)]
pub struct ScoreModel {
    pub kind: ScoreModelKind,
    /// The learned model's version; none for the rules alone.
    pub version: Option<i32>,
    /// The learned probability's share of `total`, 0 to 1.
    pub learned_weight: f64,
    /// In words: "rules only: 57 of 200 outcomes", "learned model v3 ...".
    pub explanation: String,
}

/// One thing that moved a learned score: "Source: Reference (+21 pts)".
#[derive(SimpleObject)]
pub struct ScoreDriver {
    /// The sentence to show.
    pub text: String,
    /// The feature's name, as `trainScoringModel(excludedFeatures:)` takes it.
    pub feature: String,
    pub label: String,
    /// The lead's value, in words.
    pub value: String,
    /// Percentage points of conversion probability against the average lead.
    pub points: f64,
}

/// A lead's score at one moment, with every point traced to evidence.
pub struct LeadScore {
    pub score: lead_score::Model,
    /// As written with the score, when the reader had them at hand; loaded
    /// (for the whole page at once) only if asked for otherwise.
    pub insights: Option<Vec<lead_insight::Model>>,
}

#[Object]
impl LeadScore {
    /// 0-100.
    async fn total(&self) -> i32 {
        self.score.total
    }
    /// 0-35.
    async fn engagement_score(&self) -> f64 {
        self.score.engagement_score
    }
    /// 0-40.
    async fn buying_signal_score(&self) -> f64 {
        self.score.buying_signal_score
    }
    /// 0-25.
    async fn demographic_score(&self) -> f64 {
        self.score.demographic_score
    }
    /// 0-1: which inputs exist and how much recent evidence there is.
    async fn confidence(&self) -> f64 {
        self.score.confidence
    }
    async fn confidence_level(&self) -> ConfidenceLevel {
        self.score.confidence_level.into()
    }
    async fn classification(&self) -> Classification {
        self.score.classification.into()
    }
    /// None for WON and LOST leads: they are never prioritized.
    async fn priority_tier(&self) -> Option<PriorityTier> {
        PriorityTier::of(self.score.priority_tier)
    }
    async fn factors(&self) -> Vec<ScoreFactor> {
        self.score
            .factors
            .0
            .iter()
            .map(|f| ScoreFactor {
                name: f.name.clone(),
                category: f.category.into(),
                points: f.points,
                max_points: f.max_points,
                evidence: f.evidence.clone(),
            })
            .collect()
    }
    async fn insights(&self, ctx: &Context<'_>) -> Result<Vec<Insight>> {
        let loaded;
        let insights = match &self.insights {
            Some(insights) => insights,
            None => {
                loaded = ctx
                    .loaders()?
                    .load_one(InsightsOf(self.score.lead_id, self.score.id))
                    .await?
                    .unwrap_or_default();
                &loaded
            }
        };
        Ok(insights.iter().cloned().map(Insight::from).collect())
    }
    /// What the model lacked ("no budget", "no email activity").
    async fn missing(&self) -> &[String] {
        &self.score.missing.0
    }
    async fn model_version(&self) -> &str {
        &self.score.model_version
    }
    /// Calibrated chance of conversion, 0 to 1 ("0.7": seven in ten such
    /// leads were won); none while the rules score alone.
    async fn conversion_probability(&self) -> Option<f64> {
        self.score.conversion_probability
    }
    /// What this score rests on: the rules alone (and why), or a learned model.
    async fn model(&self) -> ScoreModel {
        match &self.score.basis {
            Some(b) => ScoreModel {
                kind: b.kind.into(),
                version: b.version,
                learned_weight: b.learned_weight,
                explanation: b.explanation.clone(),
            },
            None => ScoreModel {
                kind: ScoreModelKind::Rules,
                version: None,
                learned_weight: 0.0,
                explanation: "rules only".into(),
            },
        }
    }
    /// With a learned model: the strongest features for and against, in
    /// words and points (at most three each way). Empty for the rules alone.
    async fn drivers(&self) -> Vec<ScoreDriver> {
        let Some(basis) = &self.score.basis else {
            return Vec::new();
        };
        basis
            .drivers
            .iter()
            .map(|d| ScoreDriver {
                text: sentence(&d.label, &d.value, d.points),
                feature: d.feature.clone(),
                label: d.label.clone(),
                value: d.value.clone(),
                points: d.points,
            })
            .collect()
    }
    async fn scored_at(&self) -> DateTime<Utc> {
        self.score.scored_at
    }
}
