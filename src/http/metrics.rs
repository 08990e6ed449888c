//! `GET /metrics` (Prometheus text) and the layer that counts requests.
//! On the main address it (and `/health.json`) needs `Authorization:
//! Bearer <METRICS_TOKEN>` and is not served without one; on ADMIN_BIND it
//! is open (bind that where only monitoring reaches).
use std::time::Instant;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{figures, reply::ErrorCodes, AppState};
use crate::ops::metrics::{Operation, Outcome};

/// prometheus-client writes OpenMetrics text (with `# EOF`).
const TEXT_FORMAT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Equal-length comparison that takes the same time wherever they differ.
fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// What the main address answers an operator's request (`/metrics`,
/// `/health.json`) that lacks the metrics token: not served at all without
/// METRICS_TOKEN, 401 with a wrong one. None: the token is right.
pub(super) fn refused(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = state.settings.metrics_token.as_ref() else {
        return Some(StatusCode::NOT_FOUND.into_response());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    (!same(given.as_bytes(), token.expose().as_bytes())).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "send Authorization: Bearer <METRICS_TOKEN>",
        )
            .into_response()
    })
}

/// On the main address.
pub async fn guarded(State(state): State<AppState>, request: Request) -> Response {
    match refused(&state, request.headers()) {
        Some(refusal) => refusal,
        None => open(State(state)).await,
    }
}

/// On ADMIN_BIND.
pub async fn open(State(state): State<AppState>) -> Response {
    let figures = figures::read(&state).await;
    let text = state.core.ops().metrics().render(figures.snapshot());
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT))],
        text,
    )
        .into_response()
}

/// Probes, scrapes and the dashboard's polling are not the traffic an
/// operator wants to see a rate of.
fn counted(path: &str) -> bool {
    !matches!(
        path,
        "/metrics" | "/livez" | "/readyz" | "/health" | "/health.json"
    ) && !path.starts_with("/health/")
}

/// Counts every request by operation and outcome, with its duration, and
/// the error codes it answered with.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if !counted(&path) {
        return next.run(request).await;
    }
    let by_path = match path.as_str() {
        "/graphql" => Operation::Query,
        "/graphql/ws" => Operation::Subscription,
        p if p.starts_with("/exports/") => Operation::Export,
        p if p.starts_with("/imports") => Operation::Import,
        _ => Operation::Page,
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = state.core.ops().metrics();
    let operation = response
        .extensions()
        .get::<Operation>()
        .copied()
        .unwrap_or(by_path);
    let codes = response.extensions().get::<ErrorCodes>();
    for code in codes.map(|c| c.0.as_slice()).unwrap_or_default() {
        metrics.error(code);
    }
    let failed = response.status().is_client_error()
        || response.status().is_server_error()
        || codes.is_some_and(|c| !c.0.is_empty());
    let outcome = if failed { Outcome::Error } else { Outcome::Ok };
    metrics.request(operation, outcome, started.elapsed().as_secs_f64());
    response
}
