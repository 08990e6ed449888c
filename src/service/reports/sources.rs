//! Which sources bring buyers: per source, the leads created in the
//! period, their outcomes, their mean current score and how long a win
//! took. One statement.
use chrono::Utc;
use sea_orm::Iterable;

use super::{
    sql::{parse_enum, percentiles, Sql},
    win_rate, Coverage, Period,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::lead::{Column, LeadSource},
    error::AppResult,
    service::leads::LeadFilter,
};

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    pub source: LeadSource,
    pub leads: i64,
    /// Leads now WON or LOST.
    pub won: i64,
    pub lost: i64,
    pub win_rate: Option<f64>,
    /// Mean current score over the scored leads.
    pub mean_score: Option<f64>,
    /// Creation to the (latest) change to WON, over the WON leads.
    pub median_seconds_to_win: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceEffectiveness {
    pub coverage: Coverage,
    pub rows: Vec<SourceRow>,
}

pub async fn effectiveness(
    core: &Core,
    actor: &Actor,
    period: Period,
    filter: &LeadFilter,
) -> AppResult<SourceEffectiveness> {
    actor.may(Scope::ReportsRead)?;
    let now = Utc::now();
    let mut sql = Sql::with_scope(
        core.dialect(),
        actor,
        filter,
        period.created(),
        &[
            Column::Id,
            Column::Source,
            Column::Status,
            Column::Score,
            Column::CreatedAt,
        ],
    );
    let (won_at, created) = (sql.epoch("h.changed_at"), sql.epoch("s.created_at"));
    sql.push(&format!(
        ", wins AS (SELECT s.source AS key, (SELECT MAX({won_at}) FROM lead_status_changes h \
         WHERE h.lead_id = s.id AND h.to_status = 'WON') - {created} AS value \
         FROM scope s WHERE s.status = 'WON') \
         SELECT source AS key, COUNT(*) AS leads, \
         SUM(CASE WHEN status = 'WON' THEN 1 ELSE 0 END) AS won, \
         SUM(CASE WHEN status = 'LOST' THEN 1 ELSE 0 END) AS lost, \
         CAST(SUM(score) AS BIGINT) AS score_sum, COUNT(score) AS scored, \
         NULL AS n, NULL AS p50 FROM scope GROUP BY source \
         UNION ALL SELECT key, NULL, NULL, NULL, NULL, NULL, n, p50 FROM ({}) AS pc",
        percentiles("SELECT key, value FROM wins")
    ));
    let mut rows: Vec<SourceRow> = LeadSource::iter()
        .map(|source| SourceRow {
            source,
            leads: 0,
            won: 0,
            lost: 0,
            win_rate: None,
            mean_score: None,
            median_seconds_to_win: None,
        })
        .collect();
    for row in sql.rows(core.reads()).await? {
        let key: String = row.try_get("", "key")?;
        let Some(out) = parse_enum::<LeadSource>(Some(&key))?
            .and_then(|s| rows.iter_mut().find(|r| r.source == s))
        else {
            continue;
        };
        match row.try_get::<Option<i64>>("", "leads")? {
            Some(leads) => {
                let get = |c| {
                    row.try_get::<Option<i64>>("", c)
                        .map(Option::unwrap_or_default)
                };
                out.leads = leads;
                out.won = get("won")?;
                out.lost = get("lost")?;
                let (sum, scored) = (get("score_sum")?, get("scored")?);
                out.mean_score = (scored > 0).then(|| sum as f64 / scored as f64);
                out.win_rate = win_rate(out.won, out.lost);
            }
            None => out.median_seconds_to_win = row.try_get("", "p50")?,
        }
    }
    Ok(SourceEffectiveness {
        coverage: Coverage {
            period,
            computed_at: now,
        },
        rows,
    })
}
