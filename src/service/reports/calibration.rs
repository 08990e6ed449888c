//! Whether the score tells the truth: outcomes against the score each lead
//! had *before* its outcome was known, by score band and classification,
//! with the AUC and the Brier score. One statement.
//!
//! "The score as it was" is the lead's latest score row at its horizon,
//! `horizonDays` after it was created, or just before its outcome (its
//! latest change to WON or LOST) when that came sooner. Never the current
//! score of a closed lead: that one may know the answer.
use chrono::Utc;
use sea_orm::Iterable;

use super::{
    buckets::ScoreBands,
    sql::{parse_enum, Sql},
    win_rate, Coverage, Period,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    db::Dialect,
    entity::{
        lead::{Column, LeadStatus},
        lead_score::Classification,
    },
    error::{AppError, AppResult},
    service::leads::LeadFilter,
};

pub const DEFAULT_HORIZON_DAYS: i32 = 7;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tally {
    /// Leads with a score at their horizon.
    pub leads: i64,
    pub won: i64,
    pub lost: i64,
    score_sum: i64,
    probability_sum: f64,
    probabilities: i64,
}

impl Tally {
    fn add(&mut self, g: &Group) {
        self.leads += g.n;
        match g.outcome {
            Some(LeadStatus::Won) => self.won += g.n,
            Some(LeadStatus::Lost) => self.lost += g.n,
            _ => {}
        }
        self.score_sum += g.total.map_or(0, i64::from) * g.n;
        self.probability_sum += g.probability_sum;
        self.probabilities += g.probabilities;
    }

    pub fn win_rate(&self) -> Option<f64> {
        win_rate(self.won, self.lost)
    }

    pub fn mean_score(&self) -> Option<f64> {
        (self.leads > 0).then(|| self.score_sum as f64 / self.leads as f64)
    }

    /// Mean calibrated probability, where the score had one.
    pub fn mean_probability(&self) -> Option<f64> {
        (self.probabilities > 0).then(|| self.probability_sum / self.probabilities as f64)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub low: i32,
    pub high: i32,
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreCalibration {
    pub coverage: Coverage,
    pub horizon_days: i32,
    pub bands: Vec<Band>,
    pub classes: Vec<(Classification, Tally)>,
    /// Leads with no score before their horizon (not in any band).
    pub unscored: i64,
    /// Area under the ROC curve of the score against WON (1) and LOST (0).
    pub auc: Option<f64>,
    /// Mean squared error of the calibrated probability against outcomes.
    pub brier: Option<f64>,
    /// The closed leads the Brier score is over (those with a probability).
    pub brier_leads: i64,
}

/// One row of the statement: leads of one score, class and outcome.
struct Group {
    total: Option<i32>,
    class: Option<Classification>,
    /// WON, LOST, or none for open leads.
    outcome: Option<LeadStatus>,
    n: i64,
    probabilities: i64,
    probability_sum: f64,
    squared_error: f64,
}

pub async fn calibration(
    core: &Core,
    actor: &Actor,
    bands: ScoreBands,
    horizon_days: i32,
    period: Period,
    filter: &LeadFilter,
) -> AppResult<ScoreCalibration> {
    actor.may(Scope::ReportsRead)?;
    if !(0..=365).contains(&horizon_days) {
        return Err(AppError::bad_input("horizonDays", "must be from 0 to 365"));
    }
    let now = Utc::now();
    let mut sql = Sql::with_scope(
        core.dialect(),
        actor,
        filter,
        period.created(),
        &[Column::Id, Column::Status, Column::CreatedAt],
    );
    // Each lead's outcome time (one pass over the WON/LOST changes), its
    // cutoff, then its latest score row before that: one join over the
    // covering (lead, scored_at) index, ranked. PostgreSQL compares
    // timestamps; SQLite, whose timestamps are text, seconds since 1970.
    let outcome = "(SELECT h.lead_id, MAX(h.changed_at) AS at FROM lead_status_changes h \
         WHERE h.to_status IN ('WON', 'LOST') AND h.lead_id IN (SELECT id FROM scope) \
         GROUP BY h.lead_id)";
    let (cutoff, scored) = match core.dialect() {
        Dialect::Postgres => (
            "LEAST(o.at, s.created_at + make_interval(days => ".to_string(),
            "ls.scored_at".to_string(),
        ),
        Dialect::Sqlite => (
            format!(
                "MIN(COALESCE({}, 1e18), {} + 86400.0 * (",
                sql.epoch("o.at"),
                sql.epoch("s.created_at")
            ),
            sql.epoch("ls.scored_at"),
        ),
    };
    sql.push(&format!(", cut AS (SELECT s.id, s.status, {cutoff}"));
    sql.param(horizon_days);
    sql.push(&format!(
        ")) AS cutoff FROM scope s LEFT JOIN {outcome} o ON o.lead_id = s.id), \
         asof AS (SELECT c.id, c.status, ls.total, ls.classification, ls.conversion_probability AS p, \
         ROW_NUMBER() OVER (PARTITION BY c.id ORDER BY ls.scored_at DESC, ls.id DESC) AS rn \
         FROM cut c LEFT JOIN lead_scores ls ON ls.lead_id = c.id AND {scored} < c.cutoff) \
         SELECT total, classification, CASE WHEN status IN ('WON', 'LOST') THEN status END AS outcome, \
         COUNT(*) AS n, COUNT(p) AS np, SUM(p) AS sp, \
         SUM(CASE WHEN status = 'WON' THEN (1 - p) * (1 - p) ELSE p * p END) AS se \
         FROM asof WHERE rn = 1 \
         GROUP BY total, classification, CASE WHEN status IN ('WON', 'LOST') THEN status END"
    ));
    let mut groups = Vec::new();
    for row in sql.rows(core.reads()).await? {
        let class: Option<String> = row.try_get("", "classification")?;
        let outcome: Option<String> = row.try_get("", "outcome")?;
        groups.push(Group {
            total: row.try_get("", "total")?,
            class: parse_enum(class.as_deref())?,
            outcome: parse_enum(outcome.as_deref())?,
            n: row.try_get("", "n")?,
            probabilities: row.try_get("", "np")?,
            probability_sum: row.try_get::<Option<f64>>("", "sp")?.unwrap_or(0.0),
            squared_error: row.try_get::<Option<f64>>("", "se")?.unwrap_or(0.0),
        });
    }

    let mut out = ScoreCalibration {
        coverage: Coverage {
            period,
            computed_at: now,
        },
        horizon_days,
        bands: (0..bands.count())
            .map(|i| {
                let (low, high) = bands.bounds(i);
                Band {
                    low,
                    high,
                    tally: Tally::default(),
                }
            })
            .collect(),
        classes: Classification::iter()
            .map(|c| (c, Tally::default()))
            .collect(),
        unscored: 0,
        auc: None,
        brier: None,
        brier_leads: 0,
    };
    let (mut won_at, mut lost_at) = ([0i64; 101], [0i64; 101]);
    let mut squared_error = 0.0;
    for g in &groups {
        let Some(total) = g.total else {
            out.unscored += g.n;
            continue;
        };
        out.bands[bands.of(total)].tally.add(g);
        if let Some((_, tally)) = out.classes.iter_mut().find(|(c, _)| Some(*c) == g.class) {
            tally.add(g);
        }
        let score = total.clamp(0, 100) as usize;
        match g.outcome {
            Some(LeadStatus::Won) => won_at[score] += g.n,
            Some(LeadStatus::Lost) => lost_at[score] += g.n,
            _ => continue,
        }
        out.brier_leads += g.probabilities;
        squared_error += g.squared_error;
    }
    out.auc = auc(&won_at, &lost_at);
    out.brier = (out.brier_leads > 0).then(|| squared_error / out.brier_leads as f64);
    Ok(out)
}

/// The AUC from counts of positives and negatives at each score: the
/// chance a random WON lead scored above a random LOST one, ties half.
pub fn auc(positives: &[i64], negatives: &[i64]) -> Option<f64> {
    let (p, n): (i64, i64) = (positives.iter().sum(), negatives.iter().sum());
    if p == 0 || n == 0 {
        return None;
    }
    let (mut below, mut wins) = (0i64, 0.0);
    for (pos, neg) in positives.iter().zip(negatives) {
        wins += *pos as f64 * (below as f64 + *neg as f64 / 2.0);
        below += neg;
    }
    Some(wins / (p as f64 * n as f64))
}

#[cfg(test)]
mod tests {
    use super::auc;

    #[test]
    fn auc_from_counts_is_one_when_every_win_outscores_every_loss_and_half_on_ties() {
        assert_eq!(auc(&[0, 0, 2], &[3, 0, 0]), Some(1.0));
        assert_eq!(auc(&[2, 0, 0], &[0, 0, 3]), Some(0.0));
        assert_eq!(auc(&[0, 4, 0], &[0, 4, 0]), Some(0.5));
        assert_eq!(auc(&[1, 1], &[0, 0]), None);
    }
}
