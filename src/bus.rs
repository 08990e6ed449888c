//! Live events from the code that changes data to the subscriptions that
//! show it, across server processes.
//!
//! Events carry ids only; subscribers read what they show from the
//! database, so the tables stay the one source of truth and a subscriber
//! sees nothing it may not see. On PostgreSQL, writers `pg_notify` inside
//! their transaction (delivered at commit, dropped on rollback) and every
//! server process listens on one connection; when that connection drops,
//! the process reconnects, listens again, and re-announces the
//! notifications written meanwhile, so no subscriber misses one. SQLite is
//! one process: events go through an in-process channel.
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, LazyLock, Mutex,
    },
    time::Duration as StdDuration,
};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sqlx::postgres::PgListener, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QuerySelect, Statement, Value,
};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use crate::{
    entity::{lead, notification},
    error::AppResult,
};

/// The PostgreSQL channel every server listens on.
pub const CHANNEL: &str = "leadscore_events";
/// Events the in-process (SQLite) channel holds for its forwarder.
const CAPACITY: usize = 4_096;
/// Events one subscriber may fall behind by before it is cut off (it then
/// resumes with `after`).
pub const PER_SUBSCRIBER: usize = 256;
/// How far back a reconnected listener re-reads: longer than any
/// transaction that writes notifications stays open.
const CATCH_UP: Duration = Duration::seconds(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Notification {
        id: Uuid,
        user_id: Uuid,
    },
    UnreadChanged {
        user_id: Uuid,
    },
    ScoreChanged {
        lead_id: Uuid,
    },
    /// A user's sessions or role changed: their live streams re-check access.
    AccessChanged {
        user_id: Uuid,
    },
}

impl Event {
    /// `n:<id>:<user>`, `u:<user>`, `s:<lead>`, `a:<user>`: at most 76 bytes, far below
    /// NOTIFY's 8,000-byte limit.
    pub fn encode(&self) -> String {
        match self {
            Event::Notification { id, user_id } => format!("n:{id}:{user_id}"),
            Event::UnreadChanged { user_id } => format!("u:{user_id}"),
            Event::ScoreChanged { lead_id } => format!("s:{lead_id}"),
            Event::AccessChanged { user_id } => format!("a:{user_id}"),
        }
    }

    pub fn decode(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        let kind = parts.next()?;
        let first = Uuid::parse_str(parts.next()?).ok()?;
        let event = match kind {
            "n" => Event::Notification {
                id: first,
                user_id: Uuid::parse_str(parts.next()?).ok()?,
            },
            "u" => Event::UnreadChanged { user_id: first },
            "s" => Event::ScoreChanged { lead_id: first },
            "a" => Event::AccessChanged { user_id: first },
            _ => return None,
        };
        parts.next().is_none().then_some(event)
    }
}

/// SQLite's events: one process, so one channel for every server in it.
static LOCAL: LazyLock<broadcast::Sender<Event>> = LazyLock::new(|| broadcast::channel(CAPACITY).0);

/// Sends `events` when the transaction on `conn` commits (PostgreSQL), or at
/// once (SQLite, where a subscriber's read waits for the writer's single
/// connection, so it sees the commit).
pub async fn publish<C: ConnectionTrait>(conn: &C, events: &[Event]) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    match conn.get_database_backend() {
        DbBackend::Postgres => {
            let payloads: Vec<String> = events.iter().map(Event::encode).collect();
            conn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "SELECT pg_notify('{CHANNEL}', value) FROM json_array_elements_text($1::json)"
                ),
                [Value::from(serde_json::json!(payloads).to_string())],
            ))
            .await?;
        }
        _ => {
            for event in events {
                // No receiver yet is fine: nobody is subscribed.
                let _ = LOCAL.send(*event);
            }
        }
    }
    Ok(())
}

/// What a subscriber listens to: one user's notifications and unread
/// count, or one lead's score. Routing here means an event wakes only the
/// streams it concerns, not every connection on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Topic {
    User(Uuid),
    Lead(Uuid),
}

impl Event {
    fn topic(&self) -> Topic {
        match self {
            Event::Notification { user_id, .. }
            | Event::UnreadChanged { user_id }
            | Event::AccessChanged { user_id } => Topic::User(*user_id),
            Event::ScoreChanged { lead_id } => Topic::Lead(*lead_id),
        }
    }
}

/// One subscriber's queue. It holds at most [`PER_SUBSCRIBER`] events; a
/// subscriber that lets it fill is dropped from the bus and, once it has
/// read what is queued, told it fell behind.
pub struct Subscriber {
    rx: mpsc::Receiver<Event>,
    lagged: Arc<AtomicBool>,
}

/// Why a subscriber gets no more events.
#[derive(Debug, PartialEq, Eq)]
pub enum Missed {
    /// It fell [`PER_SUBSCRIBER`] events behind and was dropped.
    Lagged,
    /// The bus is gone (the server is stopping).
    Closed,
}

impl Subscriber {
    pub async fn recv(&mut self) -> Result<Event, Missed> {
        match self.rx.recv().await {
            Some(event) => Ok(event),
            None if self.lagged.load(Ordering::Relaxed) => Err(Missed::Lagged),
            None => Err(Missed::Closed),
        }
    }
}

struct Outlet {
    tx: mpsc::Sender<Event>,
    lagged: Arc<AtomicBool>,
}

/// This process's end of the bus.
#[derive(Clone, Default)]
pub struct Bus {
    topics: Arc<Mutex<HashMap<Topic, Vec<Outlet>>>>,
}

impl Bus {
    /// Starts listening (PostgreSQL) or forwarding (SQLite) in the background.
    pub fn start(db: &DatabaseConnection) -> Self {
        let bus = Self::default();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                tokio::spawn(listen(db.clone(), bus.clone()));
            }
            _ => {
                tokio::spawn(forward_local(bus.clone()));
            }
        }
        bus
    }

    /// A user's notifications and unread-count changes.
    pub fn subscribe_user(&self, user_id: Uuid) -> Subscriber {
        self.subscribe(Topic::User(user_id))
    }

    /// A lead's score changes.
    pub fn subscribe_lead(&self, lead_id: Uuid) -> Subscriber {
        self.subscribe(Topic::Lead(lead_id))
    }

    /// Queues are allocated as they fill (tokio's mpsc grows in blocks), so
    /// an idle subscriber costs a few hundred bytes, not a full buffer.
    fn subscribe(&self, topic: Topic) -> Subscriber {
        let (tx, rx) = mpsc::channel(PER_SUBSCRIBER);
        let lagged = Arc::new(AtomicBool::new(false));
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.entry(topic).or_default().push(Outlet {
            tx,
            lagged: lagged.clone(),
        });
        Subscriber { rx, lagged }
    }

    /// Hands `event` to its topic's subscribers, dropping those that are
    /// gone or full.
    pub(crate) fn dispatch(&self, event: Event) {
        let topic = event.topic();
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let Some(outlets) = topics.get_mut(&topic) else {
            return;
        };
        outlets.retain(|outlet| match outlet.tx.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                outlet.lagged.store(true, Ordering::Relaxed);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        if outlets.is_empty() {
            topics.remove(&topic);
        }
    }
}

async fn forward_local(bus: Bus) {
    let mut rx = LOCAL.subscribe();
    loop {
        match rx.recv().await {
            Ok(event) => bus.dispatch(event),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "in-process event bus fell behind")
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// One listening connection for the life of the process.
async fn listen(db: DatabaseConnection, bus: Bus) {
    let pool = db.get_postgres_connection_pool().clone();
    let mut lost_at: Option<DateTime<Utc>> = None;
    let mut backoff = StdDuration::from_millis(100);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "event listener cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(StdDuration::from_secs(5));
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "event listener cannot LISTEN; retrying");
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = StdDuration::from_millis(100);
        if let Some(since) = lost_at.take() {
            match catch_up(&db, since - CATCH_UP, &bus).await {
                Ok(n) => tracing::info!(replayed = n, "event listener reconnected"),
                Err(err) => err.log(),
            }
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(message)) => match Event::decode(message.payload()) {
                    Some(event) => bus.dispatch(event),
                    None => tracing::warn!(payload = message.payload(), "unreadable event"),
                },
                Ok(None) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "event listener lost its connection");
                    break;
                }
            }
        }
        lost_at = Some(Utc::now());
    }
}

/// Re-announces the notifications written and the leads scored since
/// `since` (subscribers drop notifications they already have; a score is
/// re-read, so at worst sent twice); returns how many events.
async fn catch_up(db: &DatabaseConnection, since: DateTime<Utc>, bus: &Bus) -> AppResult<usize> {
    let rows: Vec<(Uuid, Uuid)> = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .column(notification::Column::UserId)
        .filter(notification::Column::CreatedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    for (id, user_id) in &rows {
        bus.dispatch(Event::Notification {
            id: *id,
            user_id: *user_id,
        });
        bus.dispatch(Event::UnreadChanged { user_id: *user_id });
    }
    let scored: Vec<Uuid> = lead::Entity::find()
        .select_only()
        .column(lead::Column::Id)
        .filter(lead::Column::ScoredAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    for lead_id in &scored {
        bus.dispatch(Event::ScoreChanged { lead_id: *lead_id });
    }
    Ok(rows.len() + scored.len())
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
}
