//! `/graphql/ws`: `graphql-transport-ws` and legacy `graphql-ws`, signed in
//! by `{"authorization": "Bearer <token>"}` in the `connection_init` payload.
//!
//! async-graphql speaks the protocol; [`protocol`] holds the graphql-ws
//! rules it leaves out: a refused `connection_init` closes with 4403 (not
//! 1002), none within 10 s closes with 4408, a subscribe before the ack
//! with 4401, and the connection ends with 4403 when its access token
//! expires, so the client refreshes and resumes with `after`. It also caps
//! subscriptions per connection and pings idle clients.
//!
//! Writing never holds up the rest ([`socket`]): subscription streams are
//! always polled and finish their reads (releasing pooled connections)
//! whether or not the client reads. A client that lets its queue fill, or
//! whose socket accepts nothing for [`socket::WRITE_TIMEOUT`], is dropped as
//! a slow consumer (close code 1008). Every `subscribe` passes the same
//! admission as HTTP before async-graphql sees it (and, like HTTP, is
//! refused with DATABASE_UNAVAILABLE while the circuit is open), and the
//! server's shutdown closes the connection with 1001.
mod protocol;
mod socket;

use std::{
    panic::AssertUnwindSafe,
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_graphql::{
    http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS},
    Data,
};
use axum::{
    extract::{
        ws::{Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use futures_util::{FutureExt, StreamExt};
use serde_json::Value;
use tokio::sync::OwnedSemaphorePermit;

pub use protocol::MAX_SUBSCRIPTIONS;
use protocol::{
    admit, close, closing, note_outgoing, refused, slow_consumer, unable, Admit, Connection,
};
use socket::{ClientSocket, Inbox, Incoming};

use super::{
    graphql::database_down,
    principal,
    serve::{stopped, ConnectionSlot},
    AppState,
};
use crate::{
    error::AppError,
    events::shared::SharedReads,
    graphql::{loaders, RequestMeta},
};

/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Protocol pings to a connection, so proxies keep it and dead peers show.
const PING_EVERY: Duration = Duration::from_secs(15);
/// Small buffers keep idle connections cheap (messages are small JSON; a
/// larger one still arrives, the buffer grows for it). Frames are written
/// as they come (no write batching), so no write buffer waits to fill.
const READ_BUFFER: usize = 1024;
const WRITE_BUFFER: usize = 0;
const MAX_MESSAGE: usize = 64 * 1024;
/// At most this many bytes wait in the socket's own write buffer.
const MAX_WRITE_BUFFER: usize = 256 * 1024;
/// A deadline that does not come (tokio caps sleeps at about two years).
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

pub async fn upgrade(
    State(state): State<AppState>,
    slot: Option<Extension<ConnectionSlot>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| {
            list.split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return (
            StatusCode::BAD_REQUEST,
            "ask for the graphql-transport-ws (or legacy graphql-ws) subprotocol",
        )
            .into_response();
    };
    // The websocket outlives the HTTP connection: it keeps its place under
    // the connection cap until it closes.
    let permit = slot.and_then(|Extension(slot)| slot.take());
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            // A bug in one connection ends that connection, logged, not the server.
            let served = AssertUnwindSafe(serve(socket, state, protocol, permit))
                .catch_unwind()
                .await;
            if served.is_err() {
                tracing::error!("a websocket connection panicked and was closed");
            }
        })
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    protocol: WebSocketProtocols,
    permit: Option<OwnedSemaphorePermit>,
) {
    let _counted = Counted::open(&state);
    let mut socket = ClientSocket::new(socket);
    let inbox = Inbox::default();
    // When the access token presented at init expires.
    let expires: Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>> = Arc::default();
    let init_state = state.clone();
    let init_expires = expires.clone();
    let mut graphql =
        async_graphql::http::WebSocket::new(state.schema.clone(), inbox.clone(), protocol)
            .on_connection_init(move |payload: Value| sign_in(init_state, init_expires, payload));

    let mut conn = Connection::default();
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    // Armed once the connection is acknowledged, if it signed in.
    let mut armed = false;
    let expiry = tokio::time::sleep(NEVER);
    tokio::pin!(expiry);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut stopping = state.stopping.clone();

    let farewell: Option<Message> = loop {
        let write_deadline = socket.write_deadline();
        let message = tokio::select! {
            // Polled first: the server's messages go out before more of the
            // client's are read.
            biased;
            outgoing = graphql.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    note_outgoing(&mut conn, &text);
                    if conn.acked && !armed {
                        armed = true;
                        let at = *expires.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(at) = at {
                            let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
                            expiry.as_mut().reset(tokio::time::Instant::now() + left);
                        }
                    }
                    Message::Text(text.into())
                }
                Some(WsMessage::Close(code, reason)) => break Some(closing(&conn, code, &reason)),
                None => break None,
            },
            incoming = socket.next() => {
                let data = match incoming {
                    Incoming::Message(Message::Text(text)) => text.as_bytes().to_vec(),
                    Incoming::Message(Message::Binary(bytes)) => bytes.to_vec(),
                    Incoming::Message(Message::Close(_)) | Incoming::Gone => break None,
                    Incoming::Message(_) => continue,
                };
                match admit(&mut conn, &data) {
                    Admit::Forward => {}
                    Admit::Subscribe(id, request) => {
                        if let Err(refusal) = state.gate.admit(&request).await {
                            conn.forget(&id);
                            if !socket.queue(refused(protocol, &id, refusal)) {
                                break Some(slow_consumer());
                            }
                            continue;
                        }
                        // As over HTTP: with the circuit open, a new
                        // subscription is refused at once, not left to
                        // wait out the pool for its first read.
                        if let Err(wait) = state.core.ops().breaker().check() {
                            conn.forget(&id);
                            if !socket.queue(unable(protocol, &id, database_down(wait))) {
                                break Some(slow_consumer());
                            }
                            continue;
                        }
                    }
                    Admit::Refuse(message) => {
                        if !socket.queue(message) {
                            break Some(slow_consumer());
                        }
                        continue;
                    }
                    Admit::Close(message) => break Some(message),
                }
                // async-graphql drains its inbox each time it is polled
                // (first, above), so only a client flooding during sign-in
                // can fill it.
                if !inbox.push(data) {
                    break Some(close(4400, "too many messages at once"));
                }
                continue;
            }
            () = tokio::time::sleep_until(write_deadline.unwrap_or_else(far_off)), if write_deadline.is_some() => {
                break Some(slow_consumer());
            }
            () = &mut init_deadline, if !conn.init_sent => {
                break Some(close(4408, "Connection initialisation timeout"));
            }
            () = &mut expiry => {
                break Some(close(4403, "Forbidden: the access token expired; refresh it and reconnect"));
            }
            () = stopped(&mut stopping) => {
                break Some(close(1001, "the server is shutting down: reconnect and resume with after"));
            }
            _ = ping.tick(), if conn.acked => protocol::ping(protocol),
        };
        if !socket.queue(message) {
            break Some(slow_consumer());
        }
        if !socket.send_queued().await {
            break None;
        }
    };
    drop(graphql);
    // The farewell goes after what is queued, if the client takes it in time.
    socket.close(farewell, Duration::from_secs(2)).await;
    drop(permit);
}

/// Counts the connection in the metrics for as long as it lives (a panic
/// included).
struct Counted(AppState);

impl Counted {
    fn open(state: &AppState) -> Self {
        state.core.ops().metrics().websocket_opened();
        Self(state.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.core.ops().metrics().websocket_closed();
    }
}

fn far_off() -> tokio::time::Instant {
    tokio::time::Instant::now() + NEVER
}

/// `connection_init`: signs the connection in with the payload's token
/// and notes when that token expires.
async fn sign_in(
    state: AppState,
    expires: Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>>,
    payload: Value,
) -> async_graphql::Result<Data> {
    let authorization = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str());
    let actor = match principal::from_header(&state.core, authorization).await {
        Ok(Some(actor)) if actor.key.is_some() => {
            return Err(AppError::Forbidden(
                "API keys write over HTTP; subscriptions need a signed-in user".into(),
            )
            .into())
        }
        Ok(actor) => actor,
        Err(err) => return Err(err.into()),
    };
    if let Some(token) = authorization
        .and_then(|a| a.split_once(' '))
        .map(|(_, t)| t.trim())
    {
        if let Some(claims) = state.core.auth().keys.verify(token) {
            *expires.lock().unwrap_or_else(|e| e.into_inner()) =
                chrono::DateTime::from_timestamp(claims.exp, 0);
        }
    }
    let mut data = Data::default();
    data.insert(loaders::uncached(&state.core, actor.clone()));
    data.insert(Arc::new(SharedReads::default()));
    data.insert(RequestMeta {
        actor,
        client_ip: None,
    });
    Ok(data)
}
