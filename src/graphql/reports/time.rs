//! Time series: one measure in calendar buckets of a time zone.
use async_graphql::{Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::ReportCoverage;
use crate::service::reports::{buckets::Granularity, series};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "series::Metric")]
pub enum TimeSeriesMetric {
    LeadsCreated,
    /// Changes to CONTACTED.
    Contacted,
    /// Changes to WON.
    Won,
    /// Changes to LOST.
    Lost,
    /// Calls, emails, meetings, texts and other activities people logged.
    ActivitiesLogged,
    EngagementEvents,
}

/// Days, weeks starting on Monday, or calendar months.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "Granularity")]
pub enum TimeGranularity {
    Day,
    Week,
    Month,
}

pub struct TimeSeries(pub series::TimeSeries);

#[Object]
impl TimeSeries {
    async fn coverage(&self) -> ReportCoverage {
        self.0.coverage.into()
    }
    async fn metric(&self) -> TimeSeriesMetric {
        self.0.metric.into()
    }
    async fn granularity(&self) -> TimeGranularity {
        self.0.granularity.into()
    }
    async fn time_zone(&self) -> &str {
        self.0.time_zone.name()
    }
    /// Every bucket of the range, empty ones with 0; the first and last
    /// are cut to the range.
    async fn points(&self) -> Vec<TimePoint> {
        self.0
            .points
            .iter()
            .map(|p| TimePoint {
                start: p.start,
                end: p.end,
                count: p.count,
            })
            .collect()
    }
    async fn total(&self) -> i64 {
        self.0.total
    }
}

#[derive(SimpleObject)]
pub struct TimePoint {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub count: i64,
}
