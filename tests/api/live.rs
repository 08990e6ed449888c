//! A graphql-transport-ws client for tests: sign in, subscribe, read.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, Message},
    MaybeTlsStream, WebSocketStream,
};

pub struct Live {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Live {
    /// Connects to the server on `port` and signs in with `token`.
    pub async fn connect(port: u16, token: &str) -> Self {
        let mut request = format!("ws://127.0.0.1:{port}/graphql/ws")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects");
        let mut live = Self { socket };
        live.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        let ack = live.next().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        live
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("sent");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message (pings answered and skipped); panics after 10 s.
    pub async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a message within 10 s")
                .expect("the socket is open")
                .expect("a frame");
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).expect("JSON");
            if value["type"] == "ping" {
                self.send(json!({ "type": "pong" })).await;
                continue;
            }
            return value;
        }
    }

    /// The payload of the next `next` message.
    pub async fn data(&mut self) -> Value {
        let message = self.next().await;
        assert_eq!(message["type"], "next", "{message}");
        message["payload"].clone()
    }

    /// True if nothing arrives within `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.socket.next())
            .await
            .is_err()
    }
}
