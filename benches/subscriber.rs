//! The benchmarks' websocket subscriber: a rep's bell over
//! graphql-transport-ws, reporting the lead of each notification it hears.
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

/// Signs in at `ws_url` with `token`, subscribes with `query` (a
/// `notificationAdded` that selects `notification { lead { id } }`) and
/// answers pings; calls `heard(None)` once subscribed, then `heard(Some(lead
/// id))` per notification. Returns when the socket closes.
pub async fn hear_leads(
    ws_url: &str,
    token: &str,
    query: &str,
    mut heard: impl FnMut(Option<&str>),
) {
    let mut request = ws_url.into_client_request().expect("a websocket URL");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    let send = |v: Value| Message::text(v.to_string());
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    socket.send(send(init)).await.expect("connection_init sent");
    let ack = socket.next().await.expect("ack").expect("ack frame");
    assert!(ack.to_text().unwrap_or_default().contains("connection_ack"));
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
    socket.send(send(subscribe)).await.expect("subscribe sent");
    heard(None);
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let value: Value = serde_json::from_str(&text).unwrap_or_default();
        match value["type"].as_str() {
            Some("ping") => {
                let _ = socket.send(send(json!({ "type": "pong" }))).await;
            }
            Some("next") => {
                let lead =
                    &value["payload"]["data"]["notificationAdded"]["notification"]["lead"]["id"];
                if let Some(id) = lead.as_str() {
                    heard(Some(id));
                }
            }
            _ => eprintln!("subscriber got {value}"),
        }
    }
}
