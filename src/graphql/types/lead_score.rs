use std::borrow::Cow;

use async_graphql::{Context, Enum, Object, Result, SelectionField, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Classification;
use crate::entity::{
    lead, lead_insight,
    lead_score::{
        self, BasisKind, Classification as StoredClassification,
        ConfidenceLevel as StoredConfidence, FactorCategory, PriorityTier as Stored,
    },
};
use crate::error::AppError;
use crate::graphql::{
    context::ContextExt,
    loaders::{InsightsOf, ScoreOf},
};
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
    lead_id: Uuid,
    row: Row,
    /// As written with the score, when the reader had them at hand; loaded
    /// (for the whole page at once) only if asked for otherwise.
    insights: Option<Vec<lead_insight::Model>>,
}

/// Where a score is read from: its own row, or the copy of its headline
/// figures the lead carries (written in the same statement batch and
/// transaction as the row, and what lists sort by). A list that shows only
/// those figures needs no other read.
enum Row {
    Full(Box<lead_score::Model>),
    Headline {
        total: i32,
        classification: StoredClassification,
        tier: Option<Stored>,
        confidence: f64,
        scored_at: DateTime<Utc>,
    },
}

/// The fields the lead's copy answers.
const HEADLINE: [&str; 6] = [
    "total",
    "classification",
    "priorityTier",
    "confidence",
    "scoredAt",
    "__typename",
];

impl LeadScore {
    pub fn full(score: lead_score::Model, insights: Option<Vec<lead_insight::Model>>) -> Self {
        Self {
            lead_id: score.lead_id,
            row: Row::Full(Box::new(score)),
            insights,
        }
    }

    /// From the copy on the lead; none if it has not been scored.
    pub fn headline(lead: &lead::Model) -> Option<Self> {
        Some(Self {
            lead_id: lead.id,
            row: Row::Headline {
                total: lead.score?,
                classification: lead.classification?,
                tier: lead.priority_tier,
                confidence: lead.score_confidence?,
                scored_at: lead.scored_at?,
            },
            insights: None,
        })
    }

    /// Whether the lead's copy answers everything `field` (a `score`
    /// selection) asks for.
    pub fn headline_answers(field: &SelectionField<'_>) -> bool {
        field.selection_set().all(|f| HEADLINE.contains(&f.name()))
    }

    /// The score's own row: at hand, or loaded with the rest of the page's.
    async fn row(&self, ctx: &Context<'_>) -> Result<Cow<'_, lead_score::Model>> {
        match &self.row {
            Row::Full(score) => Ok(Cow::Borrowed(score)),
            Row::Headline { .. } => ctx
                .loaders()?
                .load_one(ScoreOf(self.lead_id))
                .await?
                .flatten()
                .map(Cow::Owned)
                .ok_or_else(|| AppError::NotFound("score").into()),
        }
    }
}

#[Object]
impl LeadScore {
    /// 0-100.
    async fn total(&self) -> i32 {
        match &self.row {
            Row::Full(score) => score.total,
            Row::Headline { total, .. } => *total,
        }
    }
    /// 0-35.
    async fn engagement_score(&self, ctx: &Context<'_>) -> Result<f64> {
        Ok(self.row(ctx).await?.engagement_score)
    }
    /// 0-40.
    async fn buying_signal_score(&self, ctx: &Context<'_>) -> Result<f64> {
        Ok(self.row(ctx).await?.buying_signal_score)
    }
    /// 0-25.
    async fn demographic_score(&self, ctx: &Context<'_>) -> Result<f64> {
        Ok(self.row(ctx).await?.demographic_score)
    }
    /// 0-1: which inputs exist and how much recent evidence there is.
    async fn confidence(&self) -> f64 {
        match &self.row {
            Row::Full(score) => score.confidence,
            Row::Headline { confidence, .. } => *confidence,
        }
    }
    async fn confidence_level(&self, ctx: &Context<'_>) -> Result<ConfidenceLevel> {
        Ok(self.row(ctx).await?.confidence_level.into())
    }
    async fn classification(&self) -> Classification {
        match &self.row {
            Row::Full(score) => score.classification.into(),
            Row::Headline { classification, .. } => (*classification).into(),
        }
    }
    /// None for WON and LOST leads: they are never prioritized.
    async fn priority_tier(&self) -> Option<PriorityTier> {
        match &self.row {
            Row::Full(score) => PriorityTier::of(score.priority_tier),
            Row::Headline { tier, .. } => tier.and_then(PriorityTier::of),
        }
    }
    async fn factors(&self, ctx: &Context<'_>) -> Result<Vec<ScoreFactor>> {
        Ok(self
            .row(ctx)
            .await?
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
            .collect())
    }
    async fn insights(&self, ctx: &Context<'_>) -> Result<Vec<Insight>> {
        let loaded;
        let insights = match &self.insights {
            Some(insights) => insights,
            None => {
                let score_id = self.row(ctx).await?.id;
                loaded = ctx
                    .loaders()?
                    .load_one(InsightsOf(self.lead_id, score_id))
                    .await?
                    .unwrap_or_default();
                &loaded
            }
        };
        Ok(insights.iter().cloned().map(Insight::from).collect())
    }
    /// What the model lacked ("no budget", "no email activity").
    async fn missing(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.row(ctx).await?.missing.0.clone())
    }
    async fn model_version(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.row(ctx).await?.model_version.clone())
    }
    /// Calibrated chance of conversion, 0 to 1 ("0.7": seven in ten such
    /// leads were won); none while the rules score alone.
    async fn conversion_probability(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        Ok(self.row(ctx).await?.conversion_probability)
    }
    /// What this score rests on: the rules alone (and why), or a learned model.
    async fn model(&self, ctx: &Context<'_>) -> Result<ScoreModel> {
        Ok(match &self.row(ctx).await?.basis {
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
        })
    }
    /// With a learned model: the strongest features for and against, in
    /// words and points (at most three each way). Empty for the rules alone.
    async fn drivers(&self, ctx: &Context<'_>) -> Result<Vec<ScoreDriver>> {
        let row = self.row(ctx).await?;
        let Some(basis) = &row.basis else {
            return Ok(Vec::new());
        };
        Ok(basis
            .drivers
            .iter()
            .map(|d| ScoreDriver {
                text: sentence(&d.label, &d.value, d.points),
                feature: d.feature.clone(),
                label: d.label.clone(),
                value: d.value.clone(),
                points: d.points,
            })
            .collect())
    }
    async fn scored_at(&self) -> DateTime<Utc> {
        match &self.row {
            Row::Full(score) => score.scored_at,
            Row::Headline { scored_at, .. } => *scored_at,
        }
    }
}
