//! A PostgreSQL outage under light load, through a fault-injecting proxy
//! between the server (its own process) and the database: first the
//! database answers every question 450 ms late for 8 s (slow, not down:
//! nothing should be refused), then the connection is cut for 12 s, as
//! when PostgreSQL is stopped (refused) and then as when the network drops
//! packets (black hole). Measures when /readyz turns 503, how long
//! requests take to fail during each fault, how soon after the database
//! returns requests succeed again, and that every acknowledged write is in
//! the database and heard by a subscriber.
//!
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench outage [seconds]`
//! (PostgreSQL only). LEADSCORE_BIN runs another build of the server.
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

#[path = "../tests/support/fault_proxy.rs"]
mod fault_proxy;
#[path = "server.rs"]
mod server;
#[path = "subscriber.rs"]
mod subscriber;

use fault_proxy::{Fault, FaultProxy};

const LEADS: usize = 200;
const CLIENTS: usize = 4;

#[derive(Default)]
struct Log {
    /// (sent, took, ok, code)
    requests: Vec<(Instant, Duration, bool, String)>,
    acknowledged: Vec<(String, Instant)>,
}

fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("OK")
        .to_string()
}

/// One client: a read every 100 ms and, every other time, a lead created
/// and assigned to rep1 (the subscriber).
async fn client(
    base: String,
    manager: String,
    rep: String,
    rep_id: String,
    log: Arc<Mutex<Log>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut i = 0u64;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        i += 1;
        let sent = Instant::now();
        let body = server::gql(
            &http,
            &base,
            Some(&rep),
            &json!({ "query": "{ myLeads(first: 5) { totalCount } }" }),
        )
        .await;
        let ok = body["data"]["myLeads"]["totalCount"].is_number();
        log.lock()
            .unwrap()
            .requests
            .push((sent, sent.elapsed(), ok, code(&body)));
        if i % 2 == 0 {
            let sent = Instant::now();
            let created = server::gql(&http, &base, Some(&manager), &json!({
                "query": "mutation($n: String!) { createLead(input: { firstName: $n, lastName: \"Outage\", allowDuplicate: true }) { id } }",
                "variables": { "n": format!("Bench{i}") } })).await;
            let mut ok = false;
            let mut answer = code(&created);
            if let Some(id) = created["data"]["createLead"]["id"].as_str() {
                let assigned = server::gql(&http, &base, Some(&manager), &json!({
                    "query": "mutation($l: ID!, $u: ID!) { assignLead(leadId: $l, userId: $u) { id } }",
                    "variables": { "l": id, "u": rep_id } })).await;
                answer = code(&assigned);
                if assigned["data"]["assignLead"]["id"].is_string() {
                    ok = true;
                    log.lock()
                        .unwrap()
                        .acknowledged
                        .push((id.to_string(), Instant::now()));
                }
            }
            log.lock()
                .unwrap()
                .requests
                .push((sent, sent.elapsed(), ok, answer));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The subscriber: rep1's notificationAdded; the lead ids it hears.
async fn subscriber(base: String, token: String, heard: Arc<Mutex<HashSet<String>>>) {
    let url = format!("{}/graphql/ws", base.replace("http", "ws"));
    let query = "subscription { notificationAdded { notification { lead { id } } } }";
    subscriber::hear_leads(&url, &token, query, |lead| {
        if let Some(id) = lead {
            heard.lock().unwrap().insert(id.to_string());
        }
    })
    .await;
    eprintln!("subscriber: the websocket closed");
}

/// When /readyz first answered `status` at or after `since`.
async fn readiness(base: &str, status: u16, since: Instant, limit: Duration) -> Option<Duration> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    while since.elapsed() < limit {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().as_u16() == status {
                return Some(since.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

fn percentile(mut values: Vec<Duration>, p: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort();
    values[((values.len() as f64 * p).ceil() as usize).clamp(1, values.len()) - 1]
}

async fn outage(
    fault: Fault,
    base: &str,
    proxy: &FaultProxy,
    log: &Arc<Mutex<Log>>,
    seconds: u64,
    started: Instant,
) {
    // Slow stays under the 10-s window after which even a slow database
    // opens the circuit.
    let seconds = if fault == Fault::Slow {
        seconds.min(8)
    } else {
        seconds
    };
    let cut = Instant::now();
    eprintln!(
        "{fault:?}: cut at {:.1} s",
        cut.duration_since(started).as_secs_f64()
    );
    proxy.cut(fault).await;
    let unready = readiness(base, 503, cut, Duration::from_secs(seconds)).await;
    tokio::time::sleep(Duration::from_secs(seconds).saturating_sub(cut.elapsed())).await;
    let restored = Instant::now();
    proxy.restore();
    eprintln!(
        "{fault:?}: restored at {:.1} s",
        restored.duration_since(started).as_secs_f64()
    );
    let ready = readiness(base, 200, restored, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let log = log.lock().unwrap();
    let during: Vec<_> = log
        .requests
        .iter()
        .filter(|(sent, ..)| *sent >= cut && *sent < restored)
        .collect();
    let failed: Vec<Duration> = during.iter().filter(|r| !r.2).map(|r| r.1).collect();
    let codes: HashSet<&str> = during
        .iter()
        .filter(|r| !r.2)
        .map(|r| r.3.as_str())
        .collect();
    let back = log
        .requests
        .iter()
        .filter(|(sent, _, ok, _)| *sent >= restored && *ok)
        .map(|(sent, took, ..)| (*sent + *took).duration_since(restored))
        .min();
    println!(
        "| {fault:?} | {} | {} failed of {} | {:.0} / {:.0} / {:.0} | {:?} | {} | {} |",
        unready.map_or("never".into(), |d| format!(
            "{:.0} ms",
            d.as_secs_f64() * 1000.0
        )),
        failed.len(),
        during.len(),
        percentile(failed.clone(), 0.5).as_secs_f64() * 1000.0,
        percentile(failed.clone(), 0.95).as_secs_f64() * 1000.0,
        failed
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0,
        codes,
        back.map_or("never".into(), |d| format!(
            "{:.0} ms",
            d.as_secs_f64() * 1000.0
        )),
        ready.map_or("never".into(), |d| format!(
            "{:.0} ms",
            d.as_secs_f64() * 1000.0
        )),
    );
}

#[tokio::main]
async fn main() {
    let Some(admin) = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        println!("outage: PostgreSQL only; set BENCH_DATABASE_URL=postgres://...");
        return;
    };
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(12);
    let url = server::database("outage", LEADS).await;
    server::seed(&url, LEADS);
    let upstream = url::Url::parse(&admin).unwrap();
    let upstream = format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(5432)
    );
    let proxy = FaultProxy::start(upstream.parse().expect("host:port")).await;
    let server = server::start(&proxy.url_through(&url)).await;
    let base = server.base.clone();
    let manager = server::token(&base, "manager@example.com").await;
    let rep = server::token(&base, "rep1@example.com").await;
    let me = server::gql(
        &reqwest::Client::new(),
        &base,
        Some(&rep),
        &json!({ "query": "{ me { id } }" }),
    )
    .await;
    let rep_id = me["data"]["me"]["id"]
        .as_str()
        .expect("rep1's id")
        .to_string();

    let heard = Arc::new(Mutex::new(HashSet::new()));
    tokio::spawn(subscriber(base.clone(), rep.clone(), heard.clone()));
    let log = Arc::new(Mutex::new(Log::default()));
    let started = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(client(
                base.clone(),
                manager.clone(),
                rep.clone(),
                rep_id.clone(),
                log.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;

    println!("\n{CLIENTS} clients (a read every 100 ms, a create+assign every 200 ms), database cut for {seconds} s, server {}\n", server::bin());
    println!("| outage | /readyz 503 after | requests during | failed: p50 / p95 / max ms | codes | first success after return | /readyz 200 after |");
    println!("|---|---|---|---|---|---|---|");
    for fault in [Fault::Slow, Fault::Refuse, Fault::BlackHole] {
        outage(fault, &base, &proxy, &log, seconds, started).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let acknowledged = log.lock().unwrap().acknowledged.clone();
    let http = reqwest::Client::new();
    let mut kept = 0;
    for (id, _) in &acknowledged {
        let lead = server::gql(&http, &base, Some(&manager), &json!({ "query": "query($id: ID!) { lead(id: $id) { id } }", "variables": { "id": id } })).await;
        kept += usize::from(lead["data"]["lead"]["id"].as_str() == Some(id.as_str()));
    }
    // Late is not lost: wait up to 15 s for the last ones.
    let waited = Instant::now();
    while waited.elapsed() < Duration::from_secs(15)
        && acknowledged
            .iter()
            .any(|(id, _)| !heard.lock().unwrap().contains(id))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let heard = heard.lock().unwrap();
    let missed: Vec<_> = acknowledged
        .iter()
        .filter(|(id, _)| !heard.contains(id))
        .collect();
    for (id, at) in &missed {
        println!(
            "missed: lead {id}, acknowledged {:.1} s after the start",
            at.duration_since(started).as_secs_f64()
        );
    }
    let missed = missed.len();
    println!("\nacknowledged writes: {}; in the database afterwards: {kept}; heard by the subscriber: {} (missed {missed})", acknowledged.len(), acknowledged.len() - missed);
}
