//! Liveness, readiness and a health document that says why the database is
//! unreachable (the failure class and a message without secrets).
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::AppState;
use crate::db;

pub async fn livez() -> &'static str {
    "ok"
}

async fn probe(state: &AppState) -> Result<(), db::Diagnosis> {
    match state.core.db().execute_unprepared("SELECT 1").await {
        Ok(_) => Ok(()),
        Err(err) => Err(db::diagnose_runtime(&state.settings, &err)),
    }
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match probe(&state).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(diag) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "database": { "class": diag.class, "message": diag.message } }),
            ),
        ),
    }
}

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.core.dialect().name();
    // Read before the probe, which itself borrows a connection.
    let pool = db::pool_figures(state.core.db(), db::max_connections(&state.settings));
    let (status, database) = match probe(&state).await {
        Ok(()) => (
            StatusCode::OK,
            json!({ "connected": true, "backend": backend }),
        ),
        Err(diag) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "connected": false, "backend": backend, "failure": { "class": diag.class, "message": diag.message } }),
        ),
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeSecs": state.started.elapsed().as_secs(),
        "database": database,
        "pool": pool,
        "statements": state.core.statements().load(std::sync::atomic::Ordering::Relaxed),
    });
    (status, Json(body))
}
