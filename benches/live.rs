//! Live notifications at scale: `cargo bench --bench live [-- CONNECTIONS RATE SECONDS]`
//! (default 10,000 subscribed connections, 200 notifications a second for
//! 20 seconds). Add `BENCH_DATABASE_URL=postgres://…` to run on PostgreSQL,
//! and `BENCH_SERVER_WRAPPER=heaptrack` to start the server under a
//! profiler (RSS figures then read 0: the profiler is the child).
//!
//! Starts the release server as its own process (so its memory is its own),
//! opens CONNECTIONS websocket clients, one signed-in sales rep each,
//! subscribed to `notificationAdded`, then assigns leads to them at RATE a
//! second over HTTP. Reports the server's RSS, the delivery latency from
//! the mutation's response to the notification's arrival, and notifications
//! lost or delivered twice.
use std::{
    collections::HashMap,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use leadscore::{
    app,
    auth::{password, token::TokenKeys, Actor},
    entity::user::Role,
    service::leads::{self, RawNewLead},
};
use sea_orm::TransactionTrait;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};
use uuid::Uuid;

#[path = "subscriber.rs"]
mod subscriber;
#[path = "support.rs"]
mod support;

const SECRET: &str = "bench-secret-key-that-is-at-least-32-bytes";
const SUBSCRIBE: &str =
    "subscription { notificationAdded { unreadCount notification { id kind lead { id } } } }";

/// The server's resident and peak memory, from /proc.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One subscriber: reports when it has subscribed (the nil id), then each
/// lead it hears of.
async fn subscriber(port: u16, token: String, heard: mpsc::UnboundedSender<(Uuid, Instant)>) {
    let url = format!("ws://127.0.0.1:{port}/graphql/ws");
    subscriber::hear_leads(&url, &token, SUBSCRIBE, |lead| {
        let id = match lead {
            None => Uuid::nil(),
            Some(id) => match Uuid::parse_str(id) {
                Ok(id) => id,
                Err(_) => return,
            },
        };
        let _ = heard.send((id, Instant::now()));
    })
    .await;
}

#[tokio::main]
async fn main() {
    let mut args = support::numbers();
    let connections = args.next().unwrap_or(10_000);
    let rate = args.next().unwrap_or(200);
    let seconds = args.next().unwrap_or(20);
    let total = rate * seconds;

    let scratch = support::Scratch::new().await;
    let mut settings = scratch.settings();
    settings.secret_key = Some(SECRET.into());
    let db = app::connect(&settings, true).await.expect("database");
    let started = Instant::now();
    let hash = password::hash("bench-password".into()).await.unwrap();
    let manager = support::user(&db, "manager@example.com", Role::Manager, hash.clone()).await;
    let keys = TokenKeys::new(SECRET.as_bytes());
    let mut reps = Vec::with_capacity(connections);
    let txn = db.begin().await.unwrap();
    for i in 0..connections {
        let rep = support::user(
            &txn,
            &format!("rep{i}@example.com"),
            Role::SalesRep,
            hash.clone(),
        )
        .await;
        let session = support::session(&txn, rep.id).await;
        let (token, _) = keys
            .issue(rep.id, Role::SalesRep, 0, session, chrono::Utc::now())
            .unwrap();
        reps.push((rep.id, token));
    }
    txn.commit().await.unwrap();
    let session = support::session(&db, manager.id).await;
    let (manager_token, _) = keys
        .issue(manager.id, Role::Manager, 0, session, chrono::Utc::now())
        .unwrap();
    let actor = Actor::from_user(&manager, None);
    let core = app::core(&settings, db.clone()).await.expect("core");
    let mut lead_ids = Vec::with_capacity(total);
    for i in 0..total {
        let new = RawNewLead {
            first_name: "Bench".into(),
            last_name: format!("Lead {i}"),
            ..Default::default()
        }
        .parse()
        .expect("a valid lead");
        let creation = leads::Creation {
            allow_duplicate: true,
            ..Default::default()
        };
        let lead = leads::create(&core, &actor, new, creation).await.unwrap();
        lead_ids.push(lead.id);
    }
    db.close().await.ok();
    println!(
        "prepared {connections} reps and {total} leads in {:.1?}",
        started.elapsed()
    );

    let port = free_port();
    let mut server = match std::env::var("BENCH_SERVER_WRAPPER") {
        Ok(wrapper) => {
            let mut c = Command::new(wrapper);
            c.arg(env!("CARGO_BIN_EXE_leadscore"));
            c
        }
        Err(_) => Command::new(env!("CARGO_BIN_EXE_leadscore")),
    };
    server
        .args(["serve", "--no-migrate"])
        .env("DATABASE_URL", &scratch.url)
        .env("SECRET_KEY", SECRET)
        .env("LEADSCORE_BIND", format!("127.0.0.1:{port}"))
        .env("SCORE_SWEEP_INTERVAL_SECS", "3600")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut server = server.spawn().expect("server starts");
    let pid = server.id();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (idle, _) = memory(pid);
    println!("server idle: RSS {idle} MB");

    let (heard_tx, mut heard) = mpsc::unbounded_channel();
    let opening = Arc::new(Semaphore::new(64));
    let started = Instant::now();
    for (_, token) in &reps {
        let permit = opening.clone().acquire_owned().await.unwrap();
        let heard_tx = heard_tx.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let (ready_tx, mut ready) = mpsc::unbounded_channel();
            let forward = tokio::spawn(subscriber(port, token, ready_tx));
            // The first report says "subscribed": free the opening slot then.
            let _ = ready.recv().await;
            drop(permit);
            while let Some(item) = ready.recv().await {
                let _ = heard_tx.send(item);
            }
            let _ = forward.await;
        });
    }
    let _ = opening.acquire_many(64).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (subscribed, _) = memory(pid);
    println!(
        "{connections} connections subscribed in {:.1?}: server RSS {subscribed} MB ({:.1} KB a connection over idle)",
        started.elapsed(),
        (subscribed.saturating_sub(idle)) as f64 * 1024.0 / connections as f64
    );

    // Drive: one assignment (one notification) every 1/RATE s.
    let responded: Arc<tokio::sync::Mutex<HashMap<Uuid, Instant>>> = Arc::default();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let in_flight = Arc::new(Semaphore::new(256));
    let mut failures = 0usize;
    let (fail_tx, mut fail_rx) = mpsc::unbounded_channel::<String>();
    let driving = Instant::now();
    for (i, lead) in lead_ids.iter().enumerate() {
        tick.tick().await;
        let permit = in_flight.clone().acquire_owned().await.unwrap();
        let (rep, _) = reps[i % reps.len()];
        let body = json!({
            "query": "mutation($l: ID!, $u: ID!) { assignLead(leadId: $l, userId: $u) { id } }",
            "variables": { "l": lead, "u": rep },
        });
        let request = client
            .post(format!("{base}/graphql"))
            .bearer_auth(&manager_token)
            .json(&body);
        let responded = responded.clone();
        let fail_tx = fail_tx.clone();
        let lead = *lead;
        tokio::spawn(async move {
            match request.send().await {
                Ok(r) => {
                    let at = Instant::now();
                    let body: Value = r.json().await.unwrap_or_default();
                    if body.get("errors").is_some() {
                        let _ = fail_tx.send(body.to_string());
                    } else {
                        responded.lock().await.insert(lead, at);
                    }
                }
                Err(e) => {
                    let _ = fail_tx.send(e.to_string());
                }
            }
            drop(permit);
        });
    }
    let _ = in_flight.acquire_many(256).await.unwrap();
    let drive_time = driving.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(fail_tx);
    while let Some(error) = fail_rx.recv().await {
        if failures < 3 {
            eprintln!("mutation failed: {error}");
        }
        failures += 1;
    }

    let responded = responded.lock().await.clone();
    let mut arrivals: HashMap<Uuid, Vec<Instant>> = HashMap::new();
    while let Ok((lead, at)) = heard.try_recv() {
        if !lead.is_nil() {
            arrivals.entry(lead).or_default().push(at);
        }
    }
    let mut latencies = Vec::new();
    let mut lost = 0;
    let mut duplicated = 0;
    for (lead, sent_at) in &responded {
        match arrivals.get(lead) {
            None => lost += 1,
            Some(times) => {
                duplicated += times.len() - 1;
                latencies.push(times[0].saturating_duration_since(*sent_at));
            }
        }
    }
    let (rss, peak) = memory(pid);
    println!(
        "drove {} assignments in {drive_time:.1?} ({:.0}/s), {failures} failed",
        responded.len(),
        responded.len() as f64 / drive_time.as_secs_f64()
    );
    if !latencies.is_empty() {
        println!(
            "delivery (mutation response -> notification): {}",
            support::percentiles(latencies)
        );
    }
    println!("lost {lost}, delivered twice {duplicated}");
    println!("server RSS now {rss} MB, peak {peak} MB");
    let _ = server.kill();
    let _ = server.wait();
    scratch.drop_database().await;
}
