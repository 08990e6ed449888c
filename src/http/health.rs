//! Liveness, readiness, the health document (`/health.json`) and the
//! dashboard that draws it (`/health`). Readiness on PostgreSQL follows the
//! watchdog's probes, so it turns 503 within about half a second of an
//! outage without each probe waiting on the pool. The public address
//! answers `/livez` and a bare `/readyz` to anyone; the detail (database
//! user, host and failure, pool, jobs) is for ADMIN_BIND, or for a caller
//! with the metrics token.
use std::time::Duration;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use super::{
    figures::{self, CircuitJson},
    urgency, AppState,
};
use crate::{
    db::{self, Dialect},
    ops::{breaker, history::Sample},
};

/// How often the dashboard's samples are taken (and it refreshes).
pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);

pub async fn livez() -> &'static str {
    "ok"
}

/// Why the database is not usable (its failure class and words), or None.
struct Problem {
    class: &'static str,
    message: String,
}

async fn database_problem(state: &AppState) -> Option<Problem> {
    if state.core.dialect() == Dialect::Postgres {
        let status = state.core.ops().breaker().status();
        if status.state == breaker::State::Closed && status.last_probe_ok != Some(false) {
            return None;
        }
        let (class, message) = status
            .last_failure
            .unwrap_or(("timeout", "the database is not answering".into()));
        return Some(Problem { class, message });
    }
    let probe = state.core.db().execute_unprepared("SELECT 1");
    match tokio::time::timeout(Duration::from_secs(1), probe).await {
        Ok(Ok(_)) => None,
        Ok(Err(err)) => {
            let diag = db::diagnose_runtime(&state.settings, &err);
            Some(Problem {
                class: diag.class.as_str(),
                message: diag.message,
            })
        }
        Err(_) => Some(Problem {
            class: "timeout",
            message: "the database did not answer within 1 s".into(),
        }),
    }
}

/// Ready or not, and nothing more: why is in `/health.json`.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match database_problem(&state).await {
        None => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Some(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable" })),
        ),
    }
}

/// `/health.json` on the public address: for a caller with the metrics token.
pub async fn guarded(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match super::metrics::refused(&state, &headers) {
        Some(refusal) => refusal,
        None => health(State(state)).await,
    }
}

pub async fn health(State(state): State<AppState>) -> Response {
    let backend = state.core.dialect().name();
    let figures = figures::read(&state).await;
    let problem = database_problem(&state).await;
    let metrics = state.core.ops().metrics();
    let (requests, errors) = metrics.totals();
    // Over the last minute of samples.
    let rates = state.core.ops().history().rates(12);
    let database = match &problem {
        None => json!({ "connected": true, "backend": backend }),
        Some(diag) => {
            json!({ "connected": false, "backend": backend, "failure": { "class": diag.class, "message": diag.message } })
        }
    };
    let status = if problem.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let errors_by_code: serde_json::Map<String, Value> = metrics
        .errors_by_code()
        .into_iter()
        .map(|(code, n)| (code.to_string(), json!(n)))
        .collect();
    let subscriptions: serde_json::Map<String, Value> = figures
        .bus
        .subscribers
        .iter()
        .map(|(kind, n)| (kind.to_string(), json!(n)))
        .collect();
    let body = json!({
        "status": if problem.is_none() { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeSecs": figures.uptime.as_secs(),
        "database": database,
        "pool": figures.pool,
        "poolAcquireMs": figures.acquire_ms,
        "statements": state.core.statements().load(std::sync::atomic::Ordering::Relaxed),
        "circuit": CircuitJson::from(&figures.breaker),
        "requests": {
            "total": requests,
            "errors": errors,
            "perSecond": rates.map(|r| r.0),
            "errorsPerSecond": rates.map(|r| r.1),
            "errorsByCode": errors_by_code,
        },
        "live": {
            "websockets": figures.websockets,
            "subscriptions": subscriptions,
            "slowConsumers": figures.bus.slow_consumers,
        },
        "events": {
            "listener": match figures.bus.listener_connected {
                None => "none",
                Some(true) => "connected",
                Some(false) => "reconnecting",
            },
            "reconnects": figures.bus.gaps,
            "lagMs": figures.bus.event_lag_ms,
            "published": figures.bus.published,
            "dispatched": figures.bus.dispatched,
        },
        "jobs": figures.jobs,
        "model": figures.model,
        "sweepIntervalSecs": state.core.scoring().sweep_interval.map(|d| d.as_secs()),
        "throttledSignIns": metrics.throttled_total(),
        "email": match state.core.email() {
            Some(mailer) => json!({
                "enabled": true,
                "server": mailer.target,
                "pending": figures.jobs.map(|j| j.email_pending),
                "dead": figures.jobs.map(|j| j.email_dead),
            }),
            None => json!({ "enabled": false, "why": "SMTP_URL is not set" }),
        },
        "urgency": urgency::lines(
            state.core.scoring().sweep_interval,
            &figures,
            problem.as_ref().map(|p| p.message.as_str()),
            rates,
        ),
        "history": state.core.ops().history().samples(),
    });
    (status, Json(body)).into_response()
}

/// Takes a sample every [`SAMPLE_EVERY`] until the server stops.
pub async fn start_sampling(state: &AppState) {
    let state = state.clone();
    state
        .core
        .tasks()
        .clone()
        .spawn("health sampler", move |mut stop| async move {
            let mut every = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                sample(&state).await;
            }
        })
        .await;
}

async fn sample(state: &AppState) {
    let figures = figures::read(state).await;
    let (requests, errors) = state.core.ops().metrics().totals();
    let pool = figures.pool;
    state.core.ops().history().push(Sample {
        at_ms: chrono::Utc::now().timestamp_millis(),
        pool_size: pool.map_or(0, |p| p.size),
        pool_in_use: pool.map_or(0, |p| p.in_use),
        pool_max: pool.map_or(0, |p| p.max),
        acquire_ms: figures.acquire_ms,
        requests,
        errors,
        websockets: figures.websockets,
        subscriptions: figures.subscriptions(),
        database_up: figures.database_up(),
        breaker: figures.breaker.state.as_str(),
    });
}
