//! Reports: the pipeline, the funnel, the team, sources, the score's
//! calibration, time series and the score histogram. Each is computed
//! in SQL over exactly the leads the asker may see (the rule of `leads`),
//! in at most three statements, and says what period it covered and when.
pub mod buckets;
pub mod calibration;
pub mod distribution;
pub mod funnel;
pub mod pipeline;
pub mod series;
pub mod sources;
pub mod sql;
pub mod team;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition};

use crate::{
    entity::lead::{Column, LeadStatus},
    error::{AppError, AppResult},
    service::leads::LeadFilter,
};

/// A half-open range `[from, to)`; `from` none means since the first lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
}

impl Period {
    /// `to` defaults to now. `field` names the argument in errors.
    pub fn new(
        field: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let to = to.unwrap_or(now);
        if from.is_some_and(|from| from > to) {
            return Err(AppError::bad_input(
                format!("{field}.from"),
                "must not be after to",
            ));
        }
        Ok(Self { from, to })
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|from| at >= from) && at < self.to
    }

    /// Leads created in the period.
    pub fn created(&self) -> Condition {
        let c = Condition::all().add(Column::CreatedAt.lt(self.to));
        match self.from {
            Some(from) => c.add(Column::CreatedAt.gte(from)),
            None => c,
        }
    }

    /// `from` as a bound value: the epoch when the period is open-ended.
    pub fn start(&self) -> DateTime<Utc> {
        self.from.unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// What every report says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub period: Period,
    pub computed_at: DateTime<Utc>,
}

impl Coverage {
    /// A report of the leads as they are now: it covers the filter's
    /// creation range (to now when it has none).
    pub fn snapshot(filter: &LeadFilter, now: DateTime<Utc>) -> Self {
        Self {
            period: Period {
                from: filter.created_after,
                to: filter.created_before.map_or(now, |b| b.min(now)),
            },
            computed_at: now,
        }
    }
}

pub fn is_closed(status: LeadStatus) -> bool {
    matches!(status, LeadStatus::Won | LeadStatus::Lost)
}

/// `won / (won + lost)`, none before any outcome.
pub fn win_rate(won: i64, lost: i64) -> Option<f64> {
    (won + lost > 0).then(|| won as f64 / (won + lost) as f64)
}
