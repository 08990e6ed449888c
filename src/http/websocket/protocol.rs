//! The graphql-ws rules async-graphql leaves out, applied to each message
//! in either direction: sign-in before subscribing, unique subscription
//! ids, a cap per connection, and the close codes clients expect.
use std::collections::HashSet;

use async_graphql::http::WebSocketProtocols;
use axum::extract::ws::{CloseFrame, Message};
use serde_json::{json, Value};

use crate::{
    error::AppError,
    graphql::admission::Refusal,
    http::{graphql::refusal_error, reply},
};

/// Active subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 100;

/// Where a connection stands, as far as the rules need.
#[derive(Default)]
pub struct Connection {
    pub init_sent: bool,
    pub acked: bool,
    active: HashSet<String>,
}

impl Connection {
    /// A subscription the gate refused is not active.
    pub fn forget(&mut self, id: &str) {
        self.active.remove(id);
    }
}

pub fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

pub fn slow_consumer() -> Message {
    tracing::info!("closing a websocket whose client stopped reading");
    close(
        1008,
        "SLOW_CONSUMER: the client stopped reading its messages",
    )
}

/// The keep-alive each protocol expects.
pub fn ping(protocol: WebSocketProtocols) -> Message {
    Message::Text(
        match protocol {
            WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
            WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
        }
        .into(),
    )
}

/// The protocol's error message for a subscription the gate refused.
pub fn refused(protocol: WebSocketProtocols, id: &str, refusal: Refusal) -> Message {
    match refusal {
        Refusal::Invalid(errors) => failed(protocol, id, errors),
        other => unable(protocol, id, refusal_error(other)),
    }
}

/// The protocol's error message for a subscription that cannot start now.
pub fn unable(protocol: WebSocketProtocols, id: &str, error: AppError) -> Message {
    failed(protocol, id, vec![reply::server_error(error)])
}

fn failed(
    protocol: WebSocketProtocols,
    id: &str,
    mut errors: Vec<async_graphql::ServerError>,
) -> Message {
    reply::tidy(&mut errors);
    let payload = match protocol {
        WebSocketProtocols::GraphQLWS => json!(errors),
        WebSocketProtocols::SubscriptionsTransportWS => {
            json!(errors.first().map(|e| json!(e)).unwrap_or_default())
        }
    };
    Message::Text(
        json!({ "id": id, "type": "error", "payload": payload })
            .to_string()
            .into(),
    )
}

pub enum Admit {
    Forward,
    /// A new subscription: forwarded once its document is admitted.
    Subscribe(String, Box<async_graphql::Request>),
    /// Answer the client without passing the message on.
    Refuse(Message),
    Close(Message),
}

/// Applies the rules async-graphql leaves out to a client message.
pub fn admit(conn: &mut Connection, data: &[u8]) -> Admit {
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
                    "payload": [reply::server_error(AppError::TooManySubscriptions { max: MAX_SUBSCRIPTIONS })],
                });
                return Admit::Refuse(Message::Text(error.to_string().into()));
            }
            conn.active.insert(id.clone());
            let request =
                serde_json::from_value::<async_graphql::Request>(message["payload"].clone());
            return match request {
                Ok(request) => Admit::Subscribe(id, Box::new(request)),
                // async-graphql answers a malformed payload itself.
                Err(_) => Admit::Forward,
            };
        }
        Some("complete" | "stop") => {
            conn.active.remove(&id);
        }
        _ => {}
    }
    Admit::Forward
}

/// Tracks what the server said: the ack, and subscriptions that ended.
pub fn note_outgoing(conn: &mut Connection, text: &str) {
    // Most messages are results (async-graphql writes the tag first):
    // nothing to note, and not worth parsing for every subscriber.
    if text.starts_with(r#"{"type":"next""#) || text.starts_with(r#"{"type":"data""#) {
        return;
    }
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
pub fn closing(conn: &Connection, code: u16, reason: &str) -> Message {
    match code {
        // A refused connection_init.
        1002 if conn.init_sent && !conn.acked => close(4403, &format!("Forbidden: {reason}")),
        // Any other protocol error: an invalid message.
        1002 => close(4400, reason),
        _ => close(code, reason),
    }
}
