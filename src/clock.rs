//! The time that leases, retries and schedules read. It is the system's
//! time, moved forward by whatever a test has advanced it: a test that
//! needs two minutes to pass moves the clock, and the work waiting on it
//! wakes at once, instead of the test sleeping two minutes.
use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A clone reads (and moves) the same clock.
#[derive(Clone)]
pub struct Clock(Arc<Inner>);

struct Inner {
    /// How far ahead of the system's time, in milliseconds.
    ahead_ms: AtomicI64,
    /// Bumped at every move, so a waiter notices one it was not waiting for.
    moved: watch::Sender<u64>,
}

impl Default for Clock {
    fn default() -> Self {
        Self(Arc::new(Inner {
            ahead_ms: AtomicI64::new(0),
            moved: watch::channel(0).0,
        }))
    }
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.0.ahead_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by` (tests) and wakes every waiter.
    pub fn advance(&self, by: chrono::Duration) {
        self.0
            .ahead_ms
            .fetch_add(by.num_milliseconds().max(0), Ordering::Relaxed);
        self.0.moved.send_modify(|n| *n += 1);
    }

    /// A handle that [`Clock::tick`] waits with: it remembers which moves
    /// its holder has already seen.
    pub fn watch(&self) -> Moves {
        Moves(self.0.moved.subscribe())
    }

    /// Waits `every` of real time, or less if the clock was moved since
    /// `moves` last saw it (including while its holder was busy).
    pub async fn tick(&self, every: Duration, moves: &mut Moves) {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = moves.0.changed() => {}
        }
        moves.0.borrow_and_update();
    }
}

/// See [`Clock::watch`].
pub struct Moves(watch::Receiver<u64>);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn moving_the_clock_wakes_a_waiter_even_one_that_was_busy_when_it_moved() {
        let clock = Clock::default();
        let before = clock.now();
        let mut moves = clock.watch();

        clock.advance(chrono::Duration::minutes(3));
        let woke = tokio::time::timeout(
            Duration::from_secs(5),
            clock.tick(Duration::from_secs(3600), &mut moves),
        )
        .await;

        assert!(woke.is_ok(), "a move made before the wait still wakes it");
        assert!(clock.now() - before >= chrono::Duration::minutes(3));
        let again = tokio::time::timeout(
            Duration::from_millis(50),
            clock.tick(Duration::from_secs(3600), &mut moves),
        )
        .await;
        assert!(again.is_err(), "a move is seen once");
    }
}
