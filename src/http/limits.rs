//! Per-request guards: a deadline with a GraphQL-shaped answer (tower-http's
//! timeout layer answers with an empty body), and a request id with panics
//! caught, so one bad request is an INTERNAL answer and a log line that
//! names it, never a dropped connection.
use std::{panic::AssertUnwindSafe, time::Duration};

use axum::{
    extract::{Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use futures_util::FutureExt;
use tracing::Instrument;

use super::reply;
use crate::error::AppError;

pub const REQUEST_ID: &str = "x-request-id";

pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_secs = limit.as_secs(), "request timed out");
            reply::app_error(
                AppError::Timeout {
                    secs: limit.as_secs(),
                },
                false,
            )
        }
    }
}

/// A client's own request id when it is a sane token; ours otherwise.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

pub async fn request_context(request: Request, next: Next) -> Response {
    let id = request_id(&request);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let outcome = AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .instrument(span.clone())
        .await;
    let mut response = outcome.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        span.in_scope(|| tracing::error!(request_id = %id, panic = %what, "a request panicked"));
        let mut error = reply::server_error(AppError::internal(format!("panic: {what}")));
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("requestId", id.as_str());
        reply::refused(
            vec![error],
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            false,
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
