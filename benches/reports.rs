//! Reports, measured from outside: `cargo bench --bench reports [-- LEADS]
//! [--runs N]`, on PostgreSQL when `BENCH_DATABASE_URL` names a server
//! (default 100,000 leads) and on an embedded SQLite file otherwise
//! (default 10,000).
//!
//! Seeds a database once with `leadscore demo` (kept for later runs as
//! `leadscore_reports_<N>` or `target/reports-bench/leads-<N>.db`) and prints
//! its size, starts the release server as its own process, then asks each
//! report as a manager and as a rep: three warm-up requests, then N (default
//! 30) one after another, with p50/p95/max and the SQL statements per
//! request (from `/health.json`); every answer is checked for errors.
//! Last, for comparison, the pipeline summary's question through the API
//! as it was before reports: every lead paged through `leads(first: 100)`
//! and counted here.
#[path = "server.rs"]
mod server;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use server::{database, gql, seed, start, statements, token};

const REPORTS: [(&str, &str); 7] = [
    (
        "pipelineSummary",
        "{ reports { pipelineSummary { total { count budgets { currency minTotal maxTotal } } open { count } closed { count } byStatus { status count } byClassification { classification count } byPriorityTier { priorityTier count } bySource { source count } } } }",
    ),
    (
        "funnel (last 90 days)",
        "query($d90: DateTime!) { reports { funnel(cohort: {createdFrom: $d90}) { leads lost stages { status reached conversionToNext lost medianHours p90Hours } } } }",
    ),
    (
        "repPerformance (last 90 days)",
        "query($d90: DateTime!) { reports { repPerformance(period: {from: $d90}) { rows { rep { email } assigned contacted firstResponseP50Minutes firstResponseP90Minutes won lost winRate openP1 untouchedP1 } } } }",
    ),
    (
        "sourceEffectiveness",
        "{ reports { sourceEffectiveness { rows { source leads won lost winRate meanScore medianDaysToWin } } } }",
    ),
    (
        "scoreCalibration",
        "{ reports { scoreCalibration(bucketWidth: 10, horizonDays: 7) { bands { low high leads won lost winRate } byClassification { classification leads won lost winRate } auc brier } } }",
    ),
    (
        "timeSeries (engagement, weekly, 26 weeks)",
        "query($d182: DateTime!, $now: DateTime!) { reports { timeSeries(metric: ENGAGEMENT_EVENTS, granularity: WEEK, timeZone: \"America/New_York\", from: $d182, to: $now) { total points { start count } } } }",
    ),
    (
        "scoreDistribution",
        "{ reports { scoreDistribution { bands { low high leads } unscored } } }",
    ),
];

const PAGE: &str = "query($after: String) { leads(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { status source budgetMin budgetMax currency score { total } } } } }";

fn runs() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Rows per table, so the figures say what they were measured on; first
/// the vacuum autovacuum would have run on a database this old (a fresh
/// seed's visibility map is empty, so index-only scans read the heap).
async fn sizes(url: &str) -> String {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
    let db = Database::connect(url).await.expect("database connects");
    let tidy = match db.get_database_backend() {
        DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_unprepared(tidy).await.expect("vacuumed");
    let mut out = Vec::new();
    for table in [
        "leads",
        "lead_engagement_events",
        "lead_activities",
        "lead_status_changes",
        "lead_scores",
        "assignments",
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("a row");
        let n: i64 = row.try_get("", "n").expect("n");
        out.push(format!("{table} {n}"));
    }
    db.close().await.ok();
    out.join(", ")
}

#[tokio::main]
async fn main() {
    let postgres = std::env::var("BENCH_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    let leads = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .filter_map(|a| a.parse().ok())
        .find(|n| *n >= 100)
        .unwrap_or(if postgres { 100_000 } else { 10_000 });
    let runs = runs();
    let url = database("reports", leads).await;
    seed(&url, leads);
    println!("{}", sizes(&url).await);
    let server = start(&url).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let now = chrono::Utc::now();
    let variables = json!({
        "d90": now - chrono::Duration::days(90),
        "d182": now - chrono::Duration::days(182),
        "now": now,
    });
    let mut reference: HashMap<&str, Value> = HashMap::new();
    println!(
        "\n| report | as | p50 ms | p95 ms | max ms | statements |\n|---|---|---|---|---|---|"
    );
    for (who, email) in [
        ("manager", "manager@example.com"),
        ("rep", "rep1@example.com"),
    ] {
        let access = token(&base, email).await;
        for (name, query) in REPORTS {
            let body = json!({ "query": query, "variables": variables });
            let mut times = Vec::new();
            let before = statements(&base).await;
            for i in 0..runs + 3 {
                let started = Instant::now();
                let answer = gql(&client, &base, Some(&access), &body).await;
                let took = started.elapsed();
                assert!(answer.get("errors").is_none(), "{name}: {answer}");
                if i >= 3 {
                    times.push(took);
                }
                if who == "manager" {
                    reference.insert(name, answer);
                }
            }
            let per = (statements(&base).await - before) as f64 / (runs + 3) as f64;
            times.sort();
            let at =
                |p: f64| ms(times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)]);
            println!(
                "| {name} | {who} | {:.1} | {:.1} | {:.1} | {per:.1} |",
                at(0.5),
                at(0.95),
                ms(times[times.len() - 1])
            );
        }
    }

    // The same question before reports: page through every lead.
    let access = token(&base, "manager@example.com").await;
    let started = Instant::now();
    let (mut after, mut pages, mut by_status) = (Value::Null, 0, HashMap::<String, i64>::new());
    loop {
        let body = json!({ "query": PAGE, "variables": { "after": after } });
        let answer = gql(&client, &base, Some(&access), &body).await;
        assert!(answer.get("errors").is_none(), "paging: {answer}");
        let page = &answer["data"]["leads"];
        for edge in page["edges"].as_array().expect("edges") {
            let status = edge["node"]["status"].as_str().unwrap_or("").to_string();
            *by_status.entry(status).or_default() += 1;
        }
        pages += 1;
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let paged = started.elapsed();
    let reported = &reference["pipelineSummary"]["data"]["reports"]["pipelineSummary"]["byStatus"];
    for group in reported.as_array().expect("byStatus") {
        let status = group["status"].as_str().unwrap_or("");
        assert_eq!(
            by_status.get(status).copied().unwrap_or(0),
            group["count"].as_i64().unwrap_or(-1),
            "paging and the report agree on {status}"
        );
    }
    println!(
        "\npipelineSummary through paging (before reports): {pages} pages in {:.0} ms (counts agree with the report)",
        ms(paged)
    );
}
