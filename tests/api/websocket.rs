//! The graphql-ws rules at the connection level: close codes, token expiry,
//! and the subscription cap.
use std::time::Duration;

use chrono::Utc;
use leadscore::{auth::token::TokenKeys, entity::user::Role};
use serde_json::json;

use crate::{
    helpers::{session_of, spawn_app, TEST_SECRET},
    live::Live,
};

fn init(token: &str) -> serde_json::Value {
    json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } })
}

#[tokio::test]
async fn a_refused_connection_init_closes_with_4403() {
    let app = spawn_app().await;
    let mut socket = Live::open(app.port).await;

    socket.send(init("forged")).await;

    assert_eq!(socket.close_code(Duration::from_secs(5)).await, 4403);
}

#[tokio::test]
async fn a_subscribe_before_the_ack_closes_with_4401_and_a_second_init_with_4429() {
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let mut early = Live::open(app.port).await;
    let mut twice = Live::open(app.port).await;

    early
        .subscribe(
            "1",
            "subscription { unreadNotificationCountChanged }",
            json!({}),
        )
        .await;
    twice.send(init(&rep.access)).await;
    twice.send(init(&rep.access)).await;

    assert_eq!(early.close_code(Duration::from_secs(5)).await, 4401);
    assert_eq!(twice.close_code(Duration::from_secs(5)).await, 4429);
}

#[tokio::test]
async fn no_connection_init_within_ten_seconds_closes_with_4408() {
    let app = spawn_app().await;
    let mut socket = Live::open(app.port).await;

    assert_eq!(socket.close_code(Duration::from_secs(15)).await, 4408);
}

#[tokio::test]
async fn a_connection_ends_with_4403_when_its_access_token_expires() {
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let keys = TokenKeys::new(TEST_SECRET.as_bytes());
    // Issued as if 15 minutes minus 2 seconds ago: it expires in 2 s.
    let (short, _) = keys
        .issue(
            uuid::Uuid::parse_str(&rep.user_id).unwrap(),
            Role::SalesRep,
            0,
            session_of(&rep.access),
            Utc::now() - chrono::Duration::minutes(15) + chrono::Duration::seconds(2),
        )
        .unwrap();
    let mut live = Live::connect(app.port, &short).await;
    live.subscribe(
        "count",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    assert_eq!(
        live.data().await["data"]["unreadNotificationCountChanged"],
        0
    );

    let code = live.close_code(Duration::from_secs(10)).await;

    assert_eq!(code, 4403);
}

#[tokio::test]
async fn a_connection_holds_at_most_a_hundred_subscriptions() {
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let mut live = Live::connect(app.port, &rep.access).await;
    for i in 0..100 {
        live.subscribe(
            &format!("s{i}"),
            "subscription { unreadNotificationCountChanged }",
            json!({}),
        )
        .await;
    }
    for _ in 0..100 {
        assert_eq!(live.next().await["type"], "next");
    }

    live.subscribe(
        "one-too-many",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    let refusal = live.next().await;
    // Messages of one connection are handled in order: the completion frees
    // a place before the next subscribe is read.
    live.send(json!({ "id": "s0", "type": "complete" })).await;
    live.subscribe(
        "after-one-ended",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    let mut accepted = live.next().await;
    while accepted["id"] == "s0" {
        assert_eq!(accepted["type"], "complete");
        accepted = live.next().await;
    }

    assert_eq!(refusal["id"], "one-too-many");
    assert_eq!(refusal["type"], "error");
    assert_eq!(
        refusal["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );
    assert_eq!(accepted["id"], "after-one-ended");
    assert_eq!(accepted["type"], "next");
}
