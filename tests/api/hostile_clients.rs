//! Clients that misbehave at the HTTP and websocket level: wrong shapes,
//! oversize bodies, idle or slow sockets, a reader that stops reading. Each
//! gets a clear answer or is cut off, and nobody else notices.
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use leadscore::entity::user::Role;
use reqwest::header;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    helpers::{assert_ok, error_code, spawn_app, spawn_app_with, TestApp, TEST_SECRET},
    live::Live,
};

async fn raw_post(app: &TestApp, content_type: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .body(body.to_string());
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON error body"))
}

#[tokio::test]
async fn requests_of_the_wrong_shape_get_graphql_errors_with_codes() {
    let app = spawn_app().await;
    let query = json!({ "query": "mutation { logout(refreshToken: \"x\") }" }).to_string();

    let cases = [
        (Some("application/json"), "{ not json", 400),
        (Some("application/json"), "{\"variables\": {}}", 400),
        (
            Some("application/json"),
            "[{\"query\": \"{ __typename }\"}]",
            400,
        ),
        (Some("text/plain"), query.as_str(), 415),
        (Some("multipart/form-data; boundary=x"), query.as_str(), 415),
        (
            Some("application/x-www-form-urlencoded"),
            query.as_str(),
            415,
        ),
        (None, query.as_str(), 415),
    ];
    for (content_type, body, expected) in cases {
        let (status, answer) = raw_post(&app, content_type, body).await;
        assert_eq!(status, expected, "{content_type:?} {body}: {answer}");
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        assert!(answer.get("data").is_none());
    }
    let (_, batch) = raw_post(
        &app,
        Some("application/json"),
        "[{\"query\": \"{ __typename }\"}]",
    )
    .await;
    assert!(batch["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ALLOW_BATCH_REQUESTS"));
}

#[tokio::test]
async fn batches_run_when_turned_on() {
    let app = spawn_app_with(|s| s.allow_batch_requests = true).await;
    let batch = json!([{ "query": "{ __typename }" }, { "query": "{ nope }" }]).to_string();

    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(header::CONTENT_TYPE, "application/json")
        .body(batch)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let answers: Value = response.json().await.unwrap();
    assert_eq!(answers[0]["data"]["__typename"], "Query");
    assert_eq!(
        answers[1]["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
}

/// Sends raw bytes and returns everything the server answers before closing.
async fn exchange(port: u16, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_declared_or_chunked() {
    let app = spawn_app_with(|s| s.max_body_bytes = 2048).await;
    let big = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(4096)) }).to_string();
    let chunk = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len());
    let chunked = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk}"
    );

    let (declared_status, declared) = raw_post(&app, Some("application/json"), &big).await;
    let answer = exchange(app.port, chunked.as_bytes()).await;

    assert_eq!(declared_status, 413);
    assert_eq!(error_code(&declared), "PAYLOAD_TOO_LARGE");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
}

#[tokio::test]
async fn idle_and_slowly_sent_connections_are_closed_after_the_header_timeout() {
    let app = spawn_app_with(|s| s.header_read_timeout_secs = 1).await;
    let started = Instant::now();

    let partial = exchange(app.port, b"GET /livez HTTP/1.1\r\nHost: x\r\n").await;
    let idle = exchange(app.port, b"").await;
    let kept_alive = exchange(app.port, b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n").await;

    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(!partial.contains("200 OK"), "{partial}");
    assert!(
        idle.is_empty() || idle.starts_with("HTTP/1.1 408"),
        "{idle}"
    );
    assert!(kept_alive.starts_with("HTTP/1.1 200"), "{kept_alive}");
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_until_others_leave() {
    let app = spawn_app_with(|s| s.max_connections = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        // A request answered on it proves the server holds the connection.
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .unwrap();
        stream
            .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = [0u8; 512];
        let n = stream.read(&mut answer).await.unwrap();
        assert!(answer[..n].starts_with(b"HTTP/1.1 200"));
        held.push(stream);
    }
    const CLOSE: &[u8] = b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    let refused = exchange(app.port, CLOSE).await;
    drop(held);
    // The server sees the held connections close as it reads them: served
    // again as soon as it has.
    let deadline = Instant::now() + Duration::from_secs(10);
    let served = loop {
        let answer = exchange(app.port, CLOSE).await;
        if !answer.is_empty() || Instant::now() > deadline {
            break answer;
        }
    };

    assert!(refused.is_empty(), "{refused}");
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_harms_nobody_else() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let slow = app.signed_in("slow@example.com", Role::SalesRep).await;
    let other = app.signed_in("other@example.com", Role::SalesRep).await;
    let lead = app.create_lead(&manager.access, json!({})).await;
    assert_ok(&app.assign(&manager.access, &lead, &slow.user_id).await);

    let aliases: String = (0..20)
        .map(|i| {
            format!("n{i}: notification {{ id title body kind createdAt lead {{ id fullName }} }} ")
        })
        .collect();
    let query = format!("subscription {{ notificationAdded {{ {aliases} unreadCount }} }}");
    let mut reader = Live::connect_slow_reader(app.port, &slow.access).await;
    for i in 0..100 {
        reader.subscribe(&format!("s{i}"), &query, json!({})).await;
    }

    // Everyone else, throughout: a manager's reads, timed.
    let done = Arc::new(AtomicBool::new(false));
    let probe = {
        let (client, address, token, done) = (
            app.client.clone(),
            app.address.clone(),
            manager.access.clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let mut failures = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let body: Value = client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": "{ me { id } leads(first: 5) { totalCount } }" }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                slowest = slowest.max(started.elapsed());
                if body.get("errors").is_some() {
                    failures.push(body);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (slowest, failures)
        })
    };
    const TRANSFER: &str =
        "mutation($l: ID!, $to: ID!) { transferLead(leadId: $l, toUserId: $to) { id } }";
    for _ in 0..40 {
        for (from, to) in [(&slow, &other), (&other, &slow)] {
            let body = app
                .gql(
                    TRANSFER,
                    json!({ "l": lead, "to": to.user_id }),
                    Some(&from.access),
                )
                .await;
            assert_ok(&body);
        }
    }
    done.store(true, Ordering::Relaxed);
    let (slowest, failures) = probe.await.unwrap();

    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        slowest < Duration::from_secs(3),
        "slowest answer {slowest:?}"
    );
    // The reader was cut off as a slow consumer, not kept at everyone's cost.
    let code = reader.drain_until_closed(Duration::from_secs(60)).await;
    assert!(matches!(code, Some(1008) | None), "{code:?}");
}

#[tokio::test]
async fn a_panicking_handler_answers_internal_with_a_request_id() {
    use axum::{middleware, routing::get, Router};
    let router = Router::new()
        .route(
            "/boom",
            get(|| async {
                let empty: Vec<String> = Vec::new();
                empty[1].clone()
            }),
        )
        .layer(middleware::from_fn(
            leadscore::http::limits::request_context,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let response = reqwest::get(format!("http://{addr}/boom")).await.unwrap();

    assert_eq!(response.status(), 500);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "INTERNAL");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], id.as_str());
    assert!(!body.to_string().contains("index out of bounds"));
}

#[tokio::test]
async fn access_tokens_from_the_future_or_too_long_lived_are_refused() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let claims = |iat: i64, exp: i64| {
        let (_, payload, _) = {
            let mut parts = rep.access.split('.');
            (parts.next(), parts.next().unwrap(), parts.next())
        };
        use base64::Engine;
        let mut claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        claims["iat"] = json!(iat);
        claims["exp"] = json!(exp);
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let now = chrono::Utc::now().timestamp();

    let future = app
        .gql(
            "{ me { id } }",
            json!({}),
            Some(&claims(now + 3_600, now + 3_900)),
        )
        .await;
    let long_lived = app
        .gql(
            "{ me { id } }",
            json!({}),
            Some(&claims(now, now + 86_400 * 30)),
        )
        .await;
    let fine = app
        .gql("{ me { id } }", json!({}), Some(&claims(now, now + 600)))
        .await;

    assert_eq!(error_code(&future), "UNAUTHENTICATED");
    assert_eq!(error_code(&long_lived), "UNAUTHENTICATED");
    assert_ok(&fine);
}
