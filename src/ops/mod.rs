//! What operators see of one instance: its Prometheus metrics, the database
//! circuit breaker and the recent samples the health dashboard draws. A
//! leaf: it imports none of our modules, so every layer can report into it.
use std::sync::Arc;

pub mod breaker;
pub mod history;
pub mod metrics;
mod snapshot;

pub use breaker::Breaker;
pub use history::History;
pub use metrics::Metrics;

/// One per application instance (held by its core); cloning shares it.
#[derive(Clone, Default)]
pub struct Ops(Arc<Parts>);

#[derive(Default)]
struct Parts {
    metrics: Metrics,
    breaker: Breaker,
    history: History,
}

impl Ops {
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub fn breaker(&self) -> &Breaker {
        &self.0.breaker
    }

    pub fn history(&self) -> &History {
        &self.0.history
    }
}
