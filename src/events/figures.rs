//! What the bus has done, for metrics and the health page: events
//! published and dispatched, slow consumers cut off, listener reconnects,
//! and the event lag, timed with pings on one clock.
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicU8, Ordering};

use uuid::Uuid;

/// What the bus has done, for metrics and the health page.
pub struct Figures {
    published: AtomicU64,
    slow_consumers: AtomicU64,
    gaps: AtomicU64,
    /// 0 no listener (SQLite), 1 connected, 2 reconnecting.
    listener: AtomicU8,
    /// Microseconds from a ping's commit to its arrival here; -1 before any.
    lag_micros: AtomicI64,
}

/// A copy of the bus's figures.
#[derive(Clone, Debug, Default)]
pub struct BusFigures {
    /// Events committed by this instance.
    pub published: u64,
    /// Events handed to subscribers (this instance's and, on PostgreSQL,
    /// every replica's).
    pub dispatched: u64,
    pub slow_consumers: u64,
    /// Listener reconnects, each a catch-up for every subscriber.
    pub gaps: u64,
    /// None without a listener (SQLite).
    pub listener_connected: Option<bool>,
    /// The last measured commit-to-listener delay.
    pub event_lag_ms: Option<f64>,
    /// Started subscribers by what they follow: user, lead, job.
    pub subscribers: [(&'static str, u64); 3],
}

impl Default for Figures {
    fn default() -> Self {
        Self {
            published: AtomicU64::new(0),
            slow_consumers: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
            listener: AtomicU8::new(0),
            lag_micros: AtomicI64::new(-1),
        }
    }
}

impl Figures {
    pub fn published(&self, events: usize) {
        self.published.fetch_add(events as u64, Ordering::Relaxed);
    }

    pub fn slow_consumer(&self) {
        self.slow_consumers.fetch_add(1, Ordering::Relaxed);
    }

    pub fn gap(&self) {
        self.gaps.fetch_add(1, Ordering::Relaxed);
    }

    pub fn listener_connected(&self, connected: bool) {
        self.listener
            .store(if connected { 1 } else { 2 }, Ordering::Relaxed);
    }

    /// A ping carries its instance's id and its send time, so the lag
    /// between commit and listener is measured on one clock.
    pub fn ping_payload(&self, instance: Uuid) -> String {
        format!("p:{instance}:{}", chrono::Utc::now().timestamp_micros())
    }

    /// Takes a ping (its own instance's: another's clock may differ);
    /// false when `payload` is not a ping.
    pub fn heard_ping(&self, instance: Uuid, payload: &str) -> bool {
        let Some(rest) = payload.strip_prefix("p:") else {
            return false;
        };
        let mut parts = rest.split(':');
        let (Some(sender), Some(sent)) = (parts.next(), parts.next()) else {
            return true;
        };
        if sender == instance.to_string() {
            if let Ok(sent) = sent.parse::<i64>() {
                let lag = (chrono::Utc::now().timestamp_micros() - sent).max(0);
                self.lag_micros.store(lag, Ordering::Relaxed);
            }
        }
        true
    }

    pub fn read(&self, dispatched: u64, subscribers: [(&'static str, u64); 3]) -> BusFigures {
        let lag = self.lag_micros.load(Ordering::Relaxed);
        BusFigures {
            published: self.published.load(Ordering::Relaxed),
            dispatched,
            slow_consumers: self.slow_consumers.load(Ordering::Relaxed),
            gaps: self.gaps.load(Ordering::Relaxed),
            listener_connected: match self.listener.load(Ordering::Relaxed) {
                0 => None,
                state => Some(state == 1),
            },
            event_lag_ms: (lag >= 0).then(|| lag as f64 / 1000.0),
            subscribers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_is_timed_only_by_the_instance_that_sent_it() {
        let (figures, me, other) = (Figures::default(), Uuid::now_v7(), Uuid::now_v7());
        assert!(!figures.heard_ping(me, "u:00000000-0000-0000-0000-000000000000"));
        assert!(figures.heard_ping(me, &figures.ping_payload(other)));
        assert_eq!(figures.read(0, Default::default()).event_lag_ms, None);
        assert!(figures.heard_ping(me, &figures.ping_payload(me)));
        let lag = figures.read(0, Default::default()).event_lag_ms.unwrap();
        assert!((0.0..1_000.0).contains(&lag), "{lag}");
    }
}
