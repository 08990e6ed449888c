//! One subscriber's queue and the bus's end of it: each subscriber has
//! its own bounded queue; one that lets it fill is dropped and told it
//! lagged, and a gap is flagged outside the queue.
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use tokio::sync::Notify;

use super::{event::Event, figures::Figures};

/// Events one subscriber may fall behind by before it is cut off (it then
/// resumes with `after`).
pub const PER_SUBSCRIBER: usize = 256;

/// An event as this bus handed it out. `seq` is the same for every
/// subscriber that received this dispatch, so streams that react to one
/// event can share the reads it causes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub seq: u64,
    pub event: Event,
}

/// Why a subscriber got no event.
#[derive(Debug, PartialEq, Eq)]
pub enum Missed {
    /// It fell [`PER_SUBSCRIBER`] events behind and was dropped.
    Lagged,
    /// The bus may have missed events meant for it (the listener
    /// reconnected): catch up from the database, then listen on.
    Gap,
    /// The bus is gone (the server is stopping).
    Closed,
}

/// One subscriber's end.
pub struct Subscriber {
    queue: Arc<Queue>,
}

/// A subscriber's queue, shared by its end and the bus. A lock and a
/// `VecDeque` that grows only as events wait: an idle subscriber costs
/// about a hundred bytes, where a channel would allocate a block of slots.
#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    woken: Notify,
}

#[derive(Default)]
struct QueueState {
    deliveries: VecDeque<Delivery>,
    lagged: bool,
    gap: bool,
    /// The bus let go of this queue (it is gone, or cut the subscriber off).
    closed: bool,
    /// The subscriber let go of it.
    gone: bool,
    /// The stream has read what it starts from (see [`Subscriber::ready`]).
    ready: bool,
}

impl Queue {
    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Subscriber {
    /// Marks the stream as started: it has read what it starts from, so
    /// anything written from now on reaches it. [`Bus::subscribers`]
    /// counts only started streams, which makes it a readiness signal.
    pub fn ready(&self) {
        self.queue.state().ready = true;
    }

    pub async fn recv(&mut self) -> Result<Delivery, Missed> {
        loop {
            {
                let mut state = self.queue.state();
                if std::mem::take(&mut state.gap) {
                    return Err(Missed::Gap);
                }
                if let Some(delivery) = state.deliveries.pop_front() {
                    return Ok(delivery);
                }
                if state.lagged {
                    return Err(Missed::Lagged);
                }
                if state.closed {
                    return Err(Missed::Closed);
                }
            }
            // A wake-up between the check and here is kept as a permit.
            self.queue.woken.notified().await;
        }
    }
}

/// A new subscriber's end and the bus's end of its queue.
pub(super) fn open() -> (Subscriber, Outlet) {
    let queue = Arc::new(Queue::default());
    (
        Subscriber {
            queue: queue.clone(),
        },
        Outlet(queue),
    )
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.queue.state().gone = true;
    }
}

/// The bus's end of a subscriber's queue.
pub(super) struct Outlet(Arc<Queue>);

impl Outlet {
    /// Queues `delivery`; false when this outlet should go (its subscriber
    /// is gone, or has fallen [`PER_SUBSCRIBER`] behind and is cut off,
    /// which `figures` counts).
    pub(super) fn offer(&self, delivery: Delivery, figures: &Figures) -> bool {
        let mut state = self.0.state();
        if state.gone {
            return false;
        }
        if state.deliveries.len() >= PER_SUBSCRIBER {
            state.lagged = true;
            figures.slow_consumer();
            return false;
        }
        state.deliveries.push_back(delivery);
        drop(state);
        self.0.woken.notify_one();
        true
    }

    pub(super) fn is_gone(&self) -> bool {
        self.0.state().gone
    }

    pub(super) fn is_listening(&self) -> bool {
        let state = self.0.state();
        state.ready && !state.gone
    }

    pub(super) fn signal_gap(&self) {
        self.0.state().gap = true;
        self.0.woken.notify_one();
    }
}

impl Drop for Outlet {
    fn drop(&mut self) {
        self.0.state().closed = true;
        self.0.woken.notify_one();
    }
}
