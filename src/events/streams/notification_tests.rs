//! The notification stream against an inbox held in memory.
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;
use futures_util::StreamExt;

use super::*;
use crate::events::{bus::Bus, PER_SUBSCRIBER};

/// Notifications held in memory, as the port would read them.
#[derive(Default)]
struct Inbox {
    rows: Mutex<Vec<notification::Model>>,
    /// Reads that fail before they succeed again (the database is down).
    failing: std::sync::atomic::AtomicU32,
}

impl Inbox {
    fn down(&self) -> AppResult<()> {
        let failing = &self.failing;
        let left = failing.load(std::sync::atomic::Ordering::SeqCst);
        if left == 0 {
            return Ok(());
        }
        failing.store(left - 1, std::sync::atomic::Ordering::SeqCst);
        Err(AppError::DatabaseDown {
            retry_after_secs: 1,
        })
    }
}

impl Inbox {
    fn add(&self, user_id: Uuid) -> Uuid {
        let id = Uuid::now_v7();
        self.rows.lock().unwrap().push(notification::Model {
            id,
            user_id,
            kind: crate::entity::notification::NotificationKind::LeadAssigned,
            title: "t".into(),
            body: "b".into(),
            lead_id: None,
            created_at: Utc::now(),
            read_at: None,
        });
        id
    }
}

#[async_trait]
impl NotificationReads for Arc<Inbox> {
    async fn still_allowed(&self) -> AppResult<bool> {
        Ok(true)
    }
    async fn notification(&self, id: Uuid) -> AppResult<Option<notification::Model>> {
        self.down()?;
        Ok(self
            .rows
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.id == id)
            .cloned())
    }
    async fn after(&self, after: Option<Uuid>, limit: u64) -> AppResult<Vec<notification::Model>> {
        self.down()?;
        let rows = self.rows.lock().unwrap();
        Ok(rows
            .iter()
            .filter(|r| after.is_none_or(|a| r.id > a))
            .take(limit as usize)
            .cloned()
            .collect())
    }
    async fn latest(&self) -> AppResult<Option<Uuid>> {
        Ok(self.rows.lock().unwrap().last().map(|r| r.id))
    }
    async fn unread_count(&self) -> AppResult<u64> {
        self.down()?;
        Ok(self.rows.lock().unwrap().len() as u64)
    }
}

/// Found by the outage benchmark: a catch-up read that failed (the
/// database was still coming back) used to end the gap, and what the
/// subscriber missed was never sent.
#[tokio::test]
async fn reads_that_fail_while_the_database_is_down_are_retried_not_dropped() {
    let bus = Bus::default();
    let user = Uuid::now_v7();
    let inbox = Arc::new(Inbox::default());
    let feed = notification_feed(
        inbox.clone(),
        bus.subscribe_user(user),
        Arc::default(),
        None,
    )
    .await
    .unwrap();
    futures_util::pin_mut!(feed);
    let missed = inbox.add(user);
    let live = inbox.add(user);
    inbox.failing.store(3, std::sync::atomic::Ordering::SeqCst);
    bus.signal_gap();
    bus.dispatch(Event::Notification {
        id: live,
        user_id: user,
    });

    let mut got = Vec::new();
    while got.len() < 2 {
        let item = tokio::time::timeout(std::time::Duration::from_secs(10), feed.next())
            .await
            .expect("delivered within the retries")
            .unwrap();
        got.push(
            item.expect("no error reaches the subscriber")
                .notification
                .id,
        );
    }

    assert_eq!(got, vec![missed, live]);
}

#[tokio::test]
async fn after_a_gap_a_live_only_subscriber_gets_only_what_it_missed_in_order() {
    let bus = Bus::default();
    let user = Uuid::now_v7();
    let inbox = Arc::new(Inbox::default());
    for _ in 0..90 {
        inbox.add(user);
    }
    let feed = notification_feed(
        inbox.clone(),
        bus.subscribe_user(user),
        Arc::default(),
        None,
    )
    .await
    .unwrap();
    futures_util::pin_mut!(feed);
    // Written while the bus heard nothing: more than a queue holds.
    let missed: Vec<Uuid> = (0..PER_SUBSCRIBER + 40).map(|_| inbox.add(user)).collect();
    bus.signal_gap();
    let live = inbox.add(user);
    bus.dispatch(Event::Notification {
        id: live,
        user_id: user,
    });

    let mut got = Vec::new();
    while got.len() < missed.len() + 1 {
        got.push(feed.next().await.unwrap().unwrap().notification.id);
    }

    let mut expected = missed.clone();
    expected.push(live);
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_backlog_and_the_live_feed_meet_without_a_repeat() {
    let bus = Bus::default();
    let user = Uuid::now_v7();
    let inbox = Arc::new(Inbox::default());
    let first = inbox.add(user);
    let events = bus.subscribe_user(user);
    let second = inbox.add(user);
    bus.dispatch(Event::Notification {
        id: second,
        user_id: user,
    });
    let feed = notification_feed(inbox.clone(), events, Arc::default(), Some(first))
        .await
        .unwrap();
    futures_util::pin_mut!(feed);
    let third = inbox.add(user);
    bus.dispatch(Event::Notification {
        id: third,
        user_id: user,
    });

    let got: Vec<Uuid> = vec![
        feed.next().await.unwrap().unwrap().notification.id,
        feed.next().await.unwrap().unwrap().notification.id,
    ];

    assert_eq!(got, vec![second, third]);
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_told_so_and_its_stream_ends() {
    let bus = Bus::default();
    let user = Uuid::now_v7();
    let inbox = Arc::new(Inbox::default());
    let events = bus.subscribe_user(user);
    for _ in 0..PER_SUBSCRIBER + 5 {
        bus.dispatch(Event::UnreadChanged { user_id: user });
    }
    let feed = notification_feed(inbox, events, Arc::default(), None)
        .await
        .unwrap();
    futures_util::pin_mut!(feed);

    let error = feed.next().await.unwrap().unwrap_err();

    assert_eq!(error.code(), "SLOW_CONSUMER");
    assert!(feed.next().await.is_none());
}
