//! `notificationAdded`: the backlog since a cursor, then live events, with
//! no gap and no repeat at the seam; after a bus gap, what this subscriber
//! has not seen, in order.
use std::{
    collections::{HashSet, VecDeque},
    sync::Arc,
    time::Duration,
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
/// A read that failed (the database went away) is tried again after this,
/// doubling up to [`RETRY_AT_MOST`]: a notification is never dropped for
/// a failed read, only delivered late.
const RETRY_FIRST: Duration = Duration::from_millis(200);
const RETRY_AT_MOST: Duration = Duration::from_secs(5);

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
        catch_up: false,
        retry: RETRY_FIRST,
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
    /// What this stream has not seen must be read from the database (a
    /// gap, or a read that failed) before it waits for the bus again.
    catch_up: bool,
    retry: Duration,
}

impl<R: NotificationReads> Feed<R> {
    async fn next(&mut self) -> Option<AppResult<NotificationItem>> {
        if self.ended {
            return None;
        }
        loop {
            if self.backlog.is_empty() && self.catch_up {
                let read = self.reads.after(self.seen_up_to, MAX_REPLAY);
                match self.shared.bounded(read).await {
                    Ok(rows) => {
                        self.backlog.extend(rows);
                        self.catch_up = false;
                        self.retry = RETRY_FIRST;
                    }
                    Err(_) => self.wait_to_retry().await,
                }
                continue;
            }
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
                            Err(_) => {
                                self.catch_up = true;
                                continue;
                            }
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
                        self.catch_up = true;
                        continue;
                    }
                    Err(Missed::Lagged) => return self.end(AppError::SlowConsumer),
                    Err(Missed::Closed) => return None,
                },
            };
            if self.sent.contains(&row.id) {
                continue;
            }
            let reads = &self.reads;
            let count = match seq {
                Some(seq) => {
                    self.shared
                        .get(seq, Read::UnreadCount, || reads.unread_count())
                        .await
                }
                None => self.shared.bounded(reads.unread_count()).await,
            };
            let Ok(unread_count) = count else {
                // Sent only with its count: kept for the next try.
                self.backlog.push_front(row);
                self.wait_to_retry().await;
                continue;
            };
            self.sent.insert(row.id);
            self.seen_up_to = self.seen_up_to.max(Some(row.id));
            self.retry = RETRY_FIRST;
            return Some(Ok(NotificationItem {
                notification: row,
                unread_count,
            }));
        }
    }

    async fn wait_to_retry(&mut self) {
        tokio::time::sleep(self.retry).await;
        self.retry = (self.retry * 2).min(RETRY_AT_MOST);
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
#[path = "notification_tests.rs"]
mod tests;
