//! A histogram of current scores. One statement.
use chrono::Utc;
use sea_orm::Condition;

use super::{buckets::ScoreBands, sql::Sql, Coverage};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::lead::Column,
    error::AppResult,
    service::leads::LeadFilter,
};

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDistribution {
    pub coverage: Coverage,
    /// (lowest score, highest score, leads), lowest band first.
    pub bands: Vec<(i32, i32, i64)>,
    pub unscored: i64,
    pub mean: Option<f64>,
}

pub async fn distribution(
    core: &Core,
    actor: &Actor,
    bands: ScoreBands,
    filter: &LeadFilter,
) -> AppResult<ScoreDistribution> {
    actor.may(Scope::ReportsRead)?;
    let now = Utc::now();
    let mut sql = Sql::with_scope(
        core.dialect(),
        actor,
        filter,
        Condition::all(),
        &[Column::Score],
    );
    sql.push(" SELECT score, COUNT(*) AS n FROM scope GROUP BY score");
    let mut out = ScoreDistribution {
        coverage: Coverage::snapshot(filter, now),
        bands: (0..bands.count())
            .map(|i| {
                let (low, high) = bands.bounds(i);
                (low, high, 0)
            })
            .collect(),
        unscored: 0,
        mean: None,
    };
    let (mut sum, mut scored) = (0i64, 0i64);
    for row in sql.rows(core.reads()).await? {
        let n: i64 = row.try_get("", "n")?;
        match row.try_get::<Option<i32>>("", "score")? {
            Some(score) => {
                out.bands[bands.of(score)].2 += n;
                sum += i64::from(score) * n;
                scored += n;
            }
            None => out.unscored += n,
        }
    }
    out.mean = (scored > 0).then(|| sum as f64 / scored as f64);
    Ok(out)
}
