//! Which rep answers fast and wins: one row per rep, in three statements
//! (the reps; assignments and first responses; outcomes and open P1s).
use std::collections::HashMap;

use chrono::{Duration, Utc};
use sea_orm::{sea_query::Query, ColumnTrait, Condition, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    sql::{percentiles, Sql, LOGGED_KINDS},
    win_rate, Coverage, Period,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{
        assignment,
        lead::Column,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    service::leads::LeadFilter,
};

/// P1 leads untouched for longer than this are flagged, unless asked otherwise.
pub const DEFAULT_UNTOUCHED_HOURS: i32 = 48;

#[derive(Debug, Clone, PartialEq)]
pub struct RepRow {
    pub rep: user::Model,
    /// Leads assigned to the rep in the period.
    pub assigned: i64,
    /// Of those, leads the rep logged an activity on after the assignment.
    pub contacted: i64,
    /// Assignment to the rep's first logged activity, over the
    /// assignments answered.
    pub responses: i64,
    pub first_response_p50_seconds: Option<f64>,
    pub first_response_p90_seconds: Option<f64>,
    /// Leads the rep owns (latest assignment) whose outcome came in the period.
    pub won: i64,
    pub lost: i64,
    pub win_rate: Option<f64>,
    /// Open P1 leads actively assigned to the rep now.
    pub open_p1: i64,
    /// Of those, leads with no logged activity (and no assignment) within
    /// the last `untouched_hours`.
    pub untouched_p1: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepPerformance {
    pub coverage: Coverage,
    pub untouched_hours: i32,
    pub rows: Vec<RepRow>,
}

pub async fn performance(
    core: &Core,
    actor: &Actor,
    period: Period,
    filter: &LeadFilter,
    untouched_hours: i32,
) -> AppResult<RepPerformance> {
    actor.may(Scope::ReportsRead)?;
    if !(1..=24 * 366).contains(&untouched_hours) {
        return Err(AppError::bad_input(
            "untouchedHours",
            "must be from 1 to 8784 (a year)",
        ));
    }
    let now = Utc::now();
    let reps = if actor.is_manager_or_admin() {
        Condition::any()
            .add(user::Column::Role.eq(Role::SalesRep))
            .add(
                user::Column::Id.in_subquery(
                    Query::select()
                        .column(assignment::Column::AssigneeId)
                        .from(assignment::Entity)
                        .take(),
                ),
            )
    } else {
        Condition::all().add(user::Column::Id.eq(actor.user_id))
    };
    let users = user::Entity::find().filter(reps).all(core.reads()).await?;
    let mut rows: HashMap<Uuid, RepRow> = users
        .into_iter()
        .map(|rep| {
            (
                rep.id,
                RepRow {
                    rep,
                    assigned: 0,
                    contacted: 0,
                    responses: 0,
                    first_response_p50_seconds: None,
                    first_response_p90_seconds: None,
                    won: 0,
                    lost: 0,
                    win_rate: None,
                    open_p1: 0,
                    untouched_p1: 0,
                },
            )
        })
        .collect();

    let dialect = core.dialect();
    let mut responses = Sql::with_scope(dialect, actor, filter, Condition::all(), &[Column::Id]);
    let (t, at) = (
        responses.epoch("x.occurred_at"),
        responses.epoch("a.assigned_at"),
    );
    responses.push(
        ", asg AS (SELECT a.lead_id, a.assignee_id, a.assigned_at FROM assignments a \
         WHERE a.lead_id IN (SELECT id FROM scope) AND a.assigned_at >= ",
    );
    responses
        .param(period.start())
        .push(" AND a.assigned_at < ")
        .param(period.to);
    if !actor.is_manager_or_admin() {
        responses.push(" AND a.assignee_id = ").param(actor.user_id);
    }
    responses.push(&format!(
        "), resp AS (SELECT a.assignee_id AS key, a.lead_id, \
         (SELECT MIN({t}) FROM lead_activities x WHERE x.lead_id = a.lead_id \
         AND x.actor_id = a.assignee_id AND x.kind IN {LOGGED_KINDS} \
         AND x.occurred_at >= a.assigned_at) - {at} AS value FROM asg a) \
         SELECT key, COUNT(DISTINCT lead_id) AS assigned, \
         COUNT(DISTINCT CASE WHEN value IS NOT NULL THEN lead_id END) AS contacted, \
         NULL AS n, NULL AS p50, NULL AS p90 FROM resp GROUP BY key \
         UNION ALL SELECT key, NULL, NULL, n, p50, p90 FROM ({}) AS pc",
        percentiles("SELECT key, value FROM resp")
    ));
    for row in responses.rows(core.reads()).await? {
        let key: Uuid = row.try_get("", "key")?;
        let Some(out) = rows.get_mut(&key) else {
            continue;
        };
        if let Some(assigned) = row.try_get::<Option<i64>>("", "assigned")? {
            out.assigned = assigned;
            out.contacted = row.try_get::<Option<i64>>("", "contacted")?.unwrap_or(0);
        } else {
            out.responses = row.try_get::<Option<i64>>("", "n")?.unwrap_or(0);
            out.first_response_p50_seconds = row.try_get("", "p50")?;
            out.first_response_p90_seconds = row.try_get("", "p90")?;
        }
    }

    // Outcomes: leads whose latest WON/LOST change falls in the period
    // (one in it, none after it), credited to their latest assignee. Open
    // P1s: through their ACTIVE assignment. Both start from few rows.
    let mut owners = Sql::with_scope(
        dialect,
        actor,
        filter,
        Condition::all(),
        &[Column::Id, Column::Status, Column::PriorityTier],
    );
    owners.push(
        ", closed AS (SELECT DISTINCT h.lead_id FROM lead_status_changes h \
         WHERE h.to_status IN ('WON', 'LOST') AND h.changed_at >= ",
    );
    owners
        .param(period.start())
        .push(" AND h.changed_at < ")
        .param(period.to);
    owners.push(
        " AND NOT EXISTS (SELECT 1 FROM lead_status_changes l WHERE l.lead_id = h.lead_id \
         AND l.to_status IN ('WON', 'LOST') AND l.changed_at >= ",
    );
    owners.param(period.to);
    owners.push(&format!(
        ")), outcomes AS (SELECT (SELECT a.assignee_id FROM assignments a WHERE a.lead_id = s.id \
         ORDER BY a.assigned_at DESC, a.id DESC LIMIT 1) AS key, s.status FROM scope s \
         JOIN closed c ON c.lead_id = s.id WHERE s.status IN ('WON', 'LOST')), \
         p1 AS (SELECT a.assignee_id AS key, a.assigned_at, (SELECT MAX(x.occurred_at) \
         FROM lead_activities x WHERE x.lead_id = s.id AND x.kind IN {LOGGED_KINDS}) AS touched \
         FROM scope s JOIN assignments a ON a.lead_id = s.id AND a.status = 'ACTIVE' \
         WHERE s.priority_tier = 'P1' AND s.status NOT IN ('WON', 'LOST')) \
         SELECT key, SUM(CASE WHEN status = 'WON' THEN 1 ELSE 0 END) AS won, \
         SUM(CASE WHEN status = 'LOST' THEN 1 ELSE 0 END) AS lost, 0 AS open_p1, 0 AS untouched \
         FROM outcomes GROUP BY key \
         UNION ALL SELECT key, 0, 0, COUNT(*), SUM(CASE WHEN (CASE WHEN touched IS NOT NULL \
         AND touched > assigned_at THEN touched ELSE assigned_at END) < "
    ));
    owners.param(now - Duration::hours(i64::from(untouched_hours)));
    owners.push(" THEN 1 ELSE 0 END) FROM p1 GROUP BY key");
    for row in owners.rows(core.reads()).await? {
        let Some(key) = row.try_get::<Option<Uuid>>("", "key")? else {
            continue;
        };
        let Some(out) = rows.get_mut(&key) else {
            continue;
        };
        out.won += sum(&row, "won")?;
        out.lost += sum(&row, "lost")?;
        out.open_p1 += sum(&row, "open_p1")?;
        out.untouched_p1 += sum(&row, "untouched")?;
    }

    let mut rows: Vec<RepRow> = rows
        .into_values()
        .filter(|r| {
            (r.rep.role == Role::SalesRep && r.rep.is_active)
                || r.assigned + r.won + r.lost + r.open_p1 > 0
        })
        .map(|mut r| {
            r.win_rate = win_rate(r.won, r.lost);
            r
        })
        .collect();
    rows.sort_by(|a, b| (&a.rep.full_name, a.rep.id).cmp(&(&b.rep.full_name, b.rep.id)));
    Ok(RepPerformance {
        coverage: Coverage {
            period,
            computed_at: now,
        },
        untouched_hours,
        rows,
    })
}

/// A `SUM(CASE ...)` (a bigint on both backends).
fn sum(row: &sea_orm::QueryResult, column: &str) -> AppResult<i64> {
    Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0))
}
