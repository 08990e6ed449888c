//! The database circuit breaker. Without it every request during an outage
//! waited the pool's whole acquire timeout (5 s) before failing. A watchdog
//! ([`crate::db::watchdog`]) probes the database on a connection of its own
//! and reports here. The circuit opens on evidence that the database is
//! unreachable: [`OPEN_AFTER`] failures in a row (a refused, reset or
//! timed-out connection, a lost session), or probes that have only been
//! slow for [`SLOW_WINDOW`] without one answer in time. A slow answer alone
//! is not an outage: a machine whose cores are saturated answers late, and
//! refusing every request then made a slow server a dead one. While open,
//! each probe is the half-open trial: one success closes it.
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use tokio::sync::watch;

/// Consecutive failed probes that open the circuit.
pub const OPEN_AFTER: u32 = 2;
/// How long probes may only be slow before the circuit opens anyway.
pub const SLOW_WINDOW: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed,
    /// A probe is testing whether the database is back.
    HalfOpen,
    Open,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::HalfOpen => "half-open",
            State::Open => "open",
        }
    }

    pub fn level(self) -> u8 {
        match self {
            State::Closed => 0,
            State::HalfOpen => 1,
            State::Open => 2,
        }
    }
}

#[derive(Debug)]
struct Inner {
    state: State,
    failures: u32,
    opened_at: Option<Instant>,
    next_probe: Option<Instant>,
    opened_count: u64,
    /// The last probe's failure: its class and words (no secrets: a diagnosis).
    last_failure: Option<(&'static str, String)>,
    last_probe_ok: Option<bool>,
    /// Requests refused since the circuit opened (logged when it closes).
    refused: u64,
    /// Since when no probe has answered in time (slow or failed).
    unanswered_since: Option<Instant>,
}

#[derive(Debug)]
pub struct Breaker {
    inner: Mutex<Inner>,
    open: watch::Sender<bool>,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                state: State::Closed,
                failures: 0,
                opened_at: None,
                next_probe: None,
                opened_count: 0,
                last_failure: None,
                last_probe_ok: None,
                refused: 0,
                unanswered_since: None,
            }),
            open: watch::channel(false).0,
        }
    }
}

/// What the health page and metrics show.
#[derive(Clone, Debug)]
pub struct Status {
    pub state: State,
    pub consecutive_failures: u32,
    pub open_for: Option<Duration>,
    pub opened_count: u64,
    /// The class (`connection_refused`, `timeout`, ...) and the words.
    pub last_failure: Option<(&'static str, String)>,
    /// None until the first probe (or where nothing probes: SQLite).
    pub last_probe_ok: Option<bool>,
    /// How long probes have gone without an answer in time, if they have.
    pub unanswered_for: Option<Duration>,
    /// Requests refused since the circuit last opened.
    pub refused: u64,
}

impl Breaker {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ok while requests may use the database; otherwise how long to wait
    /// (and the refusal is counted for the outage's closing log line).
    pub fn check(&self) -> Result<(), Duration> {
        let mut inner = self.lock();
        match inner.state {
            State::Closed => Ok(()),
            State::Open | State::HalfOpen => {
                inner.refused += 1;
                Err(inner
                    .next_probe
                    .map(|at| at.saturating_duration_since(Instant::now()))
                    .unwrap_or_default())
            }
        }
    }

    /// Whether requests are refused now (open, or half-open), without
    /// counting a refusal.
    pub fn is_open(&self) -> bool {
        self.lock().state != State::Closed
    }

    /// Resolves when the circuit opens (at once if it is open).
    pub async fn opened(&self) {
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|open| *open).await;
    }

    /// A probe starts; on an open circuit it is the half-open trial.
    pub fn probing(&self) {
        let mut inner = self.lock();
        if inner.state == State::Open {
            inner.state = State::HalfOpen;
        }
    }

    pub fn succeeded(&self) {
        let mut inner = self.lock();
        let was_open = inner.state != State::Closed;
        let outage = inner.opened_at.map(|at| at.elapsed());
        let refused = std::mem::take(&mut inner.refused);
        inner.state = State::Closed;
        inner.failures = 0;
        inner.opened_at = None;
        inner.next_probe = None;
        inner.last_probe_ok = Some(true);
        inner.unanswered_since = None;
        drop(inner);
        if was_open {
            tracing::warn!(
                outage_ms = outage.map_or(0, |d| d.as_millis() as u64),
                refused,
                "database reachable again: circuit closed after refusing {refused} requests"
            );
            self.open.send_replace(false);
        }
    }

    /// A probe failed (`class`, `why`): evidence that the database cannot
    /// be reached. The next probe comes after `next_probe_in`.
    pub fn failed(&self, class: &'static str, why: String, next_probe_in: Duration) {
        let mut inner = self.lock();
        inner.failures = inner.failures.saturating_add(1);
        inner.last_probe_ok = Some(false);
        let opens = inner.failures >= OPEN_AFTER;
        self.unanswered(inner, opens, class, why, next_probe_in);
    }

    /// A probe got no answer in time although the server accepts
    /// connections: not evidence of an outage, unless it lasts
    /// [`SLOW_WINDOW`]. Readiness is left as the last real answer said.
    pub fn slow(&self, why: String, next_probe_in: Duration) {
        let inner = self.lock();
        let opens = inner
            .unanswered_since
            .is_some_and(|since| since.elapsed() >= SLOW_WINDOW);
        let why = if opens {
            format!(
                "no probe was answered in time for {} s: {why}",
                SLOW_WINDOW.as_secs()
            )
        } else {
            why
        };
        self.unanswered(inner, opens, "timeout", why, next_probe_in);
    }

    fn unanswered(
        &self,
        mut inner: std::sync::MutexGuard<'_, Inner>,
        evidence: bool,
        class: &'static str,
        why: String,
        next_probe_in: Duration,
    ) {
        inner.unanswered_since.get_or_insert_with(Instant::now);
        inner.next_probe = Some(Instant::now() + next_probe_in);
        let opens = inner.state == State::Closed && evidence;
        if opens {
            inner.opened_at = Some(Instant::now());
            inner.opened_count += 1;
            inner.refused = 0;
        }
        if inner.state == State::HalfOpen || opens {
            inner.state = State::Open;
        }
        inner.last_failure = Some((class, why.clone()));
        drop(inner);
        if opens {
            tracing::error!(reason = %why, "database unreachable: circuit open, requests refused until a probe succeeds");
            self.open.send_replace(true);
        }
    }

    pub fn status(&self) -> Status {
        let inner = self.lock();
        Status {
            state: inner.state,
            consecutive_failures: inner.failures,
            open_for: inner.opened_at.map(|at| at.elapsed()),
            opened_count: inner.opened_count,
            last_failure: inner.last_failure.clone(),
            last_probe_ok: inner.last_probe_ok,
            unanswered_for: inner.unanswered_since.map(|at| at.elapsed()),
            refused: inner.refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_and_a_successful_probe_closes_it() {
        let breaker = Breaker::default();
        assert!(breaker.check().is_ok());
        breaker.failed(
            "connection_refused",
            "refused".into(),
            Duration::from_millis(500),
        );
        assert!(breaker.check().is_ok(), "one failure is not an outage");
        breaker.succeeded();
        breaker.failed(
            "connection_refused",
            "refused".into(),
            Duration::from_millis(500),
        );
        assert!(
            breaker.check().is_ok(),
            "a success in between resets the count"
        );
        breaker.failed(
            "connection_refused",
            "refused".into(),
            Duration::from_millis(500),
        );
        let wait = breaker.check().unwrap_err();
        assert!(wait <= Duration::from_millis(500));
        assert_eq!(breaker.status().state, State::Open);

        breaker.probing();
        assert_eq!(breaker.status().state, State::HalfOpen);
        assert!(breaker.check().is_err(), "refused while the trial runs");
        breaker.failed(
            "connection_refused",
            "refused".into(),
            Duration::from_millis(500),
        );
        assert_eq!(breaker.status().state, State::Open);
        assert_eq!(breaker.status().opened_count, 1, "still the same outage");
        assert_eq!(breaker.status().refused, 2, "each refusal counted");

        breaker.probing();
        breaker.succeeded();
        assert!(breaker.check().is_ok());
        assert_eq!(breaker.status().state, State::Closed);
    }

    #[test]
    fn slow_probes_open_the_circuit_only_after_the_slow_window() {
        let breaker = Breaker::default();
        for _ in 0..20 {
            breaker.slow("no answer within 300 ms".into(), Duration::from_millis(200));
        }
        assert!(breaker.check().is_ok(), "slow is not down");
        assert_eq!(breaker.status().last_probe_ok, None, "readiness untouched");
        assert!(breaker.status().unanswered_for.is_some());

        breaker.lock().unanswered_since = Some(Instant::now() - SLOW_WINDOW);
        breaker.slow("no answer within 300 ms".into(), Duration::from_millis(200));
        assert_eq!(
            breaker.status().state,
            State::Open,
            "slow for the whole window"
        );

        breaker.probing();
        breaker.succeeded();
        assert!(breaker.check().is_ok());
        assert_eq!(breaker.status().unanswered_for, None);
    }

    #[tokio::test]
    async fn opened_resolves_when_the_circuit_opens() {
        let breaker = std::sync::Arc::new(Breaker::default());
        let waiting = tokio::spawn({
            let breaker = breaker.clone();
            async move { breaker.opened().await }
        });
        for _ in 0..OPEN_AFTER {
            breaker.failed("timeout", "timed out".into(), Duration::from_secs(1));
        }
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("woken")
            .unwrap();
    }
}
