//! The client's socket, read and written from the connection's one task.
//!
//! Writes never hold up reads or the subscription streams: messages wait
//! in a short queue and go out as the socket accepts them, while the task
//! goes on polling everything else. No writer task and no channels: an
//! idle connection costs a few hundred bytes here, which is what lets one
//! server hold tens of thousands of them.
use std::{
    collections::VecDeque,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll, Waker},
    time::Duration,
};

use axum::extract::ws::{Message, WebSocket};
use futures_util::{future::poll_fn, Sink, Stream};
use tokio::time::Instant;

/// What may wait for a client that is slow to read.
const OUTGOING: usize = 64;
/// A socket that accepts nothing for this long is given up on.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What reading the socket gave.
pub enum Incoming {
    Message(Message),
    /// The client closed, or the socket failed.
    Gone,
}

pub struct ClientSocket {
    socket: WebSocket,
    queue: VecDeque<Message>,
    unflushed: bool,
    /// Since when queued messages have waited without the socket taking one.
    stalled_since: Option<Instant>,
    failed: bool,
}

impl ClientSocket {
    pub fn new(socket: WebSocket) -> Self {
        Self {
            socket,
            queue: VecDeque::new(),
            unflushed: false,
            stalled_since: None,
            failed: false,
        }
    }

    /// Queues `message`; false when the client has let the queue fill.
    pub fn queue(&mut self, message: Message) -> bool {
        if self.queue.len() >= OUTGOING {
            return false;
        }
        self.stalled_since.get_or_insert_with(Instant::now);
        self.queue.push_back(message);
        true
    }

    /// When the client counts as not reading, if messages are waiting.
    pub fn write_deadline(&self) -> Option<Instant> {
        self.stalled_since.map(|since| since + WRITE_TIMEOUT)
    }

    /// Writes what the socket accepts now, without waiting; false once the
    /// socket has failed.
    pub async fn send_queued(&mut self) -> bool {
        poll_fn(|cx| Poll::Ready(self.write(cx))).await
    }

    /// The client's next message; queued messages are written meanwhile.
    pub async fn next(&mut self) -> Incoming {
        poll_fn(|cx| {
            if !self.write(cx) {
                return Poll::Ready(Incoming::Gone);
            }
            match Pin::new(&mut self.socket).poll_next(cx) {
                Poll::Ready(Some(Ok(message))) => Poll::Ready(Incoming::Message(message)),
                Poll::Ready(Some(Err(_)) | None) => Poll::Ready(Incoming::Gone),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Moves queued messages into the socket as far as it accepts them;
    /// false once the socket has failed.
    fn write(&mut self, cx: &mut Context<'_>) -> bool {
        let mut socket = Pin::new(&mut self.socket);
        while !self.failed && !self.queue.is_empty() {
            match socket.as_mut().poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => self.failed = true,
                Poll::Pending => break,
            }
            if let Some(message) = self.queue.pop_front() {
                self.failed |= socket.as_mut().start_send(message).is_err();
                self.unflushed = true;
                self.stalled_since = Some(Instant::now());
            }
        }
        if self.unflushed && !self.failed {
            match socket.as_mut().poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(_)) => self.failed = true,
                Poll::Pending => {}
            }
        }
        if self.queue.is_empty() && !self.unflushed {
            self.stalled_since = None;
        }
        !self.failed
    }

    /// Sends what is queued and `farewell`, then closes, within `within`.
    pub async fn close(mut self, farewell: Option<Message>, within: Duration) {
        if let Some(message) = farewell {
            self.queue.push_back(message);
        }
        let drained = poll_fn(|cx| {
            if !self.write(cx) || (self.queue.is_empty() && !self.unflushed) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        if tokio::time::timeout(within, drained).await.is_ok() && !self.failed {
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                poll_fn(|cx| Pin::new(&mut self.socket).poll_close(cx)),
            )
            .await;
        }
    }
}

/// Client messages on their way to async-graphql, which reads them as a
/// stream. A few bytes where a channel would allocate a block of slots.
#[derive(Clone, Default)]
pub struct Inbox(Arc<Mutex<InboxState>>);

#[derive(Default)]
struct InboxState {
    messages: VecDeque<Vec<u8>>,
    reader: Option<Waker>,
}

/// Client messages async-graphql has not read yet, at most.
const INBOX: usize = 16;

impl Inbox {
    fn state(&self) -> MutexGuard<'_, InboxState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a message over; false when async-graphql has fallen
    /// [`INBOX`] messages behind.
    pub fn push(&self, message: Vec<u8>) -> bool {
        let mut state = self.state();
        if state.messages.len() >= INBOX {
            return false;
        }
        state.messages.push_back(message);
        if let Some(reader) = state.reader.take() {
            reader.wake();
        }
        true
    }
}

impl Stream for Inbox {
    type Item = Vec<u8>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        let mut state = self.state();
        match state.messages.pop_front() {
            Some(message) => Poll::Ready(Some(message)),
            None => {
                state.reader = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
