//! The snapshot reports: the pipeline summary and the score histogram.
use async_graphql::SimpleObject;

use super::ReportCoverage;
use crate::{
    graphql::types::{Classification, LeadSource, LeadStatus, PriorityTier},
    service::reports::{distribution, pipeline},
};

/// Budget totals in one currency, in its major units (as a lead's budget).
#[derive(SimpleObject)]
pub struct BudgetTotal {
    pub currency: String,
    /// Leads with a budget.
    pub leads: i64,
    pub min_total: f64,
    pub max_total: f64,
}

fn budgets(group: &[pipeline::Budget]) -> Vec<BudgetTotal> {
    group
        .iter()
        .map(|b| BudgetTotal {
            currency: b.currency.clone(),
            leads: b.leads,
            min_total: b.min_total as f64 / 100.0,
            max_total: b.max_total as f64 / 100.0,
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct PipelineCount {
    pub count: i64,
    pub budgets: Vec<BudgetTotal>,
}

#[derive(SimpleObject)]
pub struct StatusCount {
    pub status: LeadStatus,
    pub count: i64,
    pub budgets: Vec<BudgetTotal>,
}

#[derive(SimpleObject)]
pub struct ClassificationCount {
    /// Null: not scored yet.
    pub classification: Option<Classification>,
    pub count: i64,
    pub budgets: Vec<BudgetTotal>,
}

#[derive(SimpleObject)]
pub struct PriorityTierCount {
    /// Null: closed, or not scored yet.
    pub priority_tier: Option<PriorityTier>,
    pub count: i64,
    pub budgets: Vec<BudgetTotal>,
}

#[derive(SimpleObject)]
pub struct SourceCount {
    pub source: LeadSource,
    pub count: i64,
    pub budgets: Vec<BudgetTotal>,
}

/// Where the pipeline stands now, over the leads the filter selects.
#[derive(SimpleObject)]
pub struct PipelineSummary {
    /// The filter's creation range (to now when it has none).
    pub coverage: ReportCoverage,
    pub total: PipelineCount,
    /// Leads not WON or LOST.
    pub open: PipelineCount,
    pub closed: PipelineCount,
    /// Every status, zeros included.
    pub by_status: Vec<StatusCount>,
    pub by_classification: Vec<ClassificationCount>,
    pub by_priority_tier: Vec<PriorityTierCount>,
    pub by_source: Vec<SourceCount>,
}

fn count(g: &pipeline::Group<()>) -> PipelineCount {
    PipelineCount {
        count: g.count,
        budgets: budgets(&g.budgets),
    }
}

impl From<pipeline::PipelineSummary> for PipelineSummary {
    fn from(r: pipeline::PipelineSummary) -> Self {
        Self {
            coverage: r.coverage.into(),
            total: count(&r.total),
            open: count(&r.open),
            closed: count(&r.closed),
            by_status: r
                .by_status
                .iter()
                .map(|g| StatusCount {
                    status: g.key.into(),
                    count: g.count,
                    budgets: budgets(&g.budgets),
                })
                .collect(),
            by_classification: r
                .by_classification
                .iter()
                .map(|g| ClassificationCount {
                    classification: g.key.map(Into::into),
                    count: g.count,
                    budgets: budgets(&g.budgets),
                })
                .collect(),
            by_priority_tier: r
                .by_priority_tier
                .iter()
                .map(|g| PriorityTierCount {
                    priority_tier: g.key.and_then(PriorityTier::of),
                    count: g.count,
                    budgets: budgets(&g.budgets),
                })
                .collect(),
            by_source: r
                .by_source
                .iter()
                .map(|g| SourceCount {
                    source: g.key.into(),
                    count: g.count,
                    budgets: budgets(&g.budgets),
                })
                .collect(),
        }
    }
}

/// Leads whose current score is in `[low, high]`.
#[derive(SimpleObject)]
pub struct ScoreBand {
    pub low: i32,
    pub high: i32,
    pub leads: i64,
}

#[derive(SimpleObject)]
pub struct ScoreDistribution {
    pub coverage: ReportCoverage,
    pub bands: Vec<ScoreBand>,
    /// Leads not scored yet.
    pub unscored: i64,
    pub mean_score: Option<f64>,
}

impl From<distribution::ScoreDistribution> for ScoreDistribution {
    fn from(r: distribution::ScoreDistribution) -> Self {
        Self {
            coverage: r.coverage.into(),
            bands: r
                .bands
                .into_iter()
                .map(|(low, high, leads)| ScoreBand { low, high, leads })
                .collect(),
            unscored: r.unscored,
            mean_score: r.mean,
        }
    }
}
