//! One reading of everything operators watch, shared by `/health.json`,
//! the dashboard's samples and `/metrics`, so the three never disagree.
use std::time::{Duration, Instant};

use sea_orm::DbBackend;
use serde::Serialize;

use super::AppState;
use crate::{
    db::{self, PoolFigures},
    events::bus::BusFigures,
    ops::{breaker, metrics::Snapshot},
    service::{
        background::{self, JobFigures},
        scores::learned::drift::{self, ModelFigures},
    },
};

pub struct Figures {
    pub pool: Option<PoolFigures>,
    pub acquire_ms: Option<f64>,
    pub bus: BusFigures,
    pub breaker: breaker::Status,
    /// None when they could not be read (the database is down).
    pub jobs: Option<JobFigures>,
    /// The active scoring model; none under the rules, or unread.
    pub model: Option<ModelFigures>,
    pub websockets: u64,
    pub uptime: Duration,
}

/// Whether the database answered the last probe (always so where nothing
/// probes): reads for the figures are skipped otherwise, so the health
/// page answers at once during an outage.
fn answering(state: &AppState) -> bool {
    let status = state.core.ops().breaker().status();
    status.state == breaker::State::Closed && status.last_probe_ok != Some(false)
}

/// How long borrowing a pool connection takes right now: what a request
/// would wait (bounded: a full pool shows as a slow acquire, not a hang).
async fn acquire_ms(state: &AppState) -> Option<f64> {
    let started = Instant::now();
    let conn = state.core.db();
    let limit = Duration::from_millis(500);
    let acquired = match conn.get_database_backend() {
        DbBackend::Postgres => {
            tokio::time::timeout(limit, conn.get_postgres_connection_pool().acquire())
                .await
                .is_ok_and(|c| c.is_ok())
        }
        DbBackend::Sqlite => {
            tokio::time::timeout(limit, conn.get_sqlite_connection_pool().acquire())
                .await
                .is_ok_and(|c| c.is_ok())
        }
        _ => false,
    };
    acquired.then(|| started.elapsed().as_secs_f64() * 1000.0)
}

pub async fn read(state: &AppState) -> Figures {
    let pool = db::pool_figures(state.core.db(), db::max_connections(&state.settings));
    let up = answering(state);
    let acquire_ms = if up { acquire_ms(state).await } else { None };
    let breaker = state.core.ops().breaker().status();
    let jobs = if up {
        tokio::time::timeout(
            Duration::from_millis(500),
            background::unfinished(&state.core),
        )
        .await
        .ok()
        .and_then(Result::ok)
    } else {
        None
    };
    let model = if up {
        tokio::time::timeout(Duration::from_millis(500), drift::figures(&state.core))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
    } else {
        None
    };
    Figures {
        pool,
        acquire_ms,
        bus: state.core.bus().figures(),
        breaker,
        jobs,
        model,
        websockets: state.core.ops().metrics().websocket_connections(),
        uptime: state.started.elapsed(),
    }
}

impl Figures {
    pub fn database_up(&self) -> bool {
        self.breaker.state == breaker::State::Closed && self.breaker.last_probe_ok != Some(false)
    }

    pub fn subscriptions(&self) -> u64 {
        self.bus.subscribers.iter().map(|(_, n)| n).sum()
    }

    pub fn snapshot(&self) -> Snapshot {
        let pool = self.pool.unwrap_or(PoolFigures {
            size: 0,
            idle: 0,
            in_use: 0,
            max: 0,
        });
        let jobs = self.jobs.unwrap_or_default();
        Snapshot {
            pool_size: pool.size,
            pool_idle: pool.idle,
            pool_max: pool.max,
            pool_acquire_seconds: self.acquire_ms.unwrap_or(f64::NAN) / 1000.0,
            websocket_connections: self.websockets,
            subscriptions: self.bus.subscribers.to_vec(),
            bus_published: self.bus.published,
            bus_dispatched: self.bus.dispatched,
            slow_consumers: self.bus.slow_consumers,
            listener_connected: self.bus.listener_connected,
            listener_reconnects: self.bus.gaps,
            breaker_state: self.breaker.state.level(),
            breaker_opened: self.breaker.opened_count,
            database_up: self.database_up(),
            rescore_jobs_running: jobs.rescore_jobs,
            rescore_leads_done: jobs.rescore_done,
            rescore_leads_total: jobs.rescore_total,
            import_jobs_running: jobs.imports + jobs.bulk_jobs,
            model_version: self.model.as_ref().map(|m| m.version),
            model_live_outcomes: self
                .model
                .as_ref()
                .and_then(|m| m.live.as_ref())
                .map_or(0, |l| l.outcomes.max(0) as u64),
            model_live_auc: self
                .model
                .as_ref()
                .and_then(|m| m.live.as_ref())
                .and_then(|l| l.auc),
            model_live_calibration_error: self
                .model
                .as_ref()
                .and_then(|m| m.live.as_ref())
                .and_then(|l| l.calibration_error),
            model_drifting: self
                .model
                .as_ref()
                .and_then(|m| m.live.as_ref())
                .is_some_and(|l| l.drift.is_some()),
            uptime_seconds: self.uptime.as_secs(),
        }
    }
}

/// The circuit as `/health.json` shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitJson {
    pub state: &'static str,
    pub consecutive_failures: u32,
    pub open_for_secs: Option<f64>,
    pub opened_count: u64,
    pub last_failure_class: Option<&'static str>,
    pub last_failure: Option<String>,
    /// How long probes have gone unanswered in time (slow or failing).
    pub unanswered_for_secs: Option<f64>,
    /// Requests refused since the circuit last opened.
    pub refused: u64,
}

impl From<&breaker::Status> for CircuitJson {
    fn from(status: &breaker::Status) -> Self {
        Self {
            state: status.state.as_str(),
            consecutive_failures: status.consecutive_failures,
            open_for_secs: status.open_for.map(|d| d.as_secs_f64()),
            opened_count: status.opened_count,
            last_failure_class: status.last_failure.as_ref().map(|f| f.0),
            last_failure: status.last_failure.as_ref().map(|f| f.1.clone()),
            unanswered_for_secs: status.unanswered_for.map(|d| d.as_secs_f64()),
            refused: status.refused,
        }
    }
}
