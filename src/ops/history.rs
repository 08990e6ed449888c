//! The last minutes of figures, sampled every few seconds, for the health
//! dashboard's charts and rates (a rate needs two points in time).
use std::{collections::VecDeque, sync::Mutex};

use serde::Serialize;

/// 10 minutes at one sample per 5 s.
pub const KEPT: usize = 120;

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub pool_size: u32,
    pub pool_in_use: u32,
    pub pool_max: u32,
    /// How long acquiring a connection took when sampled (ms); none when it failed.
    pub acquire_ms: Option<f64>,
    /// Requests answered since start, and how many were errors.
    pub requests: u64,
    pub errors: u64,
    pub websockets: u64,
    pub subscriptions: u64,
    pub database_up: bool,
    pub breaker: &'static str,
}

#[derive(Debug, Default)]
pub struct History(Mutex<VecDeque<Sample>>);

impl History {
    pub fn push(&self, sample: Sample) {
        let mut samples = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if samples.len() == KEPT {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Requests and errors per second over the last `window` samples.
    pub fn rates(&self, window: usize) -> Option<(f64, f64)> {
        let samples = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let last = samples.back()?;
        let first = samples.iter().rev().nth(window.min(samples.len() - 1))?;
        let secs = (last.at_ms - first.at_ms) as f64 / 1000.0;
        (secs > 0.0).then(|| {
            (
                last.requests.saturating_sub(first.requests) as f64 / secs,
                last.errors.saturating_sub(first.errors) as f64 / secs,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_ten_minutes_and_derives_rates_from_them() {
        let history = History::default();
        for i in 0..(KEPT as i64 + 10) {
            history.push(Sample {
                at_ms: i * 5_000,
                requests: (i * 50) as u64,
                errors: i as u64,
                ..Sample::default()
            });
        }
        let samples = history.samples();
        assert_eq!(samples.len(), KEPT);
        assert_eq!(samples[0].at_ms, 10 * 5_000);
        let (requests, errors) = history.rates(12).unwrap();
        assert!((requests - 10.0).abs() < 1e-9, "{requests}");
        assert!((errors - 0.2).abs() < 1e-9, "{errors}");
    }
}
