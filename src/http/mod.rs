//! The HTTP shell: routes, middleware and the pieces of the GraphQL-over-HTTP
//! protocol that async-graphql leaves to the server.
use std::{net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method},
    middleware,
    routing::{get, post},
    Router,
};
use tokio::sync::watch;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnFailure, TraceLayer},
};
use tracing::Level;

use crate::{
    config::Settings,
    core::Core,
    graphql::{admission::Gate, AppSchema},
};

pub mod dashboard;
pub mod exports;
pub mod figures;
pub mod graphiql;
pub mod graphql;
pub mod graphql_request;
pub mod health;
pub mod imports;
pub mod limits;
pub mod metrics;
pub mod principal;
pub mod reply;
pub mod serve;
pub mod unsubscribe;
pub mod urgency;
pub mod websocket;

#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub core: Core,
    /// Where every GraphQL document is checked before it runs.
    pub gate: Gate,
    pub settings: Arc<Settings>,
    pub started: Instant,
    /// Turns true when the server starts shutting down.
    pub stopping: watch::Receiver<bool>,
}

impl AppState {
    /// Refuses at once, with a retry hint, while the database circuit is open.
    pub fn database_usable(&self) -> crate::error::AppResult<()> {
        self.core
            .ops()
            .breaker()
            .check()
            .map_err(graphql::database_down)
    }
}

/// Every page (GraphiQL, the health dashboard) loads its scripts, styles
/// and fonts from this origin and talks only to it; scripts are never
/// inline, styles may be (React sets them); no one may frame us.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let timed = Router::new()
        .route("/graphql", get(graphql::handle).post(graphql::handle))
        .route("/graphiql", get(graphiql::page))
        .route(
            &format!("{}/{{name}}", graphiql::ASSETS),
            get(graphiql::asset),
        )
        .route("/health.json", get(health::guarded))
        .route("/metrics", get(metrics::guarded))
        .route(
            "/email/unsubscribe",
            get(unsubscribe::confirm).post(unsubscribe::apply),
        )
        .route("/livez", get(health::livez))
        .route("/readyz", get(health::readyz))
        .layer(middleware::from_fn_with_state(
            settings.request_timeout(),
            limits::timeout,
        ));
    let app = Router::new()
        .merge(timed)
        .route("/graphql/ws", get(websocket::upgrade))
        // Streams for as long as the export takes: outside the request timeout.
        .route("/exports/leads.csv", get(exports::leads_csv))
        // Uploads stream to a file under their own limit, however long they take.
        .route(
            "/imports",
            post(imports::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/imports/{id}/errors.csv", get(imports::errors_csv))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
        .layer(middleware::from_fn(limits::request_context));
    // A failed response is not logged here: an error worth a line is
    // logged where it happens (INTERNAL with its cause, a panic), and a
    // database outage once, when it starts and when it ends; a refusal
    // each is counted (errors_total), not logged (an outage's 503s made
    // hundreds of ERROR lines).
    let trace = TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(Level::DEBUG));
    let mut app = secured(app).layer(trace);
    if let Some(cors) = cors(&settings.allowed_origins) {
        app = app.layer(cors);
    }
    app
}

/// What ADMIN_BIND serves: metrics and the health document without a
/// token, and the dashboard.
pub fn admin_router(state: AppState) -> Router {
    let admin = Router::new()
        .route("/metrics", get(metrics::open))
        .route("/health.json", get(health::health))
        .route("/health", get(dashboard::page))
        .route("/health/{name}", get(dashboard::asset))
        .route("/livez", get(health::livez))
        .route("/readyz", get(health::readyz))
        .with_state(state);
    secured(admin)
}

/// The headers every answer carries.
fn secured(router: Router) -> Router {
    router
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// No origins configured means no cross-origin access at all.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// The client's address for throttling and the audit log: the socket peer,
/// or the first `X-Forwarded-For` hop when the operator says a proxy sets it.
pub fn client_ip(
    settings: &Settings,
    peer: Option<SocketAddr>,
    headers: &axum::http::HeaderMap,
) -> Option<std::net::IpAddr> {
    if settings.trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}
