//! `notificationAdded`: the backlog since a cursor, then live events, with
//! no gap and no repeat at the seam; after a bus gap, what this subscriber
//! has not seen, in order.
use std::{
    collections::{HashSet, VecDeque},
    sync::Arc,
};

use futures_util::{stream, Stream};
use uuid::Uuid;

use super::access_ended;
use crate::{
    entity::notification,
    error::{AppError, AppResult},
    events::{
        bus::{Delivery, Event, Missed, Subscriber},
        ports::NotificationReads,
        shared::{Read, SharedReads},
    },
};

/// A replay or catch-up reads at most this many at once.
pub const MAX_REPLAY: u64 = 1_000;
/// Ids a stream remembers having sent, to drop repeats.
const REMEMBERED: usize = 2_048;

/// A notification and the unread count it brings.
#[derive(Debug, Clone)]
pub struct NotificationItem {
    pub notification: notification::Model,
    pub unread_count: u64,
}

/// Opens the stream: checks access, then reads the backlog after `after`
/// (or notes where a live-only stream starts).
pub async fn notification_feed<R: NotificationReads>(
    reads: R,
    events: Subscriber,
    shared: Arc<SharedReads>,
    after: Option<Uuid>,
) -> AppResult<impl Stream<Item = AppResult<NotificationItem>> + Send> {
    if !shared.bounded(reads.still_allowed()).await? {
        return Err(access_ended());
    }
    let (backlog, seen_up_to) = match after {
        Some(after) => {
            let rows = shared.bounded(reads.after(Some(after), MAX_REPLAY)).await?;
            let last = rows.last().map(|r| r.id).unwrap_or(after);
            (rows, Some(last))
        }
        None => (Vec::new(), shared.bounded(reads.latest()).await?),
    };
    let feed = Feed {
        reads,
        events,
        shared,
        backlog: backlog.into(),
        sent: Remembered::default(),
        seen_up_to,
        ended: false,
    };
    feed.events.ready();
    Ok(stream::unfold(feed, |mut feed| async move {
        let item = feed.next().await?;
        Some((item, feed))
    }))
}

struct Feed<R> {
    reads: R,
    events: Subscriber,
    shared: Arc<SharedReads>,
    backlog: VecDeque<notification::Model>,
    sent: Remembered,
    /// The newest notification this stream has sent or chose to skip.
    seen_up_to: Option<Uuid>,
    ended: bool,
}

impl<R: NotificationReads> Feed<R> {
    async fn next(&mut self) -> Option<AppResult<NotificationItem>> {
        if self.ended {
            return None;
        }
        loop {
            let (row, seq) = match self.backlog.pop_front() {
                Some(row) => (row, None),
                None => match self.events.recv().await {
                    Ok(Delivery {
                        seq,
                        event: Event::Notification { id, .. },
                    }) if !self.sent.contains(&id) => {
                        let reads = &self.reads;
                        let read = self
                            .shared
                            .get(seq, Read::Notification(id), || reads.notification(id))
                            .await;
                        match read {
                            Ok(Some(row)) => (row, Some(seq)),
                            Ok(None) => continue,
                            Err(err) => return Some(Err(err)),
                        }
                    }
                    Ok(Delivery {
                        seq,
                        event: Event::AccessChanged { .. },
                    }) => {
                        let reads = &self.reads;
                        let allowed = self
                            .shared
                            .get(seq, Read::Access, || reads.still_allowed())
                            .await;
                        match allowed {
                            Ok(true) => continue,
                            Ok(false) => return self.end(access_ended()),
                            Err(err) => return self.end(err),
                        }
                    }
                    Ok(_) => continue,
                    Err(Missed::Gap) => {
                        match self
                            .shared
                            .bounded(self.reads.after(self.seen_up_to, MAX_REPLAY))
                            .await
                        {
                            Ok(rows) => self.backlog.extend(rows),
                            Err(err) => return Some(Err(err)),
                        }
                        continue;
                    }
                    Err(Missed::Lagged) => return self.end(AppError::SlowConsumer),
                    Err(Missed::Closed) => return None,
                },
            };
            if self.sent.contains(&row.id) {
                continue;
            }
            self.sent.insert(row.id);
            self.seen_up_to = self.seen_up_to.max(Some(row.id));
            let reads = &self.reads;
            let count = match seq {
                Some(seq) => {
                    self.shared
                        .get(seq, Read::UnreadCount, || reads.unread_count())
                        .await
                }
                None => self.shared.bounded(reads.unread_count()).await,
            };
            return Some(count.map(|unread_count| NotificationItem {
                notification: row,
                unread_count,
            }));
        }
    }

    fn end(&mut self, error: AppError) -> Option<AppResult<NotificationItem>> {
        self.ended = true;
        Some(Err(error))
    }
}

/// The last ids a stream sent.
#[derive(Default)]
struct Remembered {
    order: VecDeque<Uuid>,
    ids: HashSet<Uuid>,
}

impl Remembered {
    fn contains(&self, id: &Uuid) -> bool {
        self.ids.contains(id)
    }

    fn insert(&mut self, id: Uuid) {
        if self.ids.insert(id) {
            self.order.push_back(id);
            if self.order.len() > REMEMBERED {
                if let Some(old) = self.order.pop_front() {
                    self.ids.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
            Ok(self
                .rows
                .lock()
                .unwrap()
                .iter()
                .find(|r| r.id == id)
                .cloned())
        }
        async fn after(
            &self,
            after: Option<Uuid>,
            limit: u64,
        ) -> AppResult<Vec<notification::Model>> {
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
            Ok(self.rows.lock().unwrap().len() as u64)
        }
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
}
