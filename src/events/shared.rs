//! The reads a websocket connection's subscriptions make, shared and bounded.
//!
//! One client opened 100 identical subscriptions and had each event read
//! 100 times, with every read holding a pooled connection; the whole server
//! then waited on the pool. Here the streams of one connection that react to
//! the same bus dispatch (same [`Delivery::seq`](super::Delivery)) share
//! one read of each thing, and the connection runs at most
//! [`READS_AT_ONCE`] reads at a time, so one connection never holds more than
//! that many pooled connections whatever it subscribes to.
use std::{
    any::Any,
    collections::{HashMap, VecDeque},
    future::Future,
    sync::{Arc, Mutex},
};

use tokio::sync::{OnceCell, Semaphore};
use uuid::Uuid;

/// Database reads one connection's subscriptions may run at once.
pub const READS_AT_ONCE: usize = 2;
/// Finished reads kept for streams still catching up on the same event.
const REMEMBERED: usize = 512;

/// What a stream reads after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Read {
    Notification(Uuid),
    UnreadCount,
    Score(Uuid),
    Access,
}

type Cell = Arc<dyn Any + Send + Sync>;

/// Finished and running reads by event and thing, with their arrival order
/// for eviction.
#[derive(Default)]
struct Cells {
    by_key: HashMap<(u64, Read), Cell>,
    order: VecDeque<(u64, Read)>,
}

/// Lives as long as a websocket connection (in its connection data).
pub struct SharedReads {
    permits: Semaphore,
    cells: Mutex<Cells>,
}

impl Default for SharedReads {
    fn default() -> Self {
        Self {
            permits: Semaphore::new(READS_AT_ONCE),
            cells: Mutex::default(),
        }
    }
}

impl SharedReads {
    /// The result of `read` for this event, run once for the connection.
    pub async fn get<T, F, Fut>(&self, seq: u64, what: Read, read: F) -> T
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = self.cell::<T>(seq, what);
        cell.get_or_init(|| async {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = self.permits.acquire().await.ok();
            read().await
        })
        .await
        .clone()
    }

    /// A read not tied to an event (the start of a stream), still bounded.
    pub async fn bounded<T, Fut: Future<Output = T>>(&self, read: Fut) -> T {
        let _permit = self.permits.acquire().await.ok();
        read.await
    }

    fn cell<T: Send + Sync + 'static>(&self, seq: u64, what: Read) -> Arc<OnceCell<T>> {
        let mut guard = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let Cells { by_key, order } = &mut *guard;
        if let Some(cell) = by_key.get(&(seq, what)) {
            if let Ok(cell) = cell.clone().downcast::<OnceCell<T>>() {
                return cell;
            }
        }
        let cell = Arc::new(OnceCell::<T>::new());
        by_key.insert((seq, what), cell.clone());
        order.push_back((seq, what));
        while order.len() > REMEMBERED {
            if let Some(old) = order.pop_front() {
                by_key.remove(&old);
            }
        }
        cell
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn streams_reacting_to_one_event_share_one_read() {
        let shared = SharedReads::default();
        let reads = AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            42u64
        };
        let answers = futures_util::future::join_all(
            (0..100).map(|_| shared.get(7, Read::UnreadCount, read)),
        )
        .await;
        assert!(answers.iter().all(|a| *a == 42));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        shared.get(8, Read::UnreadCount, read).await;
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }
}
