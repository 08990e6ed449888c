//! Where leads leak out: of a cohort (leads created in a period), how many
//! reached each stage, how many were lost from it, and how long leads
//! stayed in it. One statement.
use chrono::Utc;
use sea_orm::ActiveEnum;

use super::{
    sql::{parse_enum, percentiles, Sql},
    Coverage, Period,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::lead::{Column, LeadStatus},
    error::AppResult,
    service::leads::LeadFilter,
};

/// The stages in order; a lead that skipped one still reached it.
pub const STAGES: [LeadStatus; 6] = [
    LeadStatus::New,
    LeadStatus::Contacted,
    LeadStatus::Qualified,
    LeadStatus::Proposal,
    LeadStatus::Negotiation,
    LeadStatus::Won,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub status: LeadStatus,
    /// Leads of the cohort that reached this stage or a later one.
    pub reached: i64,
    /// Of those, the share that reached the next stage (none for WON or
    /// when none reached this one).
    pub conversion_to_next: Option<f64>,
    /// Leads now LOST whose furthest stage was this one.
    pub lost: i64,
    /// Leads that left this stage (their time in it is known).
    pub exited: i64,
    /// Time spent in the stage, over the leads that left it (a lead's
    /// stays in one stage added up); none for WON.
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Funnel {
    pub coverage: Coverage,
    pub leads: i64,
    pub stages: Vec<Stage>,
    pub lost: i64,
}

pub async fn funnel(
    core: &Core,
    actor: &Actor,
    cohort: Period,
    filter: &LeadFilter,
) -> AppResult<Funnel> {
    actor.may(Scope::ReportsRead)?;
    let now = Utc::now();
    // One statement, one pass over the cohort's history: each change with
    // when the next came (`hist`, read twice), then how far each lead got
    // and how long it stayed in each stage.
    let mut sql = Sql::with_scope(
        core.dialect(),
        actor,
        filter,
        cohort.created(),
        &[Column::Id, Column::Status],
    );
    let t = sql.epoch("h.changed_at");
    sql.push(&format!(
        ", hist AS (SELECT h.lead_id, h.to_status, {t} AS t, \
         LEAD({t}) OVER (PARTITION BY h.lead_id ORDER BY h.changed_at, h.id) AS t_next \
         FROM lead_status_changes h WHERE h.lead_id IN (SELECT id FROM scope)), \
         stays AS (SELECT to_status AS key, SUM(t_next - t) AS value FROM hist \
         WHERE t_next IS NOT NULL AND to_status NOT IN ('WON', 'LOST') GROUP BY lead_id, to_status), \
         tops AS (SELECT lead_id, MAX({}) AS top FROM hist GROUP BY lead_id) \
         SELECT 'reach' AS part, p.top AS top, s.status AS key, COUNT(*) AS n, \
         NULL AS p50, NULL AS p90 FROM scope s LEFT JOIN tops p ON p.lead_id = s.id \
         GROUP BY p.top, s.status \
         UNION ALL SELECT 'stay', NULL, key, n, p50, p90 FROM ({}) AS pc",
        rank_sql("to_status"),
        percentiles("SELECT key, value FROM stays")
    ));
    let rows = sql.rows(core.reads()).await?;

    let mut stages: Vec<Stage> = STAGES
        .iter()
        .map(|&status| Stage {
            status,
            reached: 0,
            conversion_to_next: None,
            lost: 0,
            exited: 0,
            median_seconds: None,
            p90_seconds: None,
        })
        .collect();
    let (mut leads, mut lost) = (0, 0);
    for row in rows
        .iter()
        .filter(|r| r.try_get::<String>("", "part").is_ok_and(|p| p == "reach"))
    {
        let top: Option<i32> = row.try_get("", "top")?;
        let status: String = row.try_get("", "key")?;
        let status = parse_enum::<LeadStatus>(Some(&status))?;
        let n: i64 = row.try_get("", "n")?;
        let now_rank = status.and_then(rank).unwrap_or(0);
        let furthest = top.map_or(0, |t| t as usize).max(now_rank);
        leads += n;
        for stage in &mut stages[..=furthest.min(STAGES.len() - 1)] {
            stage.reached += n;
        }
        if status == Some(LeadStatus::Lost) {
            lost += n;
            stages[furthest.min(STAGES.len() - 2)].lost += n;
        }
    }
    for i in 0..STAGES.len() - 1 {
        let (here, next) = (stages[i].reached, stages[i + 1].reached);
        stages[i].conversion_to_next = (here > 0).then(|| next as f64 / here as f64);
    }
    for row in rows
        .iter()
        .filter(|r| r.try_get::<String>("", "part").is_ok_and(|p| p == "stay"))
    {
        let key: String = row.try_get("", "key")?;
        if let Some(stage) = parse_enum::<LeadStatus>(Some(&key))?
            .and_then(|s| stages.iter_mut().find(|g| g.status == s))
        {
            stage.exited = row.try_get("", "n")?;
            stage.median_seconds = row.try_get("", "p50")?;
            stage.p90_seconds = row.try_get("", "p90")?;
        }
    }
    Ok(Funnel {
        coverage: Coverage {
            period: cohort,
            computed_at: now,
        },
        leads,
        stages,
        lost,
    })
}

/// SQL for the place of status column `column` in [`STAGES`] (NULL for
/// LOST), written from the same list as [`rank`].
fn rank_sql(column: &str) -> String {
    let arms: String = STAGES
        .iter()
        .enumerate()
        .map(|(i, s)| format!(" WHEN '{}' THEN {i}", s.to_value()))
        .collect();
    format!("CASE {column}{arms} ELSE NULL END")
}

/// A status's place in [`STAGES`] (none for LOST).
pub fn rank(status: LeadStatus) -> Option<usize> {
    STAGES.iter().position(|s| *s == status)
}
