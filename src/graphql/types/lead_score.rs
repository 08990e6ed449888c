use async_graphql::{Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::Classification;
use crate::entity::{lead_insight, lead_score};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
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

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ScoreCategory {
    Engagement,
    BuyingSignals,
    DemographicFit,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
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
        let kind = match i.kind.as_str() {
            "CONCERN" => InsightKind::Concern,
            "OPPORTUNITY" => InsightKind::Opportunity,
            _ => InsightKind::TalkingPoint,
        };
        Self { kind, text: i.text }
    }
}

/// A lead's score at one moment, with every point traced to evidence.
pub struct LeadScore {
    pub score: lead_score::Model,
    pub insights: Vec<lead_insight::Model>,
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
        match self.score.confidence_level.as_str() {
            "HIGH" => ConfidenceLevel::High,
            "MEDIUM" => ConfidenceLevel::Medium,
            _ => ConfidenceLevel::Low,
        }
    }
    async fn classification(&self) -> Classification {
        match self.score.classification.as_str() {
            "HOT" => Classification::Hot,
            "WARM" => Classification::Warm,
            _ => Classification::Cold,
        }
    }
    /// None for WON and LOST leads: they are never prioritized.
    async fn priority_tier(&self) -> Option<PriorityTier> {
        match self.score.priority_tier.as_str() {
            "P1" => Some(PriorityTier::P1),
            "P2" => Some(PriorityTier::P2),
            "P3" => Some(PriorityTier::P3),
            "P4" => Some(PriorityTier::P4),
            _ => None,
        }
    }
    async fn factors(&self) -> Vec<ScoreFactor> {
        let rows = self.score.factors.as_array().cloned().unwrap_or_default();
        rows.into_iter()
            .map(|f| ScoreFactor {
                name: f["name"].as_str().unwrap_or_default().to_string(),
                category: match f["category"].as_str() {
                    Some("Engagement") => ScoreCategory::Engagement,
                    Some("BuyingSignals") => ScoreCategory::BuyingSignals,
                    _ => ScoreCategory::DemographicFit,
                },
                points: f["points"].as_f64().unwrap_or_default(),
                max_points: f["maxPoints"].as_f64().unwrap_or_default(),
                evidence: f["evidence"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }
    async fn insights(&self) -> Vec<Insight> {
        self.insights.iter().cloned().map(Insight::from).collect()
    }
    /// What the model lacked ("no budget", "no email activity").
    async fn missing(&self) -> Vec<String> {
        self.score
            .missing
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
    async fn model_version(&self) -> &str {
        &self.score.model_version
    }
    async fn scored_at(&self) -> DateTime<Utc> {
        self.score.scored_at
    }
}
