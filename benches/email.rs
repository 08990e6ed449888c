//! Email under failure: 1,000 LEAD_ASSIGNED notifications to 100 reps
//! while the SMTP server (aiosmtpd) is stopped and started twice and the
//! leadscore server (its own process) is killed with SIGKILL once and
//! started again. Counts what arrived by Message-ID (exactly 1,000
//! distinct expected; a resend after the crash would carry the same id)
//! and the delay from the assignment's answer (its commit) to the SMTP
//! server's accept (the Maildir file's time): for every message, for those
//! no outage touched (both servers up from commit to accept: the 5-s p95
//! target), and for those an outage held, from its end.
//!
//! `SMTP_SINK=/usr/bin/python3 cargo bench --bench email` (SQLite), with
//! `BENCH_DATABASE_URL=postgres://...` on PostgreSQL.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use serde_json::json;

#[path = "server.rs"]
mod server;
#[path = "../tests/support/smtp_sink.rs"]
mod smtp_sink;
#[path = "support.rs"]
mod support;

const USERS: usize = 100;
const NOTIFICATIONS: usize = 1_000;
const CLIENTS: usize = 8;

type Acks = Arc<Mutex<HashMap<String, SystemTime>>>;

async fn env(sink: &smtp_sink::Sink) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_URL", sink.url()),
        ("EMAIL_FROM", "leadscore <bench@leadscore.test>".into()),
        ("PUBLIC_URL", "https://app.leadscore.test".into()),
    ]
}

/// Creates and assigns leads `range` round-robin to `reps`, recording when
/// each assignment was answered.
async fn assign(
    base: String,
    token: String,
    reps: Arc<Vec<String>>,
    range: std::ops::Range<usize>,
    acks: Acks,
) {
    let http = reqwest::Client::new();
    for i in range {
        let created = server::gql(&http, &base, Some(&token), &json!({
            "query": "mutation($n: String!) { createLead(input: { firstName: $n, lastName: \"Mail\", allowDuplicate: true }) { id } }",
            "variables": { "n": format!("Bench{i}") } })).await;
        let Some(lead) = created["data"]["createLead"]["id"]
            .as_str()
            .map(str::to_string)
        else {
            eprintln!("create failed: {created}");
            continue;
        };
        let assigned = server::gql(
            &http,
            &base,
            Some(&token),
            &json!({
            "query": "mutation($l: ID!, $u: ID!) { assignLead(leadId: $l, userId: $u) { id } }",
            "variables": { "l": lead, "u": reps[i % reps.len()] } }),
        )
        .await;
        if assigned["data"]["assignLead"]["id"].is_string() {
            acks.lock().unwrap().insert(lead, SystemTime::now());
        } else {
            eprintln!("assign failed: {assigned}");
        }
    }
}

async fn wave(
    base: &str,
    token: &str,
    reps: &Arc<Vec<String>>,
    range: std::ops::Range<usize>,
    acks: &Acks,
) {
    let per = range.len().div_ceil(CLIENTS);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let start = range.start + c * per;
            let end = (start + per).min(range.end);
            tokio::spawn(assign(
                base.into(),
                token.into(),
                reps.clone(),
                start..end,
                acks.clone(),
            ))
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

#[tokio::main]
async fn main() {
    let scratch = support::Scratch::new().await;
    server::seed(&scratch.url, 10);
    let mut sink = smtp_sink::Sink::start().await;
    let mut app = server::start_with(&scratch.url, &env(&sink).await).await;
    let admin = server::token(&app.base, "admin@example.com").await;
    let manager = server::token(&app.base, "manager@example.com").await;
    let http = reqwest::Client::new();
    let mut reps = Vec::new();
    for i in 0..USERS {
        let made = server::gql(&http, &app.base, Some(&admin), &json!({
            "query": "mutation($e: String!) { createUser(input: { email: $e, fullName: \"Bench Rep\", role: SALES_REP, password: \"bench-password-1\" }) { id } }",
            "variables": { "e": format!("mailrep{i}@leadscore.test") } })).await;
        reps.push(
            made["data"]["createUser"]["id"]
                .as_str()
                .expect("user")
                .to_string(),
        );
    }
    let reps = Arc::new(reps);
    let acks: Acks = Arc::default();
    let started = Instant::now();
    // When the SMTP server or leadscore was down: (from, to).
    let mut outages: Vec<(SystemTime, SystemTime)> = Vec::new();

    wave(&app.base, &manager, &reps, 0..300, &acks).await;
    println!(
        "{:>5.1} s: 300 assigned; stopping the SMTP server for 5 s",
        started.elapsed().as_secs_f64()
    );
    let from = SystemTime::now();
    sink.pause();
    let down = Instant::now();
    wave(&app.base, &manager, &reps, 300..450, &acks).await;
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(down.elapsed())).await;
    sink.resume().await;
    outages.push((from, SystemTime::now()));
    println!(
        "{:>5.1} s: 450 assigned; SMTP back; SIGKILL to the server",
        started.elapsed().as_secs_f64()
    );
    wave(&app.base, &manager, &reps, 450..600, &acks).await;
    let from = SystemTime::now();
    let pid = app.child.id();
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
    let _ = app.child.wait();
    drop(app);
    app = server::start_with(&scratch.url, &env(&sink).await).await;
    outages.push((from, SystemTime::now()));
    let manager = server::token(&app.base, "manager@example.com").await;
    println!(
        "{:>5.1} s: server restarted",
        started.elapsed().as_secs_f64()
    );
    wave(&app.base, &manager, &reps, 600..800, &acks).await;
    println!(
        "{:>5.1} s: 800 assigned; stopping the SMTP server for 5 s",
        started.elapsed().as_secs_f64()
    );
    let from = SystemTime::now();
    sink.pause();
    let down = Instant::now();
    wave(&app.base, &manager, &reps, 800..900, &acks).await;
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(down.elapsed())).await;
    sink.resume().await;
    outages.push((from, SystemTime::now()));
    wave(&app.base, &manager, &reps, 900..NOTIFICATIONS, &acks).await;
    println!(
        "{:>5.1} s: {} assignments acknowledged; waiting for delivery (retries come 1 minute after a failure, doubling; a crashed server's claims expire after 2 minutes)",
        started.elapsed().as_secs_f64(),
        acks.lock().unwrap().len()
    );

    let acknowledged = acks.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(8 * 60);
    let (ids, leads, digests) = loop {
        let files = sink.received();
        let mut ids = HashMap::new();
        let mut leads: HashMap<String, SystemTime> = HashMap::new();
        let mut digests = 0;
        for (message, at) in &files {
            // Daily digests go out too (the bench runs at any hour): counted apart.
            if smtp_sink::header(message, "Subject").is_some_and(|s| s.contains("digest")) {
                digests += 1;
                continue;
            }
            if let Some(id) = smtp_sink::header(message, "Message-ID") {
                *ids.entry(id).or_insert(0usize) += 1;
            }
            let unfolded = message
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            if let Some(lead) = unfolded
                .split("/leads/")
                .nth(1)
                .map(|s| s.chars().take(36).collect::<String>())
            {
                leads
                    .entry(lead)
                    .and_modify(|t| *t = (*t).min(*at))
                    .or_insert(*at);
            }
        }
        if ids.len() >= acknowledged.len() || Instant::now() > deadline {
            break (ids, leads, digests);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let total: usize = ids.values().sum();
    let repeated = ids.values().filter(|n| **n > 1).count();
    let missing = acknowledged
        .keys()
        .filter(|lead| !leads.contains_key(*lead))
        .count();
    println!(
        "\nacknowledged assignments: {} (and {digests} daily digests, counted apart)",
        acknowledged.len()
    );
    println!("messages received: {total}; distinct Message-IDs: {}; ids received more than once: {repeated}; acknowledged leads with no message: {missing}", ids.len());
    // A message is undisturbed when neither server was down between its
    // commit and its accept; the others waited for an outage to end (or,
    // when their attempt failed, for the retry a minute later).
    let mut delays = Vec::new();
    let mut undisturbed = Vec::new();
    let mut after_outage = Vec::new();
    let mut retried = 0;
    for (lead, acked) in &acknowledged {
        let Some(accepted) = leads.get(lead) else {
            continue;
        };
        let delay = accepted.duration_since(*acked).unwrap_or_default();
        delays.push(delay);
        let caught = outages
            .iter()
            .filter(|(from, to)| from < accepted && to > acked)
            .map(|(_, to)| *to)
            .max();
        match caught {
            None => undisturbed.push(delay),
            Some(_) if delay >= Duration::from_secs(60) => retried += 1,
            Some(back) => after_outage.push(accepted.duration_since(back).unwrap_or_default()),
        }
    }
    for figures in [&mut delays, &mut undisturbed, &mut after_outage] {
        figures.sort();
    }
    let down: Duration = outages
        .iter()
        .map(|(from, to)| to.duration_since(*from).unwrap_or_default())
        .sum();
    println!(
        "commit to SMTP accept, all {}: p50 {:.2} s, p95 {:.2} s, max {:.1} s",
        delays.len(),
        secs(&delays, 50.0),
        secs(&delays, 95.0),
        secs(&delays, 100.0)
    );
    println!(
        "... the {} undisturbed (both servers up from commit to accept): p50 {:.2} s, p95 {:.2} s, max {:.2} s",
        undisturbed.len(),
        secs(&undisturbed, 50.0),
        secs(&undisturbed, 95.0),
        secs(&undisturbed, 100.0)
    );
    println!(
        "... the {} caught by an outage and sent when it ended: from the end to accept p50 {:.2} s, p95 {:.2} s; {retried} more retried after their attempt failed (1-minute backoff, or a killed server's 2-minute claim)",
        after_outage.len(),
        secs(&after_outage, 50.0),
        secs(&after_outage, 95.0),
    );
    println!(
        "outages: {} ({:.1} s down in all)",
        outages.len(),
        down.as_secs_f64()
    );
    drop(app);
    scratch.drop_database().await;
}

/// Nearest rank, in seconds.
fn secs(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len()) - 1]
        .as_secs_f64()
}
