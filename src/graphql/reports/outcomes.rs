//! The reports about outcomes: the funnel, the team, sources and the
//! score's calibration.
use async_graphql::{Context, Object, Result, SimpleObject};

use super::ReportCoverage;
use crate::{
    graphql::{
        context::ContextExt,
        types::{scoring_model::LiveFigures, Classification, LeadSource, LeadStatus, User},
    },
    service::{
        reports::{calibration, funnel, sources, team},
        scores::learned::drift,
    },
};

const HOUR: f64 = 3_600.0;
const DAY: f64 = 86_400.0;

pub struct Funnel(pub funnel::Funnel);

#[Object]
impl Funnel {
    async fn coverage(&self) -> ReportCoverage {
        self.0.coverage.into()
    }
    /// Leads in the cohort.
    async fn leads(&self) -> i64 {
        self.0.leads
    }
    /// NEW, CONTACTED, QUALIFIED, PROPOSAL, NEGOTIATION, WON.
    async fn stages(&self) -> Vec<FunnelStage> {
        self.0
            .stages
            .iter()
            .map(|s| FunnelStage {
                status: s.status.into(),
                reached: s.reached,
                conversion_to_next: s.conversion_to_next,
                lost: s.lost,
                exited: s.exited,
                median_hours: s.median_seconds.map(|v| v / HOUR),
                p90_hours: s.p90_seconds.map(|v| v / HOUR),
            })
            .collect()
    }
    /// Leads of the cohort now LOST.
    async fn lost(&self) -> i64 {
        self.0.lost
    }
}

#[derive(SimpleObject)]
pub struct FunnelStage {
    pub status: LeadStatus,
    /// Leads that reached this stage or a later one.
    pub reached: i64,
    /// The share of those that reached the next stage.
    pub conversion_to_next: Option<f64>,
    /// Leads now LOST whose furthest stage was this one.
    pub lost: i64,
    /// Leads that left this stage (the time figures are over these).
    pub exited: i64,
    /// Time spent in this stage (a lead's stays added up), nearest rank.
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

pub struct RepPerformance(pub team::RepPerformance);

#[Object]
impl RepPerformance {
    async fn coverage(&self) -> ReportCoverage {
        self.0.coverage.into()
    }
    async fn untouched_hours(&self) -> i32 {
        self.0.untouched_hours
    }
    async fn rows(&self) -> Vec<RepRow> {
        self.0
            .rows
            .iter()
            .map(|r| RepRow {
                rep: User(r.rep.clone()),
                assigned: r.assigned,
                contacted: r.contacted,
                first_response_p50_minutes: r.first_response_p50_seconds.map(|v| v / 60.0),
                first_response_p90_minutes: r.first_response_p90_seconds.map(|v| v / 60.0),
                won: r.won,
                lost: r.lost,
                win_rate: r.win_rate,
                open_p1: r.open_p1,
                untouched_p1: r.untouched_p1,
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct RepRow {
    pub rep: User,
    /// Leads assigned to the rep in the period.
    pub assigned: i64,
    /// Of those, leads the rep logged an activity on after the assignment.
    pub contacted: i64,
    /// Assignment to the rep's first logged activity (nearest rank).
    pub first_response_p50_minutes: Option<f64>,
    pub first_response_p90_minutes: Option<f64>,
    /// Leads the rep owns (latest assignment) that were won in the period.
    pub won: i64,
    pub lost: i64,
    /// won / (won + lost).
    pub win_rate: Option<f64>,
    /// Open P1 leads actively assigned to the rep now.
    #[graphql(name = "openP1")]
    pub open_p1: i64,
    /// Of those, leads with neither a logged activity nor the assignment
    /// within the last `untouchedHours`.
    #[graphql(name = "untouchedP1")]
    pub untouched_p1: i64,
}

pub struct SourceEffectiveness(pub sources::SourceEffectiveness);

#[Object]
impl SourceEffectiveness {
    async fn coverage(&self) -> ReportCoverage {
        self.0.coverage.into()
    }
    /// Every source, zeros included.
    async fn rows(&self) -> Vec<SourceRow> {
        self.0
            .rows
            .iter()
            .map(|r| SourceRow {
                source: r.source.into(),
                leads: r.leads,
                won: r.won,
                lost: r.lost,
                win_rate: r.win_rate,
                mean_score: r.mean_score,
                median_days_to_win: r.median_seconds_to_win.map(|v| v / DAY),
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct SourceRow {
    pub source: LeadSource,
    pub leads: i64,
    /// Leads now WON.
    pub won: i64,
    pub lost: i64,
    pub win_rate: Option<f64>,
    /// Over the scored leads, current scores.
    pub mean_score: Option<f64>,
    /// Creation to the change to WON (nearest rank).
    pub median_days_to_win: Option<f64>,
}

pub struct ScoreCalibration(pub calibration::ScoreCalibration);

#[Object]
impl ScoreCalibration {
    async fn coverage(&self) -> ReportCoverage {
        self.0.coverage.into()
    }
    async fn horizon_days(&self) -> i32 {
        self.0.horizon_days
    }
    /// Score bands, lowest first.
    async fn bands(&self) -> Vec<CalibrationRow> {
        self.0
            .bands
            .iter()
            .map(|b| CalibrationRow::of(Some((b.low, b.high)), None, &b.tally))
            .collect()
    }
    async fn by_classification(&self) -> Vec<CalibrationRow> {
        self.0
            .classes
            .iter()
            .map(|(c, t)| CalibrationRow::of(None, Some((*c).into()), t))
            .collect()
    }
    /// Leads with no score before their horizon.
    async fn unscored(&self) -> i64 {
        self.0.unscored
    }
    /// The chance a WON lead scored above a LOST one (0.5: no better than chance).
    async fn auc(&self) -> Option<f64> {
        self.0.auc
    }
    /// Mean squared error of the conversion probability against outcomes
    /// (lower is better), over the closed leads whose score had one.
    async fn brier(&self) -> Option<f64> {
        self.0.brier
    }
    async fn brier_leads(&self) -> i64 {
        self.0.brier_leads
    }
    /// The active scoring model's figures on the outcomes that arrived
    /// after it was trained (null while the rules score alone): where the
    /// bands above show drift, this says whether the model sees it too.
    async fn live_model(&self, ctx: &Context<'_>) -> Result<Option<LiveModel>> {
        let figures = drift::figures(ctx.core()).await?;
        Ok(figures.map(|m| LiveModel {
            version: m.version,
            measured_auc: m.measured_auc,
            live: m.live.as_ref().map(LiveFigures::from),
        }))
    }
}

/// The active model, as the calibration report shows it.
#[derive(SimpleObject)]
pub struct LiveModel {
    pub version: i32,
    /// The AUC it was measured at when trained.
    pub measured_auc: Option<f64>,
    pub live: Option<LiveFigures>,
}

/// Outcomes of the leads in one score band or classification.
#[derive(SimpleObject)]
pub struct CalibrationRow {
    /// The band's scores (null on a classification row).
    pub low: Option<i32>,
    pub high: Option<i32>,
    /// The classification (null on a band row).
    pub classification: Option<Classification>,
    /// Leads with a score here at their horizon, open ones included.
    pub leads: i64,
    pub won: i64,
    pub lost: i64,
    /// won / (won + lost): what the band promised, measured.
    pub win_rate: Option<f64>,
    pub mean_score: Option<f64>,
    /// The mean calibrated probability, where scores had one.
    pub mean_probability: Option<f64>,
}

impl CalibrationRow {
    fn of(
        band: Option<(i32, i32)>,
        classification: Option<Classification>,
        t: &calibration::Tally,
    ) -> Self {
        Self {
            low: band.map(|b| b.0),
            high: band.map(|b| b.1),
            classification,
            leads: t.leads,
            won: t.won,
            lost: t.lost,
            win_rate: t.win_rate(),
            mean_score: t.mean_score(),
            mean_probability: t.mean_probability(),
        }
    }
}
