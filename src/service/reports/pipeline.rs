//! Where the pipeline stands: counts and budget totals by status,
//! classification, priority tier and source, in one statement and one
//! pass over the leads.
use chrono::Utc;
use sea_orm::{Condition, Iterable};

use super::{
    is_closed,
    sql::{parse_enum as parse, Sql},
    Coverage,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{
        lead::{Column, LeadSource, LeadStatus},
        lead_score::{Classification, PriorityTier},
    },
    error::AppResult,
    service::leads::LeadFilter,
};

/// Budget totals in one currency, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Budget {
    pub currency: String,
    /// Leads with a budget (minimum or maximum).
    pub leads: i64,
    pub min_total: i64,
    pub max_total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<K> {
    pub key: K,
    pub count: i64,
    /// By currency code.
    pub budgets: Vec<Budget>,
}

impl<K> Group<K> {
    fn new(key: K) -> Self {
        Self {
            key,
            count: 0,
            budgets: Vec::new(),
        }
    }

    fn add(&mut self, count: i64, budget: &Budget) {
        self.count += count;
        if budget.leads == 0 {
            return;
        }
        match self
            .budgets
            .iter_mut()
            .find(|b| b.currency == budget.currency)
        {
            Some(b) => {
                b.leads += budget.leads;
                b.min_total += budget.min_total;
                b.max_total += budget.max_total;
            }
            None => {
                self.budgets.push(budget.clone());
                self.budgets.sort_by(|a, b| a.currency.cmp(&b.currency));
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSummary {
    pub coverage: Coverage,
    pub total: Group<()>,
    pub open: Group<()>,
    pub closed: Group<()>,
    pub by_status: Vec<Group<LeadStatus>>,
    /// None: not scored yet.
    pub by_classification: Vec<Group<Option<Classification>>>,
    /// None: closed or not scored.
    pub by_priority_tier: Vec<Group<Option<PriorityTier>>>,
    pub by_source: Vec<Group<LeadSource>>,
}

pub async fn summary(
    core: &Core,
    actor: &Actor,
    filter: &LeadFilter,
) -> AppResult<PipelineSummary> {
    actor.may(Scope::ReportsRead)?;
    let now = Utc::now();
    let mut sql = Sql::with_scope(
        core.dialect(),
        actor,
        filter,
        Condition::all(),
        &[
            Column::Status,
            Column::Classification,
            Column::PriorityTier,
            Column::Source,
            Column::Currency,
            Column::BudgetMin,
            Column::BudgetMax,
        ],
    );
    // One pass: every combination present (a few hundred at most), rolled
    // up into the four dimensions here.
    sql.push(
        " SELECT status, classification, priority_tier, source, currency, COUNT(*) AS n, \
         COUNT(COALESCE(budget_min, budget_max)) AS nb, \
         CAST(COALESCE(SUM(budget_min), 0) AS BIGINT) AS lo, \
         CAST(COALESCE(SUM(budget_max), 0) AS BIGINT) AS hi \
         FROM scope GROUP BY status, classification, priority_tier, source, currency",
    );
    let rows = sql.rows(core.reads()).await?;

    let mut report = PipelineSummary {
        coverage: Coverage::snapshot(filter, now),
        total: Group::new(()),
        open: Group::new(()),
        closed: Group::new(()),
        by_status: LeadStatus::iter().map(Group::new).collect(),
        by_classification: Classification::iter()
            .map(Some)
            .chain([None])
            .map(Group::new)
            .collect(),
        by_priority_tier: PriorityTier::iter()
            .filter(|t| *t != PriorityTier::Unranked)
            .map(Some)
            .chain([None])
            .map(Group::new)
            .collect(),
        by_source: LeadSource::iter().map(Group::new).collect(),
    };
    for row in rows {
        let count: i64 = row.try_get("", "n")?;
        let budget = Budget {
            currency: row.try_get("", "currency")?,
            leads: row.try_get("", "nb")?,
            min_total: row.try_get("", "lo")?,
            max_total: row.try_get("", "hi")?,
        };
        let key = |column: &str| row.try_get::<Option<String>>("", column);
        let status = parse::<LeadStatus>(key("status")?.as_deref())?;
        let side = match status {
            Some(s) if is_closed(s) => &mut report.closed,
            _ => &mut report.open,
        };
        side.add(count, &budget);
        report.total.add(count, &budget);
        add(&mut report.by_status, status, count, &budget);
        let class = parse::<Classification>(key("classification")?.as_deref())?;
        add(&mut report.by_classification, Some(class), count, &budget);
        let tier = parse::<PriorityTier>(key("priority_tier")?.as_deref())?
            .filter(|t| *t != PriorityTier::Unranked);
        add(&mut report.by_priority_tier, Some(tier), count, &budget);
        let source = parse::<LeadSource>(key("source")?.as_deref())?;
        add(&mut report.by_source, source, count, &budget);
    }
    Ok(report)
}

/// Adds to the group of `key` (a row whose key is unknown is skipped).
fn add<K: PartialEq>(groups: &mut [Group<K>], key: Option<K>, count: i64, budget: &Budget) {
    if let Some(group) = key.and_then(|k| groups.iter_mut().find(|g| g.key == k)) {
        group.add(count, budget);
    }
}
