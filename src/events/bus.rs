//! This process's event bus: events carry ids only; subscribers read what
//! they show from the database as themselves, so the tables stay the one
//! source of truth and a subscriber sees nothing it may not see.
//!
//! The bus belongs to one application instance (its `Core`), never to the
//! process: two servers started in one test process share nothing, exactly
//! as two processes would. Events reach it only after their transaction
//! commits (see `db::UnitOfWork`).
//!
//! Routing is per user and per lead, so an event wakes only the streams it
//! concerns. Each subscriber has its own bounded queue (`subscriber`): one
//! that lets it fill is dropped and told it lagged. When the bus itself may have missed
//! events (a reconnecting listener), every subscriber is told there was a
//! gap instead; it then catches up from the database on its own, outside
//! its queue.
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use tokio::sync::Notify;
use uuid::Uuid;

pub use super::{
    event::Event,
    figures::BusFigures,
    subscriber::{Delivery, Missed, Subscriber, PER_SUBSCRIBER},
};
use super::{
    figures::Figures,
    subscriber::{open, Outlet},
};

/// The topic an event is routed to.
fn topic(event: &Event) -> Topic {
    match event {
        Event::Notification { user_id, .. }
        | Event::UnreadChanged { user_id }
        | Event::AccessChanged { user_id } => Topic::User(*user_id),
        Event::ScoreChanged { lead_id } => Topic::Lead(*lead_id),
        Event::JobProgressed { job_id } => Topic::Job(*job_id),
    }
}

/// What a subscriber listens to: one user's notifications and unread
/// count, or one lead's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Topic {
    User(Uuid),
    Lead(Uuid),
    Job(Uuid),
}

/// The bus of one application instance. Cloning shares it.
#[derive(Clone)]
pub struct Bus {
    topics: Arc<Mutex<HashMap<Topic, Vec<Outlet>>>>,
    dispatched: Arc<AtomicU64>,
    access: Arc<AtomicU64>,
    figures: Arc<Figures>,
    /// Poked by every notification dispatched here, so the email worker
    /// starts at once instead of at its next poll.
    notified: Arc<Notify>,
    /// Tells this instance's pings from other replicas'.
    instance: Uuid,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            topics: Arc::default(),
            dispatched: Arc::default(),
            access: Arc::default(),
            figures: Arc::default(),
            notified: Arc::default(),
            instance: Uuid::now_v7(),
        }
    }
}

impl Bus {
    /// A user's notifications, unread-count and access changes.
    pub fn subscribe_user(&self, user_id: Uuid) -> Subscriber {
        self.subscribe(Topic::User(user_id))
    }

    /// A lead's score changes.
    pub fn subscribe_lead(&self, lead_id: Uuid) -> Subscriber {
        self.subscribe(Topic::Lead(lead_id))
    }

    /// A job's progress.
    pub fn subscribe_job(&self, job_id: Uuid) -> Subscriber {
        self.subscribe(Topic::Job(job_id))
    }

    fn subscribe(&self, topic: Topic) -> Subscriber {
        let (subscriber, outlet) = open();
        self.lock().entry(topic).or_default().push(outlet);
        subscriber
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Topic, Vec<Outlet>>> {
        self.topics.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves on with every access change this instance hears of, and with
    /// every gap (one may hide an access change): whatever was read about
    /// who may act before a move is stale after it.
    pub fn access_generation(&self) -> u64 {
        self.access.load(Ordering::Acquire)
    }

    /// Marks what was read about who may act as stale: on hearing an
    /// access change, and at once when this instance commits one (before
    /// PostgreSQL's notification comes back).
    pub fn access_changed(&self) {
        self.access.fetch_add(1, Ordering::AcqRel);
    }

    /// Hands `event` to its topic's subscribers, dropping those that are
    /// gone or full.
    pub fn dispatch(&self, event: Event) {
        match event {
            Event::AccessChanged { .. } => self.access_changed(),
            Event::Notification { .. } => self.notified.notify_one(),
            _ => {}
        }
        let topic = topic(&event);
        let delivery = Delivery {
            seq: self.dispatched.fetch_add(1, Ordering::Relaxed),
            event,
        };
        let mut topics = self.lock();
        let Some(outlets) = topics.get_mut(&topic) else {
            return;
        };
        outlets.retain(|outlet| outlet.offer(delivery, &self.figures));
        if outlets.is_empty() {
            topics.remove(&topic);
        }
    }

    /// Waits for a notification to be dispatched (one that came while
    /// nobody waited is kept, so none slips between two waits).
    pub async fn notification_dispatched(&self) {
        self.notified.notified().await;
    }

    /// Tells every subscriber that events may have been missed.
    pub fn signal_gap(&self) {
        self.figures.gap();
        self.access_changed();
        let mut topics = self.lock();
        for outlets in topics.values_mut() {
            outlets.retain(|outlet| !outlet.is_gone());
            for outlet in outlets.iter() {
                outlet.signal_gap();
            }
        }
        topics.retain(|_, outlets| !outlets.is_empty());
    }

    /// `events` committed here (whichever way they travel to subscribers).
    pub fn published(&self, events: usize) {
        self.figures.published(events);
    }

    /// The listener's state: connected or trying to reconnect.
    pub fn listener_connected(&self, connected: bool) {
        self.figures.listener_connected(connected);
    }

    /// A ping for the listener to time (see [`Figures::ping_payload`]).
    pub fn ping_payload(&self) -> String {
        self.figures.ping_payload(self.instance)
    }

    /// Takes a ping heard by the listener; false when `payload` is none.
    pub fn heard_ping(&self, payload: &str) -> bool {
        self.figures.heard_ping(self.instance, payload)
    }

    pub fn figures(&self) -> BusFigures {
        let mut subscribers = [("user", 0), ("lead", 0), ("job", 0)];
        for (topic, outlets) in self.lock().iter() {
            let slot = match topic {
                Topic::User(_) => 0,
                Topic::Lead(_) => 1,
                Topic::Job(_) => 2,
            };
            subscribers[slot].1 += outlets.iter().filter(|o| o.is_listening()).count() as u64;
        }
        self.figures
            .read(self.dispatched.load(Ordering::Relaxed), subscribers)
    }

    /// How many subscribers have started listening (for health figures,
    /// and for tests, as the readiness of the subscriptions they opened).
    pub fn subscribers(&self) -> usize {
        self.lock()
            .values()
            .flatten()
            .filter(|o| o.is_listening())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_encoding_and_junk_is_refused() {
        let id = Uuid::now_v7();
        let user_id = Uuid::now_v7();
        for event in [
            Event::Notification { id, user_id },
            Event::UnreadChanged { user_id },
            Event::ScoreChanged { lead_id: id },
            Event::AccessChanged { user_id },
        ] {
            assert_eq!(Event::decode(&event.encode()), Some(event));
            assert!(event.encode().len() < 100);
        }
        assert_eq!(Event::decode("n:nonsense"), None);
        assert_eq!(Event::decode(&format!("u:{user_id}:extra")), None);
        assert_eq!(Event::decode(&format!("x:{user_id}")), None);
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_once_it_has_read_its_queue() {
        let bus = Bus::default();
        let user_id = Uuid::now_v7();
        let mut subscriber = bus.subscribe_user(user_id);
        for _ in 0..PER_SUBSCRIBER + 5 {
            bus.dispatch(Event::UnreadChanged { user_id });
        }
        for _ in 0..PER_SUBSCRIBER {
            assert!(subscriber.recv().await.is_ok());
        }
        assert_eq!(subscriber.recv().await, Err(Missed::Lagged));
    }

    #[tokio::test]
    async fn a_gap_reaches_every_subscriber_without_using_its_queue() {
        let bus = Bus::default();
        let user_id = Uuid::now_v7();
        let mut subscriber = bus.subscribe_user(user_id);
        for _ in 0..PER_SUBSCRIBER {
            bus.dispatch(Event::UnreadChanged { user_id });
        }
        bus.signal_gap();
        assert_eq!(subscriber.recv().await, Err(Missed::Gap));
        for _ in 0..PER_SUBSCRIBER {
            assert!(subscriber.recv().await.is_ok());
        }
        bus.dispatch(Event::UnreadChanged { user_id });
        assert!(subscriber.recv().await.is_ok());
    }

    #[test]
    fn two_buses_share_nothing() {
        let (one, two) = (Bus::default(), Bus::default());
        let user_id = Uuid::now_v7();
        let listening = two.subscribe_user(user_id);
        assert_eq!(two.subscribers(), 0, "not started yet");
        listening.ready();
        one.dispatch(Event::UnreadChanged { user_id });
        assert_eq!(one.subscribers(), 0);
        assert_eq!(two.subscribers(), 1);
    }
}
