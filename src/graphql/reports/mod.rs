//! Reports for managers (and each rep's own view): `reports { ... }`. Each
//! report is computed over exactly the leads the asker may see, takes the
//! same filter as `leads`, and says what it covered and when.
mod outcomes;
mod pipeline;
mod time;

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{context::ContextExt, leads::filter::LeadFilterInput};
use crate::service::reports::{
    self,
    buckets::{self, ScoreBands},
    calibration::DEFAULT_HORIZON_DAYS,
    series::SeriesRequest,
    team::DEFAULT_UNTOUCHED_HOURS,
    Coverage, Period,
};

pub use outcomes::{Funnel, RepPerformance, ScoreCalibration, SourceEffectiveness};
pub use pipeline::{PipelineSummary, ScoreDistribution};
pub use time::{TimeGranularity, TimeSeries, TimeSeriesMetric};

/// What a report computes against the complexity limit: a report reads
/// many rows, so a document can ask for only a few at once.
pub const REPORT_COST: usize = 500;

/// The period a report covered (`from` null: since the first lead) and
/// when it was computed.
#[derive(SimpleObject)]
pub struct ReportCoverage {
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
    pub computed_at: DateTime<Utc>,
}

impl From<Coverage> for ReportCoverage {
    fn from(c: Coverage) -> Self {
        Self {
            from: c.period.from,
            to: c.period.to,
            computed_at: c.computed_at,
        }
    }
}

/// A half-open range of time, `[from, to)`. `to` defaults to now; `from`
/// left out means since the first lead.
#[derive(InputObject, Default)]
pub struct ReportPeriodInput {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The leads a funnel follows: those created in `[createdFrom, createdTo)`.
#[derive(InputObject, Default)]
pub struct CohortInput {
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

fn period(field: &str, input: Option<ReportPeriodInput>) -> Result<Period> {
    let input = input.unwrap_or_default();
    Ok(Period::new(field, input.from, input.to, Utc::now())?)
}

fn filter(input: Option<LeadFilterInput>) -> Result<crate::service::leads::LeadFilter> {
    Ok(input.unwrap_or_default().parse()?)
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// The pipeline, the funnel, the team, sources, the score's calibration
    /// and trends (sign-in required; a rep's reports cover their own leads).
    async fn reports(&self, ctx: &Context<'_>) -> Result<Reports> {
        ctx.actor()?;
        Ok(Reports)
    }
}

pub struct Reports;

#[Object]
impl Reports {
    /// Counts and budget totals by status, classification, priority tier
    /// and source, and open against closed.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    async fn pipeline_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilterInput>,
    ) -> Result<PipelineSummary> {
        let filter = self::filter(filter)?;
        let report = reports::pipeline::summary(ctx.core(), ctx.actor()?, &filter).await?;
        Ok(report.into())
    }

    /// For the leads created in `cohort`: how many reached each stage
    /// (skipping one still counts as reaching it), conversion to the next,
    /// how many were lost from each, and how long leads stayed.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        cohort: Option<CohortInput>,
        filter: Option<LeadFilterInput>,
    ) -> Result<Funnel> {
        let cohort = cohort.unwrap_or_default();
        let cohort = Period::new("cohort", cohort.created_from, cohort.created_to, Utc::now())?;
        let filter = self::filter(filter)?;
        let report = reports::funnel::funnel(ctx.core(), ctx.actor()?, cohort, &filter).await?;
        Ok(Funnel(report))
    }

    /// One row per rep: leads assigned in `period`, first-response times,
    /// outcomes in `period`, open P1 leads and those untouched for more
    /// than `untouchedHours`. A rep gets only their own row.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    async fn rep_performance(
        &self,
        ctx: &Context<'_>,
        period: Option<ReportPeriodInput>,
        filter: Option<LeadFilterInput>,
        #[graphql(default_with = "DEFAULT_UNTOUCHED_HOURS")] untouched_hours: i32,
    ) -> Result<RepPerformance> {
        let period = self::period("period", period)?;
        let filter = self::filter(filter)?;
        let report =
            reports::team::performance(ctx.core(), ctx.actor()?, period, &filter, untouched_hours)
                .await?;
        Ok(RepPerformance(report))
    }

    /// Per source, over the leads created in `period`: outcomes, win rate,
    /// mean score and median days from creation to a win.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    async fn source_effectiveness(
        &self,
        ctx: &Context<'_>,
        period: Option<ReportPeriodInput>,
        filter: Option<LeadFilterInput>,
    ) -> Result<SourceEffectiveness> {
        let period = self::period("period", period)?;
        let filter = self::filter(filter)?;
        let report =
            reports::sources::effectiveness(ctx.core(), ctx.actor()?, period, &filter).await?;
        Ok(SourceEffectiveness(report))
    }

    /// Whether the score tells the truth: for the leads created in
    /// `period`, outcomes by score band and classification against the
    /// score each lead had `horizonDays` after creation (or just before its
    /// outcome, if that came sooner), with the AUC and the Brier score.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    async fn score_calibration(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] bucket_width: i32,
        #[graphql(default_with = "DEFAULT_HORIZON_DAYS")] horizon_days: i32,
        period: Option<ReportPeriodInput>,
        filter: Option<LeadFilterInput>,
    ) -> Result<ScoreCalibration> {
        let bands = ScoreBands::new("bucketWidth", bucket_width)?;
        let period = self::period("period", period)?;
        let filter = self::filter(filter)?;
        let report = reports::calibration::calibration(
            ctx.core(),
            ctx.actor()?,
            bands,
            horizon_days,
            period,
            &filter,
        )
        .await?;
        Ok(ScoreCalibration(report))
    }

    /// One measure in calendar buckets of `timeZone` (an IANA name), from
    /// `from` to `to`, gap-filled with zeros; at most 366 buckets.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn time_series(
        &self,
        ctx: &Context<'_>,
        metric: TimeSeriesMetric,
        granularity: TimeGranularity,
        #[graphql(default = "UTC")] time_zone: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: Option<LeadFilterInput>,
    ) -> Result<TimeSeries> {
        let request = SeriesRequest {
            metric: metric.into(),
            granularity: granularity.into(),
            time_zone: buckets::time_zone("timeZone", &time_zone)?,
            from,
            to,
        };
        let filter = self::filter(filter)?;
        let report = reports::series::series(ctx.core(), ctx.actor()?, request, &filter).await?;
        Ok(TimeSeries(report))
    }

    /// A histogram of current scores in bands of `bucketWidth` points.
    #[graphql(complexity = "REPORT_COST + child_complexity")]
    async fn score_distribution(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] bucket_width: i32,
        filter: Option<LeadFilterInput>,
    ) -> Result<ScoreDistribution> {
        let bands = ScoreBands::new("bucketWidth", bucket_width)?;
        let filter = self::filter(filter)?;
        let report =
            reports::distribution::distribution(ctx.core(), ctx.actor()?, bands, &filter).await?;
        Ok(report.into())
    }
}
