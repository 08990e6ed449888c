//! `unreadNotificationCountChanged`: the count now, then each change.
use std::sync::Arc;

use futures_util::{stream, Stream};

use super::access_ended;
use crate::{
    error::{AppError, AppResult},
    events::{
        bus::{Delivery, Event, Missed, Subscriber},
        ports::NotificationReads,
        shared::{Read, SharedReads},
    },
};

pub async fn unread_counter<R: NotificationReads>(
    reads: R,
    events: Subscriber,
    shared: Arc<SharedReads>,
) -> AppResult<impl Stream<Item = AppResult<u64>> + Send> {
    if !shared.bounded(reads.still_allowed()).await? {
        return Err(access_ended());
    }
    let first = shared.bounded(reads.unread_count()).await?;
    let counter = Counter {
        reads,
        events,
        shared,
        last: None,
        pending: Some(first),
        ended: false,
    };
    counter.events.ready();
    Ok(stream::unfold(counter, |mut counter| async move {
        let item = counter.next().await?;
        Some((item, counter))
    }))
}

struct Counter<R> {
    reads: R,
    events: Subscriber,
    shared: Arc<SharedReads>,
    last: Option<u64>,
    /// The count to send before waiting for events (the first one).
    pending: Option<u64>,
    ended: bool,
}

impl<R: NotificationReads> Counter<R> {
    async fn next(&mut self) -> Option<AppResult<u64>> {
        if self.ended {
            return None;
        }
        if let Some(count) = self.pending.take() {
            self.last = Some(count);
            return Some(Ok(count));
        }
        loop {
            let reads = &self.reads;
            let count = match self.events.recv().await {
                Ok(Delivery {
                    seq,
                    event: Event::UnreadChanged { .. },
                }) => {
                    self.shared
                        .get(seq, Read::UnreadCount, || reads.unread_count())
                        .await
                }
                Ok(Delivery {
                    seq,
                    event: Event::AccessChanged { .. },
                }) => {
                    match self
                        .shared
                        .get(seq, Read::Access, || reads.still_allowed())
                        .await
                    {
                        Ok(true) => continue,
                        Ok(false) => return self.end(access_ended()),
                        Err(err) => return self.end(err),
                    }
                }
                Ok(_) => continue,
                Err(Missed::Gap) => self.shared.bounded(reads.unread_count()).await,
                Err(Missed::Lagged) => return self.end(AppError::SlowConsumer),
                Err(Missed::Closed) => return None,
            };
            match count {
                Ok(count) if Some(count) == self.last => continue,
                Ok(count) => {
                    self.last = Some(count);
                    return Some(Ok(count));
                }
                Err(err) => return Some(Err(err)),
            }
        }
    }

    fn end(&mut self, error: AppError) -> Option<AppResult<u64>> {
        self.ended = true;
        Some(Err(error))
    }
}
