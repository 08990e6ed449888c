//! One measure over time, in calendar buckets of a time zone, gap-filled
//! with zeros. One statement: the database counts per 15-minute slot of
//! UTC (every bucket edge of today's zones falls on one; a zone whose
//! edges do not is counted per minute), and the slots are added into the
//! zone's days, weeks or months here, so both backends agree across
//! clock changes without the database knowing any time zone.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    buckets::{bucket_of, time_buckets, Granularity},
    sql::{Sql, LOGGED_KINDS},
    Coverage, Period,
};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::lead::Column,
    error::{AppError, AppResult},
    service::leads::LeadFilter,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    LeadsCreated,
    /// Changes to CONTACTED.
    Contacted,
    /// Changes to WON.
    Won,
    /// Changes to LOST.
    Lost,
    /// Calls, emails, meetings, texts and other logged activities.
    ActivitiesLogged,
    EngagementEvents,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    pub coverage: Coverage,
    pub metric: Metric,
    pub granularity: Granularity,
    pub time_zone: Tz,
    pub points: Vec<Point>,
    pub total: i64,
}

const SLOT: u32 = 900;
const FINE_SLOT: u32 = 60;

pub struct SeriesRequest {
    pub metric: Metric,
    pub granularity: Granularity,
    pub time_zone: Tz,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

pub async fn series(
    core: &Core,
    actor: &Actor,
    request: SeriesRequest,
    filter: &LeadFilter,
) -> AppResult<TimeSeries> {
    actor.may(Scope::ReportsRead)?;
    let now = Utc::now();
    let SeriesRequest {
        metric,
        granularity,
        time_zone,
        from,
        to,
    } = request;
    if from > to {
        return Err(AppError::bad_input("from", "must not be after to"));
    }
    let buckets = if from == to {
        Vec::new()
    } else {
        time_buckets(granularity, time_zone, from, to)?
    };
    let edges_on = |width: u32| {
        buckets
            .iter()
            .skip(1)
            .all(|(start, _)| start.timestamp() % i64::from(width) == 0)
    };
    let width = if edges_on(SLOT) { SLOT } else { FINE_SLOT };

    let mut sql = Sql::with_scope(
        core.dialect(),
        actor,
        filter,
        sea_orm::Condition::all(),
        &[Column::Id, Column::CreatedAt],
    );
    let (table, column, extra) = match metric {
        Metric::LeadsCreated => ("scope", "created_at", String::new()),
        Metric::Contacted => (
            "lead_status_changes",
            "changed_at",
            "AND to_status = 'CONTACTED'".into(),
        ),
        Metric::Won => (
            "lead_status_changes",
            "changed_at",
            "AND to_status = 'WON'".into(),
        ),
        Metric::Lost => (
            "lead_status_changes",
            "changed_at",
            "AND to_status = 'LOST'".into(),
        ),
        Metric::ActivitiesLogged => (
            "lead_activities",
            "occurred_at",
            format!("AND kind IN {LOGGED_KINDS}"),
        ),
        Metric::EngagementEvents => ("lead_engagement_events", "occurred_at", String::new()),
    };
    let in_scope = if table == "scope" {
        String::new()
    } else {
        "lead_id IN (SELECT id FROM scope) AND".into()
    };
    let slot = core.dialect().epoch_slot(column, width);
    sql.push(&format!(
        " SELECT {slot} AS slot, COUNT(*) AS n FROM {table} WHERE {in_scope} {column} >= "
    ));
    sql.param(from).push(&format!(" AND {column} < ")).param(to);
    sql.push(&format!(" {extra} GROUP BY {slot}"));

    let mut points: Vec<Point> = buckets
        .iter()
        .map(|&(start, end)| Point {
            start,
            end,
            count: 0,
        })
        .collect();
    let mut total = 0;
    for row in sql.rows(core.reads()).await? {
        let slot: i64 = row.try_get("", "slot")?;
        let n: i64 = row.try_get("", "n")?;
        let start = DateTime::from_timestamp(slot * i64::from(width), 0)
            .ok_or_else(|| AppError::internal("report: slot out of range"))?;
        if let Some(i) = bucket_of(&buckets, start.max(from)) {
            points[i].count += n;
            total += n;
        }
    }
    Ok(TimeSeries {
        coverage: Coverage {
            period: Period {
                from: Some(from),
                to,
            },
            computed_at: now,
        },
        metric,
        granularity,
        time_zone,
        points,
        total,
    })
}
