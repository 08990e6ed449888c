//! The pure engine's results as the database stores them, and back: typed
//! conversions, checked by the compiler, in one place.
use serde_json::json;
use uuid::Uuid;

use crate::{
    entity::{
        lead_insight::{self, InsightKind},
        lead_score::{
            self, Classification, ConfidenceLevel, FactorCategory, Factors, Missing, PriorityTier,
            StoredFactor,
        },
    },
    scoring::{self, Score},
};

impl From<scoring::Classification> for Classification {
    fn from(c: scoring::Classification) -> Self {
        match c {
            scoring::Classification::Hot => Self::Hot,
            scoring::Classification::Warm => Self::Warm,
            scoring::Classification::Cold => Self::Cold,
        }
    }
}

impl From<scoring::ConfidenceLevel> for ConfidenceLevel {
    fn from(c: scoring::ConfidenceLevel) -> Self {
        match c {
            scoring::ConfidenceLevel::Low => Self::Low,
            scoring::ConfidenceLevel::Medium => Self::Medium,
            scoring::ConfidenceLevel::High => Self::High,
        }
    }
}

impl From<Option<scoring::PriorityTier>> for PriorityTier {
    fn from(t: Option<scoring::PriorityTier>) -> Self {
        match t {
            Some(scoring::PriorityTier::P1) => Self::P1,
            Some(scoring::PriorityTier::P2) => Self::P2,
            Some(scoring::PriorityTier::P3) => Self::P3,
            Some(scoring::PriorityTier::P4) => Self::P4,
            None => Self::Unranked,
        }
    }
}

impl From<scoring::Category> for FactorCategory {
    fn from(c: scoring::Category) -> Self {
        match c {
            scoring::Category::Engagement => Self::Engagement,
            scoring::Category::BuyingSignals => Self::BuyingSignals,
            scoring::Category::DemographicFit => Self::DemographicFit,
        }
    }
}

impl From<scoring::InsightKind> for InsightKind {
    fn from(k: scoring::InsightKind) -> Self {
        match k {
            scoring::InsightKind::TalkingPoint => Self::TalkingPoint,
            scoring::InsightKind::Concern => Self::Concern,
            scoring::InsightKind::Opportunity => Self::Opportunity,
        }
    }
}

/// A score as a history row with id `id`.
pub fn score_row(id: Uuid, lead_id: Uuid, score: &Score) -> lead_score::Model {
    lead_score::Model {
        id,
        lead_id,
        total: i32::from(score.total),
        engagement_score: score.engagement,
        buying_signal_score: score.buying_signals,
        demographic_score: score.demographic,
        confidence: score.confidence,
        confidence_level: score.confidence_level.into(),
        classification: score.classification.into(),
        priority_tier: score.priority_tier.into(),
        factors: Factors(
            score
                .factors
                .iter()
                .map(|f| StoredFactor {
                    name: f.name.to_string(),
                    category: f.category.into(),
                    points: f.points,
                    max_points: f.max_points,
                    evidence: f.evidence.clone(),
                })
                .collect(),
        ),
        missing: Missing(score.missing.iter().map(|m| m.to_string()).collect()),
        model_version: score.model_version.clone(),
        scored_at: score.scored_at,
        conversion_probability: None,
        basis: None,
    }
}

/// The insights of `score`, as rows of the history row `row`.
pub fn insight_rows(row: &lead_score::Model, score: &Score) -> Vec<lead_insight::Model> {
    score
        .insights
        .iter()
        .enumerate()
        .map(|(position, insight)| lead_insight::Model {
            id: Uuid::now_v7(),
            lead_id: row.lead_id,
            score_id: row.id,
            kind: insight.kind.into(),
            text: insight.text.clone(),
            evidence: json!([insight.evidence]),
            position: position as i32,
            created_at: score.scored_at,
        })
        .collect()
}

/// Why a lead ranks where it does: its strongest factors' evidence.
pub fn reasons(score: &lead_score::Model, most: usize) -> Vec<String> {
    let mut factors: Vec<&StoredFactor> = score
        .factors
        .0
        .iter()
        .filter(|f| f.points > 0.0 && !f.evidence.is_empty())
        .collect();
    factors.sort_by(|a, b| {
        b.points
            .total_cmp(&a.points)
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    factors
        .into_iter()
        .take(most)
        .map(|f| f.evidence.clone())
        .collect()
}
