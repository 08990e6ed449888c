//! Request timeout with a clear GraphQL-shaped answer (tower-http's timeout
//! layer answers with an empty body).
use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_secs = limit.as_secs(), "request timed out");
            let body = json!({ "errors": [{
                "message": format!("the request took longer than {} s and was stopped", limit.as_secs()),
                "extensions": { "code": "TIMEOUT" }
            }]});
            (StatusCode::GATEWAY_TIMEOUT, Json(body)).into_response()
        }
    }
}
