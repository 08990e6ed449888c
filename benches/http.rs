//! Speed under concurrency, measured from outside: `cargo bench --bench http
//! [-- LEADS] [--secs S] [--conns 1,16,64] [--only NAME-PART]`, on PostgreSQL when
//! `BENCH_DATABASE_URL` names a server (default 100,000 leads) and on an
//! embedded SQLite file otherwise (default 10,000).
//!
//! Seeds a database once with `leadscore demo` and keeps it for later runs
//! (`leadscore_http_<N>` on the server, `target/http-bench/leads-<N>.db`),
//! starts the release server as its own process, drives each query with a
//! load generator at each connection count (every response checked: HTTP
//! 200 and no `errors`), and prints requests per second, p50/p99 latency and
//! SQL statements per request (from `/health.json`). On PostgreSQL it then
//! runs pgbench on the call list's SQL with its assignee join, in the same
//! run, as the reference rate. The server logs at `warn` unless
//! `BENCH_SERVER_LOG` gives its `RUST_LOG` (its own default is `info`). Finally a slow search runs while the call
//! list is driven, and every failure is counted.
use std::{
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};

#[path = "server.rs"]
mod server;

use server::{database, gql, seed, start, statements, token};

const ME: &str = "{ me { id email } }";
const TYPENAME: &str = "{ __typename }";
const CALL_LIST: &str = "{ prioritizedLeads(limit: 5) { rank lead { id fullName company assignee { fullName } } score { total classification } } }";
const PAGE_SCORED: &str = "{ leads(first: 50, orderBy: {field: SCORE, direction: DESC}) { edges { cursor node { id fullName company status score { total classification } assignee { fullName } } } } }";
const PAGE_PLAIN: &str = "{ leads(first: 50, orderBy: {field: SCORE, direction: DESC}) { edges { cursor node { id fullName company status assignee { fullName } } } } }";
const MY_LEADS: &str = "{ myLeads(first: 50) { edges { node { id fullName status score { total classification } } } } }";
const LEAD: &str = "query($id: ID!) { lead(id: $id) { id fullName score { total drivers { text } } notes(first: 5) { edges { node { body } } } activities(first: 5) { edges { node { kind summary } } } } }";
const SLOW_SEARCH: &str = "{ leads(first: 50, filter: { search: \"a\" }, orderBy: {field: CREATED_AT, direction: ASC}) { totalCount edges { node { id fullName } } } }";
const CREATE: &str =
    "mutation($input: CreateLeadInput!) { createLead(input: $input) { id score { total } } }";
const LOG: &str = "mutation($input: LogActivityInput!) { logActivity(input: $input) { id } }";
/// The call list's SQL with its assignee join, for pgbench.
const CALL_LIST_SQL: &str = "SELECT l.*, u.full_name FROM leads l \
     LEFT JOIN assignments a ON a.lead_id = l.id AND a.status = 'ACTIVE' \
     LEFT JOIN users u ON u.id = a.assignee_id \
     WHERE l.deleted_at IS NULL AND l.priority_tier IS NOT NULL \
     ORDER BY l.priority_tier, l.score DESC NULLS LAST, l.id DESC LIMIT 5;\n";

#[derive(Clone, Copy)]
enum Who {
    Anonymous,
    Manager,
    Rep,
}

struct Scenario {
    name: &'static str,
    who: Who,
    query: &'static str,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "__typename, no token",
        who: Who::Anonymous,
        query: TYPENAME,
    },
    Scenario {
        name: "me",
        who: Who::Manager,
        query: ME,
    },
    Scenario {
        name: "call list (prioritizedLeads 5)",
        who: Who::Manager,
        query: CALL_LIST,
    },
    Scenario {
        name: "50 leads by score + score",
        who: Who::Manager,
        query: PAGE_SCORED,
    },
    Scenario {
        name: "50 leads by score, no score",
        who: Who::Manager,
        query: PAGE_PLAIN,
    },
    Scenario {
        name: "rep: myLeads 50 + score",
        who: Who::Rep,
        query: MY_LEADS,
    },
    Scenario {
        name: "lead(id) + notes, activities",
        who: Who::Manager,
        query: LEAD,
    },
    Scenario {
        name: "createLead + logActivity",
        who: Who::Manager,
        query: CREATE,
    },
];

fn numbers_after(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Deletes the leads an earlier run's write mix created (with everything
/// that hangs off them), so every run starts from the seeded database: left
/// in place, each run put thousands of unassigned leads at the top of the
/// newest-first order, and a rep's page walked past more of them each time.
async fn forget_writes(url: &str) {
    use sea_orm::{ConnectionTrait, Database, DbBackend};
    let db = Database::connect(url).await.expect("database connects");
    let deleted = db
        .execute_unprepared(
            "DELETE FROM leads WHERE first_name = 'Bench' AND last_name LIKE 'Worker %'",
        )
        .await
        .expect("earlier writes deleted")
        .rows_affected();
    if deleted > 0 {
        let tidy = match db.get_database_backend() {
            DbBackend::Postgres => "VACUUM ANALYZE",
            _ => "ANALYZE",
        };
        db.execute_unprepared(tidy).await.expect("tidied");
        println!("deleted {deleted} leads an earlier run wrote");
    }
    db.close().await.ok();
}

/// The `i`th body one connection sends for a scenario: new leads get
/// addresses no run has used.
fn body(scenario: &Scenario, lead: &str, worker: usize, i: usize) -> Value {
    if scenario.query == CREATE {
        let tag = format!("{}-{worker}-{i}", std::process::id());
        return json!({ "query": CREATE, "variables": { "input": {
            "firstName": "Bench", "lastName": format!("Worker {worker}"),
            "email": format!("bench-{tag}@load.test"), "source": "WEBSITE", "allowDuplicate": true } } });
    }
    let variables = if scenario.query == LEAD {
        json!({ "id": lead })
    } else {
        json!({})
    };
    json!({ "query": scenario.query, "variables": variables })
}

struct Outcome {
    done: usize,
    failed: usize,
    seconds: f64,
    latencies: Vec<Duration>,
    first_failure: Option<String>,
}

/// `conns` connections, each sending its next request when the last is
/// answered, for `secs` after a one-second warm-up.
async fn drive(
    base: &str,
    token: Option<String>,
    scenario: &Scenario,
    lead: &str,
    conns: usize,
    secs: f64,
) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..conns {
        let (base, token, stop, measuring) = (
            base.to_string(),
            token.clone(),
            stop.clone(),
            measuring.clone(),
        );
        let (scenario_query, lead) = (scenario.query, lead.to_string());
        let writes = scenario.query == CREATE;
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("client");
            let mut latencies = Vec::new();
            let (mut failed, mut first_failure) = (0, None);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let scenario = Scenario { name: "", who: Who::Anonymous, query: scenario_query };
                let mut answer = gql(&client, &base, token.as_deref(), &body(&scenario, &lead, worker, i)).await;
                if writes && answer.get("errors").is_none() {
                    let id = answer["data"]["createLead"]["id"].clone();
                    let log = json!({ "query": LOG, "variables": { "input": {
                        "leadId": id, "kind": "CALL", "direction": "OUTBOUND", "summary": "Called about pricing" } } });
                    answer = gql(&client, &base, token.as_deref(), &log).await;
                }
                i += 1;
                if !measuring.load(Ordering::Relaxed) {
                    continue;
                }
                if answer.get("errors").is_some() || answer.get("data").is_none() {
                    failed += 1;
                    first_failure.get_or_insert_with(|| answer.to_string());
                } else {
                    latencies.push(started.elapsed());
                }
            }
            (latencies, failed, first_failure)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut outcome = Outcome {
        done: 0,
        failed: 0,
        seconds,
        latencies: Vec::new(),
        first_failure: None,
    };
    for worker in workers {
        let (latencies, failed, first) = worker.await.expect("worker");
        outcome.done += latencies.len();
        outcome.failed += failed;
        outcome.latencies.extend(latencies);
        if outcome.first_failure.is_none() {
            outcome.first_failure = first;
        }
    }
    outcome.latencies.sort();
    outcome
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn pgbench(url: &str, conns: usize, secs: f64) -> Option<f64> {
    let file = std::env::temp_dir().join(format!("leadscore-call-list-{}.sql", std::process::id()));
    std::fs::write(&file, CALL_LIST_SQL).ok()?;
    let output = Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &conns.to_string(),
            "-j",
            "2",
            "-T",
            &format!("{}", secs.ceil() as u64),
            "-f",
        ])
        .arg(&file)
        .arg(url)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find(|l| l.starts_with("tps ="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
}

#[tokio::main]
async fn main() {
    let postgres = std::env::var("BENCH_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let leads: usize = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || !args[i - 1].starts_with("--"))
        .find_map(|(_, a)| a.parse().ok())
        .unwrap_or(if postgres { 100_000 } else { 10_000 });
    let secs: f64 = numbers_after("--secs")
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let conns: Vec<usize> = numbers_after("--conns")
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 16, 64]);
    let url = database("http", leads).await;
    seed(&url, leads);
    forget_writes(&url).await;
    let server = start(&url).await;
    let base = server.base.clone();
    let manager = token(&base, "manager@example.com").await;
    let rep = token(&base, "rep1@example.com").await;
    let page = gql(
        &reqwest::Client::new(),
        &base,
        Some(&manager),
        &json!({ "query": PAGE_PLAIN }),
    )
    .await;
    let lead = page["data"]["leads"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("a lead")
        .to_string();

    println!("\n{} at {leads} leads, {secs} s per cell, release server process, load generator in this process\n", if postgres { "PostgreSQL" } else { "SQLite" });
    println!("| query | conns | req/s | p50 ms | p99 ms | statements/req | failed |");
    println!("|---|---|---|---|---|---|---|");
    let only = numbers_after("--only");
    for scenario in SCENARIOS
        .iter()
        .filter(|s| only.as_ref().is_none_or(|o| s.name.contains(o.as_str())))
    {
        let token = match scenario.who {
            Who::Anonymous => None,
            Who::Manager => Some(manager.clone()),
            Who::Rep => Some(rep.clone()),
        };
        for &c in &conns {
            let before = statements(&base).await;
            let outcome = drive(&base, token.clone(), scenario, &lead, c, secs).await;
            let ran = statements(&base).await - before;
            // Warm-up and in-flight requests ran statements too: per request
            // over every request sent, an upper bound.
            let per =
                ran as f64 / ((outcome.done + outcome.failed) as f64 * (1.0 + 1.0 / secs)).max(1.0);
            println!(
                "| {} | {c} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
                scenario.name,
                outcome.done as f64 / outcome.seconds,
                percentile(&outcome.latencies, 0.5),
                percentile(&outcome.latencies, 0.99),
                per,
                outcome.failed
            );
            if let Some(failure) = outcome.first_failure {
                println!("  first failure: {}", &failure[..failure.len().min(300)]);
            }
        }
    }
    if postgres {
        for &c in &conns {
            match pgbench(&url, c, secs) {
                Some(tps) => {
                    println!("| pgbench: the call list's SQL | {c} | {tps:.0} | | | 1 | |")
                }
                None => println!("pgbench did not run (is it installed?)"),
            }
        }
    }

    // One slow request must not make the others wait or fail.
    let slow_stop = Arc::new(AtomicBool::new(false));
    let slow = {
        let (base, token, stop) = (base.clone(), manager.clone(), slow_stop.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut runs, mut failed) = (0, 0);
            while !stop.load(Ordering::Relaxed) {
                let answer = gql(
                    &client,
                    &base,
                    Some(&token),
                    &json!({ "query": SLOW_SEARCH }),
                )
                .await;
                runs += 1;
                failed += usize::from(answer.get("errors").is_some());
            }
            (runs, failed)
        })
    };
    let call_list = &SCENARIOS[2];
    let outcome = drive(&base, Some(manager.clone()), call_list, &lead, 16, secs).await;
    slow_stop.store(true, Ordering::Relaxed);
    let (runs, slow_failed) = slow.await.expect("slow searches");
    println!(
        "\nwhile slow searches ran ({runs} done, {slow_failed} failed): call list at 16 conns {:.0} req/s, p99 {:.1} ms, {} failed",
        outcome.done as f64 / outcome.seconds,
        percentile(&outcome.latencies, 0.99),
        outcome.failed
    );
    if let Some(failure) = outcome.first_failure {
        println!("  first failure: {}", &failure[..failure.len().min(300)]);
    }
}
