//! GraphiQL, served from the binary: React, ReactDOM and GraphiQL's own
//! build are vendored under `assets/graphiql` (pinned npm versions, their
//! integrity in its package-lock, refreshed by `vendor.sh`) and embedded
//! here, so the page works without internet access and the CSP names no
//! third-party origin. About 1.6 MB of the binary.
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
};

use super::AppState;

/// Where the embedded files are served.
pub const ASSETS: &str = "/graphiql/assets";

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leadscore GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
<style>body { margin: 0; overflow: hidden; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql" data-endpoint="/graphql" data-subscriptions="/graphql/ws">Loading GraphiQL...</div>
<script src="/graphiql/assets/react.production.min.js"></script>
<script src="/graphiql/assets/react-dom.production.min.js"></script>
<script src="/graphiql/assets/graphiql.min.js"></script>
<script src="/graphiql/assets/start.js"></script>
</body>
</html>
"#;

/// (name, content type, bytes)
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/react-dom.production.min.js"),
    ),
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/graphiql.min.css"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/start.js"),
    ),
];

pub async fn page(State(state): State<AppState>) -> Response {
    if !state.settings.graphiql_enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(PAGE).into_response()
}

/// The files change only with the binary; a day's caching spares reloads.
pub async fn asset(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    if !state.settings.graphiql_enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some((_, content_type, bytes)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        *bytes,
    )
        .into_response()
}
