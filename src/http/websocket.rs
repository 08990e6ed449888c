//! `/graphql/ws`: `graphql-transport-ws` and legacy `graphql-ws`, signed in
//! by `{"authorization": "Bearer <token>"}` in the `connection_init` payload.
//!
//! async-graphql speaks the protocol; this module holds the connection to
//! the graphql-ws rules it leaves out: a refused `connection_init` closes
//! with 4403 (not 1002), none within 10 s closes with 4408, a subscribe
//! before the ack with 4401, and the connection ends with 4403 when its
//! access token expires, so the client refreshes and resumes with `after`.
//! It also caps subscriptions per connection and pings idle clients.
use std::{
    collections::HashSet,
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
        ws::{CloseFrame, Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{
    graphql::{principal_from_header, Principal},
    AppState,
};
use crate::{
    error::AppError,
    graphql::{Loaders, RequestMeta},
};

/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Protocol pings to a connection, so proxies keep it and dead peers show.
const PING_EVERY: Duration = Duration::from_secs(15);
/// Active subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// Small buffers keep idle connections cheap (messages are small JSON; a
/// larger one still arrives, the buffer grows for it). Frames are written
/// as they come (no write batching), so no write buffer waits to fill.
const READ_BUFFER: usize = 1024;
const WRITE_BUFFER: usize = 0;
const MAX_MESSAGE: usize = 64 * 1024;
/// A deadline that does not come (tokio caps sleeps at about two years).
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

pub async fn upgrade(
    State(state): State<AppState>,
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
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, protocol))
}

/// Where a connection stands, as far as the rules above need.
#[derive(Default)]
struct Connection {
    init_sent: bool,
    acked: bool,
    active: HashSet<String>,
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn serve(socket: WebSocket, state: AppState, protocol: WebSocketProtocols) {
    let (mut sink, mut source) = socket.split();
    let (to_graphql, from_client) = mpsc::channel::<Vec<u8>>(16);
    // When the access token presented at init expires.
    let expires: Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>> = Arc::default();
    let init_state = state.clone();
    let init_expires = expires.clone();
    let mut graphql = async_graphql::http::WebSocket::new(
        state.schema.clone(),
        tokio_stream_of(from_client),
        protocol,
    )
    .on_connection_init(move |payload: Value| async move {
        let authorization = payload
            .get("authorization")
            .or_else(|| payload.get("Authorization"))
            .and_then(|v| v.as_str());
        let actor = match principal_from_header(&init_state, authorization).await {
            Ok(Some(Principal::User(actor))) => Some(actor),
            Ok(None) => None,
            Ok(Some(Principal::ApiKey(_))) => {
                return Err(AppError::Forbidden(
                    "API keys write over HTTP; subscriptions need a signed-in user".into(),
                )
                .into())
            }
            Err(err) => return Err(err.into()),
        };
        if let Some(token) = authorization
            .and_then(|a| a.split_once(' '))
            .map(|(_, t)| t.trim())
        {
            if let Some(claims) = init_state.api.auth.keys.verify(token) {
                *init_expires.lock().unwrap_or_else(|e| e.into_inner()) =
                    chrono::DateTime::from_timestamp(claims.exp, 0);
            }
        }
        let mut data = Data::default();
        data.insert(Loaders::uncached(&init_state.api.db, actor.clone()));
        data.insert(RequestMeta {
            actor,
            api_key: None,
            client_ip: None,
        });
        Ok(data)
    });

    let mut conn = Connection::default();
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    // Armed once the connection is acknowledged, if it signed in.
    let mut armed = false;
    let expiry = tokio::time::sleep(NEVER);
    tokio::pin!(expiry);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let ping_message = match protocol {
        WebSocketProtocols::GraphQLWS => json!({ "type": "ping" }),
        WebSocketProtocols::SubscriptionsTransportWS => json!({ "type": "ka" }),
    };

    let farewell: Option<Message> = loop {
        tokio::select! {
            // Polled first: the server's messages go out before more of the
            // client's are read.
            biased;
            outgoing = graphql.next() => {
                let message = match outgoing {
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
                };
                if sink.send(message).await.is_err() {
                    break None;
                }
            }
            incoming = source.next() => {
                let data = match incoming {
                    Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
                    Some(Ok(_)) => continue,
                };
                match admit(&mut conn, &data) {
                    // Never waits: async-graphql drains its input each time it
                    // is polled (first, below), so only a client flooding
                    // during sign-in can fill it.
                    Admit::Forward => match to_graphql.try_send(data) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            break Some(close(4400, "too many messages at once"));
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => break None,
                    },
                    Admit::Refuse(message) => {
                        if sink.send(message).await.is_err() {
                            break None;
                        }
                    }
                    Admit::Close(message) => break Some(message),
                }
            }
            () = &mut init_deadline, if !conn.init_sent => {
                break Some(close(4408, "Connection initialisation timeout"));
            }
            () = &mut expiry => {
                break Some(close(4403, "Forbidden: the access token expired; refresh it and reconnect"));
            }
            _ = ping.tick(), if conn.acked => {
                if sink.send(Message::Text(ping_message.to_string().into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some(message) = farewell {
        let _ = sink.send(message).await;
    }
    let _ = sink.close().await;
}

/// The client's messages as async-graphql reads them.
fn tokio_stream_of(mut rx: mpsc::Receiver<Vec<u8>>) -> impl futures_util::Stream<Item = Vec<u8>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

enum Admit {
    Forward,
    /// Answer the client without passing the message on.
    Refuse(Message),
    Close(Message),
}

/// Applies the rules async-graphql leaves out to a client message.
fn admit(conn: &mut Connection, data: &[u8]) -> Admit {
    let Ok(message) = serde_json::from_slice::<Value>(data) else {
        // async-graphql answers malformed messages itself.
        return Admit::Forward;
    };
    let id = message["id"].as_str().unwrap_or_default().to_string();
    match message["type"].as_str() {
        Some("connection_init") => conn.init_sent = true,
        Some("subscribe" | "start") => {
            if !conn.acked {
                return Admit::Close(close(4401, "Unauthorized"));
            }
            if conn.active.contains(&id) {
                return Admit::Close(close(4409, &format!("Subscriber for {id} already exists")));
            }
            if conn.active.len() >= MAX_SUBSCRIPTIONS {
                let error = json!({
                    "id": id,
                    "type": "error",
                    "payload": [{
                        "message": format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection: complete one first"),
                        "extensions": { "code": "TOO_MANY_SUBSCRIPTIONS" },
                    }],
                });
                return Admit::Refuse(Message::Text(error.to_string().into()));
            }
            conn.active.insert(id);
        }
        Some("complete" | "stop") => {
            conn.active.remove(&id);
        }
        _ => {}
    }
    Admit::Forward
}

/// Tracks what the server said: the ack, and subscriptions that ended.
fn note_outgoing(conn: &mut Connection, text: &str) {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return;
    };
    match message["type"].as_str() {
        Some("connection_ack") => conn.acked = true,
        Some("complete" | "error") => {
            if let Some(id) = message["id"].as_str() {
                conn.active.remove(id);
            }
        }
        _ => {}
    }
}

/// The close code graphql-ws expects for how async-graphql closed.
fn closing(conn: &Connection, code: u16, reason: &str) -> Message {
    match code {
        // A refused connection_init.
        1002 if conn.init_sent && !conn.acked => close(4403, &format!("Forbidden: {reason}")),
        // Any other protocol error: an invalid message.
        1002 => close(4400, reason),
        _ => close(code, reason),
    }
}
