//! The figures `/metrics` copies from elsewhere at each scrape (pool, bus,
//! breaker, listener, jobs), encoded as constant metrics.
use std::{fmt, sync::Mutex};

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::{counter::ConstCounter, gauge::ConstGauge},
};

/// Figures read from elsewhere when scraped.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    /// How long the last sampled acquire took (seconds).
    pub pool_acquire_seconds: f64,
    pub websocket_connections: u64,
    /// (kind, started subscriptions)
    pub subscriptions: Vec<(&'static str, u64)>,
    pub bus_published: u64,
    pub bus_dispatched: u64,
    pub slow_consumers: u64,
    pub listener_connected: Option<bool>,
    pub listener_reconnects: u64,
    /// 0 closed, 1 half-open, 2 open.
    pub breaker_state: u8,
    pub breaker_opened: u64,
    pub database_up: bool,
    pub rescore_jobs_running: u64,
    pub rescore_leads_done: u64,
    pub rescore_leads_total: u64,
    pub import_jobs_running: u64,
    /// The active scoring model (none: the rules) and its live figures.
    pub model_version: Option<i32>,
    pub model_live_outcomes: u64,
    pub model_live_auc: Option<f64>,
    pub model_live_calibration_error: Option<f64>,
    pub model_drifting: bool,
    pub uptime_seconds: u64,
}

/// Hands the registry the last snapshot when it encodes.
#[derive(Debug, Default)]
pub struct SnapshotCollector(Mutex<Snapshot>);

impl SnapshotCollector {
    pub fn set(&self, snapshot: Snapshot) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let s = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let gauges: [(&str, &str, f64); 18] = [
            (
                "db_pool_connections",
                "Connections the pool holds",
                f64::from(s.pool_size),
            ),
            (
                "db_pool_idle",
                "Idle connections in the pool",
                f64::from(s.pool_idle),
            ),
            (
                "db_pool_in_use",
                "Connections lent out",
                f64::from(s.pool_size.saturating_sub(s.pool_idle)),
            ),
            (
                "db_pool_max",
                "The pool's size limit",
                f64::from(s.pool_max),
            ),
            (
                "db_pool_acquire_seconds",
                "How long the last sampled connection acquire took",
                s.pool_acquire_seconds,
            ),
            (
                "db_up",
                "1 when the last probe of the database succeeded",
                f64::from(u8::from(s.database_up)),
            ),
            (
                "db_circuit_state",
                "The database circuit breaker: 0 closed, 1 half-open, 2 open",
                f64::from(s.breaker_state),
            ),
            (
                "listener_connected",
                "1 while the PostgreSQL event listener is connected (absent on SQLite: -1)",
                s.listener_connected
                    .map_or(-1.0, |c| f64::from(u8::from(c))),
            ),
            (
                "rescore_jobs_running",
                "Rescore jobs queued or running",
                s.rescore_jobs_running as f64,
            ),
            (
                "rescore_leads_done",
                "Leads rescored by the running rescore jobs",
                s.rescore_leads_done as f64,
            ),
            (
                "rescore_leads_total",
                "Leads the running rescore jobs will rescore",
                s.rescore_leads_total as f64,
            ),
            (
                "import_jobs_running",
                "Imports and bulk jobs queued or running",
                s.import_jobs_running as f64,
            ),
            (
                "uptime_seconds",
                "Seconds since the server started",
                s.uptime_seconds as f64,
            ),
            (
                "model_version",
                "The active scoring model's version (0: the rules score alone)",
                f64::from(s.model_version.unwrap_or(0)),
            ),
            (
                "model_live_outcomes",
                "Outcomes recorded since the active model's training read its own",
                s.model_live_outcomes as f64,
            ),
            (
                "model_live_auc",
                "The active model's AUC on those outcomes (NaN until both kinds are seen)",
                s.model_live_auc.unwrap_or(f64::NAN),
            ),
            (
                "model_live_calibration_error",
                "The active model's calibration error on those outcomes (NaN before any)",
                s.model_live_calibration_error.unwrap_or(f64::NAN),
            ),
            (
                "model_drifting",
                "1 when the active model's live figures fell past the drift limits",
                f64::from(u8::from(s.model_drifting)),
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        let counters: [(&str, &str, u64); 5] = [
            (
                "bus_events_published",
                "Events this instance committed and published",
                s.bus_published,
            ),
            (
                "bus_events_dispatched",
                "Events this instance handed to its subscribers (its own and other replicas')",
                s.bus_dispatched,
            ),
            (
                "slow_consumers",
                "Subscriptions cut off for falling too far behind",
                s.slow_consumers,
            ),
            (
                "listener_reconnects",
                "Times the event listener reconnected (each a catch-up for subscribers)",
                s.listener_reconnects,
            ),
            (
                "db_circuit_opened",
                "Times the database circuit breaker opened",
                s.breaker_opened,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let mut family = encoder.encode_descriptor(
            "subscriptions",
            "Started subscriptions, by what they follow",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (kind, count) in &s.subscriptions {
            let labels = [("kind", *kind)];
            ConstGauge::new(*count as i64).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
