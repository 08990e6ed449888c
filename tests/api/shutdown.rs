//! SIGTERM to the real binary while it serves: requests in flight finish,
//! websockets close with 1001, and the process exits 0 within its grace.
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::{
    helpers::{TestDb, TEST_SECRET},
    live::Live,
};

const GRACE_SECS: u64 = 10;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn gql(client: &reqwest::Client, base: &str, query: &str, variables: Value) -> Value {
    client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the request is answered")
        .json()
        .await
        .expect("a JSON body")
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_closes_websockets_with_1001_and_exits_0() {
    let db = TestDb::new().await;
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("SECRET_KEY", TEST_SECRET)
        .env("LEADSCORE_BIND", format!("127.0.0.1:{port}"))
        .env("SHUTDOWN_GRACE_SECS", GRACE_SECS.to_string())
        .env("DB_CONNECT_RETRIES", "0")
        .env_remove("LEADSCORE_ENV")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let ready = Instant::now();
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "the server never got ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let registered = gql(
        &client,
        &base,
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        json!({ "i": { "email": "rep@example.com", "password": "correct horse battery", "fullName": "Rep" } }),
    )
    .await;
    let token = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"))
        .to_string();

    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut live = Live::connect(port, &token).await;
        live.subscribe(
            "count",
            "subscription { unreadNotificationCountChanged }",
            json!({}),
        )
        .await;
        // The first count is the readiness of the subscription.
        let first = live.data().await;
        assert_eq!(
            first["data"]["unreadNotificationCountChanged"], 0,
            "{first}"
        );
        sockets.push(live);
    }

    // Sign-ins hash a password: slow enough to be in flight at the signal.
    let mut in_flight = Vec::new();
    for _ in 0..24 {
        let client = client.clone();
        let base = base.clone();
        in_flight.push(tokio::spawn(async move {
            let body = gql(
                &client,
                &base,
                "mutation { login(email: \"rep@example.com\", password: \"correct horse battery\") { accessToken } }",
                json!({}),
            )
            .await;
            (body, Instant::now())
        }));
    }
    // Time for every request to reach the server, not for them all to end.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());

    let mut answered_after_the_signal = 0;
    for request in in_flight {
        let (body, at) = request.await.expect("the request task");
        assert!(
            body["data"]["login"]["accessToken"].is_string(),
            "a request in flight was cut off: {body}"
        );
        answered_after_the_signal += usize::from(at > signalled);
    }
    assert!(
        answered_after_the_signal > 0,
        "no request was still in flight at the signal: the test proves nothing"
    );
    for mut live in sockets {
        assert_eq!(
            live.drain_until_closed(Duration::from_secs(GRACE_SECS))
                .await,
            Some(1001)
        );
    }
    let status = loop {
        if let Some(status) = server.try_wait().expect("the server's status") {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(GRACE_SECS + 5),
            "the server did not exit within its grace period"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(0), "the server exited with {status}");
    assert!(signalled.elapsed() < Duration::from_secs(GRACE_SECS));
}
