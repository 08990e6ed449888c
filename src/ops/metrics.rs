//! Prometheus metrics of one server instance. prometheus-client keeps a
//! registry as a value, not a process global, so every instance a test
//! starts has its own figures. Counted where things happen: requests and
//! errors (the HTTP layer), throttled sign-ins (the accounts service).
//! Read when scraped: what other parts already keep (pool, bus, breaker,
//! listener, subscriptions, jobs), copied into a [`Snapshot`]. No label
//! holds a user or lead id, so the number of series is fixed.
use std::{
    fmt::{self, Write},
    sync::Arc,
};

use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

pub use super::snapshot::Snapshot;
use super::snapshot::SnapshotCollector;

/// What a request was, for its labels.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Operation {
    Query,
    Mutation,
    /// A websocket connection, counted when it closes.
    Subscription,
    Export,
    Import,
    /// GraphiQL, health, metrics and other pages.
    Page,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Error,
}

/// Label values in Prometheus's lower case.
impl EncodeLabelValue for Operation {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        encoder.write_str(match self {
            Operation::Query => "query",
            Operation::Mutation => "mutation",
            Operation::Subscription => "subscription",
            Operation::Export => "export",
            Operation::Import => "import",
            Operation::Page => "page",
        })
    }
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        encoder.write_str(match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub operation: Operation,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: &'static str,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Throttled {
    Login,
    Signup,
}

impl EncodeLabelValue for Throttled {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        encoder.write_str(match self {
            Throttled::Login => "login",
            Throttled::Signup => "signup",
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ThrottleLabels {
    limit: Throttled,
}

/// The error codes a response may carry (one series each, at most).
pub const CODES: &[&str] = &[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "TOO_MANY_REQUESTS",
    "PAYLOAD_TOO_LARGE",
    "TIMEOUT",
    "SLOW_CONSUMER",
    "TOO_MANY_SUBSCRIPTIONS",
    "DATABASE_UNAVAILABLE",
    "INTERNAL",
];

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    errors: Family<CodeLabels, Counter>,
    throttled: Family<ThrottleLabels, Counter>,
    websockets: Gauge,
    snapshot: Arc<SnapshotCollector>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

fn duration_histogram() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("leadscore");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        let errors = Family::<CodeLabels, Counter>::default();
        let throttled = Family::<ThrottleLabels, Counter>::default();
        let websockets = Gauge::default();
        let snapshot = Arc::new(SnapshotCollector::default());
        registry.register(
            "http_requests",
            "Requests answered, by operation and outcome",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by operation and outcome",
            durations.clone(),
        );
        registry.register(
            "errors",
            "Errors answered, by extensions.code",
            errors.clone(),
        );
        registry.register(
            "throttled",
            "Sign-in and sign-up attempts refused by throttling",
            throttled.clone(),
        );
        registry.register(
            "websocket_connections",
            "Open websocket connections",
            websockets.clone(),
        );
        registry.register_collector(Box::new(snapshot.clone()));
        Self {
            registry,
            requests,
            durations,
            errors,
            throttled,
            websockets,
            snapshot,
        }
    }
}

impl Metrics {
    pub fn request(&self, operation: Operation, outcome: Outcome, seconds: f64) {
        let labels = RequestLabels { operation, outcome };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&labels).observe(seconds);
    }

    /// Counts one error of `code`; an unknown code counts as INTERNAL.
    pub fn error(&self, code: &str) {
        let code = CODES
            .iter()
            .find(|known| **known == code)
            .copied()
            .unwrap_or("INTERNAL");
        self.errors.get_or_create(&CodeLabels { code }).inc();
    }

    pub fn throttled(&self, limit: Throttled) {
        self.throttled
            .get_or_create(&ThrottleLabels { limit })
            .inc();
    }

    pub fn websocket_opened(&self) {
        self.websockets.inc();
    }

    pub fn websocket_closed(&self) {
        self.websockets.dec();
    }

    pub fn websocket_connections(&self) -> u64 {
        self.websockets.get().max(0) as u64
    }

    /// Requests answered so far, and how many of them were errors.
    pub fn totals(&self) -> (u64, u64) {
        let mut all = 0;
        let mut errors = 0;
        for operation in [
            Operation::Query,
            Operation::Mutation,
            Operation::Subscription,
            Operation::Export,
            Operation::Import,
            Operation::Page,
        ] {
            for outcome in [Outcome::Ok, Outcome::Error] {
                let labels = RequestLabels { operation, outcome };
                // Read without creating a series that was never counted.
                let Some(counted) = self.requests.get(&labels) else {
                    continue;
                };
                let n = counted.get();
                all += n;
                if outcome == Outcome::Error {
                    errors += n;
                }
            }
        }
        (all, errors)
    }

    /// Errors by code so far (codes seen at least once).
    pub fn errors_by_code(&self) -> Vec<(&'static str, u64)> {
        CODES
            .iter()
            .filter_map(|code| {
                self.errors
                    .get(&CodeLabels { code })
                    .map(|counted| (*code, counted.get()))
            })
            .collect()
    }

    pub fn throttled_total(&self) -> u64 {
        [Throttled::Login, Throttled::Signup]
            .into_iter()
            .filter_map(|limit| self.throttled.get(&ThrottleLabels { limit }))
            .map(|c| c.get())
            .sum()
    }

    /// The text exposition, with `snapshot` as the figures read elsewhere.
    pub fn render(&self, snapshot: Snapshot) -> String {
        self.snapshot.set(snapshot);
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(error = %err, "could not encode metrics");
        }
        text
    }
}
