//! `/health`: the operators' dashboard, a page and two files from the
//! binary that draw `/health.json` every 5 seconds (no external assets, so
//! it works where the outage is the internet link).
use axum::{
    extract::Path,
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
};

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leadscore health</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/health/dashboard.css">
</head>
<body>
<header>
<h1>leadscore health</h1>
<span id="overall" class="level">-</span>
<span class="meta">updated <span id="updated">-</span>, every 5 s</span>
<span id="stale"></span>
</header>
<main>
<section>
<h2>What needs attention</h2>
<table><tbody id="urgency"></tbody></table>
</section>
<section>
<h2>Connection pool (last 10 minutes)</h2>
<svg id="pool-chart" role="img" aria-label="pool connections in use"></svg>
<div class="legend"><span><i class="swatch" style="background:#2e90fa"></i>in use</span><span><i class="swatch" style="background:#98a2b3"></i>max</span></div>
<h2>Requests per second</h2>
<svg id="rate-chart" role="img" aria-label="requests and errors per second"></svg>
<div class="legend"><span><i class="swatch" style="background:#12b76a"></i>requests</span><span><i class="swatch" style="background:#d92d20"></i>errors</span></div>
</section>
<section>
<h2>Figures</h2>
<dl id="figures"></dl>
</section>
</main>
<script src="/health/dashboard.js"></script>
</body>
</html>
"#;

pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

pub async fn asset(Path(name): Path<String>) -> Response {
    let (content_type, body): (&str, &str) = match name.as_str() {
        "dashboard.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../../assets/health/dashboard.js"),
        ),
        "dashboard.css" => (
            "text/css; charset=utf-8",
            include_str!("../../assets/health/dashboard.css"),
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
