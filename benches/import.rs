//! Imports, measured from outside: `cargo bench --bench import [-- ROWS]
//! [--compare N]`, on PostgreSQL when `BENCH_DATABASE_URL` names a server
//! and on an embedded SQLite file otherwise (a fresh database per run).
//!
//! Writes a CSV of ROWS synthetic leads (default 100,000: about 15 MB),
//! starts the release server as its own process, uploads the file to
//! `POST /imports`, runs a dry run and then the import (polling
//! `leadImport`), and prints each phase's time and the server's resident
//! memory before and at its peak (from `/proc`); then a filter job that
//! reassigns a tenth of the leads. Then, for comparison, the
//! first N rows (default 5,000) of a second file through `createLead`, one
//! request per lead from 16 connections, with the time all ROWS would take
//! at that rate.
#[path = "server.rs"]
mod server;
#[path = "support.rs"]
mod support;

use std::{
    io::Write,
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use server::{start_with, BIN, SECRET_KEY};

const COLUMNS: &str = "First Name,Last Name,Email,Phone,Company,Job Title,Country,City,Lead Source,Status,Budget,Plan,Seats";
const SOURCES: [&str; 5] = [
    "Website",
    "Referral",
    "Trade Show",
    "Partner",
    "Email Campaign",
];
const STATUSES: [&str; 4] = ["NEW", "CONTACTED", "QUALIFIED", "LOST"];

fn flag(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

/// The server's resident memory in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn row(n: usize, tag: &str) -> String {
    format!(
        "Lead{n},{tag}{n},{tag}{n}@import.test,+1 555 {:03} {:04},Company {},Buyer,Country {},City {},{},{},{}.50,{},{}\n",
        n % 1000,
        n % 10_000,
        n % 5_000,
        n % 50,
        n % 400,
        SOURCES[n % SOURCES.len()],
        STATUSES[n % STATUSES.len()],
        1_000 + n % 90_000,
        ["basic", "pro", "enterprise"][n % 3],
        n % 200,
    )
}

fn write_csv(path: &std::path::Path, rows: usize, tag: &str) -> u64 {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("csv file"));
    writeln!(file, "{COLUMNS}").unwrap();
    for n in 0..rows {
        file.write_all(row(n, tag).as_bytes()).unwrap();
    }
    file.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn seed_users(url: &str) {
    let status = Command::new(BIN)
        .args(["demo", "--leads", "1"])
        .env("DATABASE_URL", url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("leadscore demo runs");
    assert!(status.success(), "seeding the demo users failed");
}

async fn gql(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = client.post(format!("{base}/graphql"));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    request
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON")
}

/// A token is renewed this often: a million-row import outlasts one.
const FRESH: Duration = Duration::from_secs(300);

/// A fresh access token for the demo's manager.
async fn login(client: &reqwest::Client, base: &str) -> String {
    let login = gql(
        client,
        base,
        "",
        "mutation { login(email: \"manager@example.com\", password: \"leadscore-demo\") { accessToken } }",
        json!({}),
    )
    .await;
    login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {login}"))
        .to_string()
}

/// The data of a GraphQL answer; a panic on any error (never a silent loop).
fn data(answer: Value) -> Value {
    assert!(answer.get("errors").is_none(), "{answer}");
    answer["data"].clone()
}

/// Runs an import of `upload` and waits for its end; its final state.
async fn import(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    upload: &str,
    dry_run: bool,
) -> Value {
    let mapping: Vec<Value> = [
        ("First Name", "firstName", None),
        ("Last Name", "lastName", None),
        ("Email", "email", None),
        ("Phone", "phone", None),
        ("Company", "company", None),
        ("Job Title", "jobTitle", None),
        ("Country", "country", None),
        ("City", "city", None),
        ("Lead Source", "source", None),
        ("Status", "status", None),
        ("Budget", "budgetMin", None),
        ("Plan", "attributes.plan", None),
        ("Seats", "attributes.seats", Some("NUMBER")),
    ]
    .iter()
    .map(|(column, field, kind)| json!({ "column": column, "field": field, "attributeType": kind }))
    .collect();
    let started = gql(
        client,
        base,
        token,
        "mutation($input: CreateLeadImportInput!) { createLeadImport(input: $input) { id } }",
        json!({ "input": { "uploadId": upload, "mapping": mapping, "dryRun": dry_run,
                           "dedupe": { "by": "EMAIL", "onMatch": "SKIP" } } }),
    )
    .await;
    let id = started["data"]["createLeadImport"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("import refused: {started}"))
        .to_string();
    let (mut token, mut signed_in) = (token.to_string(), Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if signed_in.elapsed() > FRESH {
            (token, signed_in) = (login(client, base).await, Instant::now());
        }
        let job = data(gql(
            client,
            base,
            token.as_str(),
            "query($id: ID!) { leadImport(id: $id) { status processedRows created updated skipped failed error } }",
            json!({ "id": id }),
        )
        .await)["leadImport"]
            .clone();
        if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&job["status"].as_str().unwrap_or("")) {
            return job;
        }
    }
}

#[tokio::main]
async fn main() {
    let rows = support::numbers().next().unwrap_or(100_000);
    let compare = flag("--compare").unwrap_or(5_000);
    let scratch = support::Scratch::new().await;
    let postgres = scratch.url.starts_with("postgres");
    seed_users(&scratch.url);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leads.csv");
    let bytes = write_csv(&path, rows, "imported");
    let server = start_with(
        &scratch.url,
        &[("IMPORT_MAX_BYTES", (2u64 << 30).to_string())],
    )
    .await;
    let base = server.base.clone();
    let pid = server.child.id();
    let client = reqwest::Client::new();
    let token = login(&client, &base).await;

    let baseline = rss_kib(pid);
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    println!(
        "\n{} import of {rows} rows ({:.1} MB), release server process; RSS at rest {:.1} MB\n",
        if postgres { "PostgreSQL" } else { "SQLite" },
        bytes as f64 / 1e6,
        baseline as f64 / 1024.0
    );
    println!("| phase | seconds | rows/s | result |");
    println!("|---|---|---|---|");
    let body = std::fs::read(&path).unwrap();
    let clock = Instant::now();
    let staged: Value = client
        .post(format!("{base}/imports?fileName=leads.csv"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("uploaded")
        .json()
        .await
        .expect("JSON");
    let upload_secs = clock.elapsed().as_secs_f64();
    let upload = staged["id"]
        .as_str()
        .unwrap_or_else(|| panic!("upload refused: {staged}"))
        .to_string();
    println!(
        "| upload (stream, decode, stage) | {upload_secs:.2} | {:.0} | {} rows |",
        rows as f64 / upload_secs,
        staged["totalRows"]
    );
    for (name, dry) in [("dry run", true), ("import", false)] {
        let clock = Instant::now();
        let job = import(&client, &base, &token, &upload, dry).await;
        let secs = clock.elapsed().as_secs_f64();
        println!(
            "| {name} | {secs:.2} | {:.0} | {} created, {} failed, {} |",
            rows as f64 / secs,
            job["created"],
            job["failed"],
            job["status"]
        );
    }
    // A filter job over a tenth of the leads: WEBSITE leads that are NEW or CONTACTED.
    let (mut token, mut signed_in) = (login(&client, &base).await, Instant::now());
    let users = gql(
        &client,
        &base,
        &token,
        "{ users(first: 20) { edges { node { id email } } } }",
        json!({}),
    )
    .await;
    let rep = users["data"]["users"]["edges"]
        .as_array()
        .and_then(|e| e.iter().find(|u| u["node"]["email"] == "rep1@example.com"))
        .map(|u| u["node"]["id"].clone())
        .expect("the demo's rep1");
    let input = json!({ "filter": { "source": "WEBSITE", "status": ["NEW", "CONTACTED"] }, "action": "ASSIGN",
                        "userId": rep, "note": "benchmark territory" });
    let query = "mutation($input: BulkLeadsByFilterInput!) { bulkChangeLeadsByFilter(input: $input) { count job { id } } }";
    let clock = Instant::now();
    let mut dry = input.clone();
    dry["dryRun"] = json!(true);
    let counted = gql(&client, &base, &token, query, json!({ "input": dry })).await;
    let count = counted["data"]["bulkChangeLeadsByFilter"]["count"]
        .as_i64()
        .unwrap_or_else(|| panic!("{counted}"));
    let dry_secs = clock.elapsed().as_secs_f64();
    let mut confirmed = input;
    confirmed["expectedCount"] = json!(count);
    let clock = Instant::now();
    let started = gql(&client, &base, &token, query, json!({ "input": confirmed })).await;
    let job = started["data"]["bulkChangeLeadsByFilter"]["job"]["id"].clone();
    let done = loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if signed_in.elapsed() > FRESH {
            (token, signed_in) = (login(&client, &base).await, Instant::now());
        }
        let state = data(
            gql(
                &client,
                &base,
                &token,
                "query($id: ID!) { bulkLeadJob(id: $id) { status changed } }",
                json!({ "id": job }),
            )
            .await,
        )["bulkLeadJob"]
            .clone();
        if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&state["status"].as_str().unwrap_or("")) {
            break state;
        }
    };
    let secs = clock.elapsed().as_secs_f64();
    println!("| filter job: count (dry run) | {dry_secs:.2} | | {count} leads |");
    println!(
        "| filter job: assign {count} leads | {secs:.2} | {:.0} | {} changed, {} |",
        count as f64 / secs,
        done["changed"],
        done["status"]
    );
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "\nserver RSS: {:.1} MB at rest, {:.1} MB at peak: growth {:.1} MB",
        baseline as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak.saturating_sub(baseline)) as f64 / 1024.0
    );

    if compare > 0 {
        let token = login(&client, &base).await;
        let done = Arc::new(AtomicU64::new(0));
        let clock = Instant::now();
        let workers: Vec<_> = (0..16)
            .map(|w| {
                let (client, base, token, done) = (client.clone(), base.clone(), token.clone(), done.clone());
                tokio::spawn(async move {
                    let mut n = w;
                    while n < compare {
                        let cells: Vec<String> = row(n, "single").trim_end().split(',').map(str::to_string).collect();
                        let input = json!({
                            "firstName": cells[0], "lastName": cells[1], "email": cells[2], "phone": cells[3],
                            "company": cells[4], "jobTitle": cells[5], "country": cells[6], "city": cells[7],
                            "source": cells[8].to_uppercase().replace(' ', "_"), "status": cells[9],
                            "budgetMin": cells[10].parse::<f64>().unwrap(),
                            "attributes": { "plan": cells[11], "seats": cells[12].parse::<f64>().unwrap() } });
                        let answer = gql(&client, &base, &token,
                            "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }",
                            json!({ "input": input })).await;
                        assert!(answer.get("errors").is_none(), "{answer}");
                        done.fetch_add(1, Ordering::Relaxed);
                        n += 16;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        let secs = clock.elapsed().as_secs_f64();
        let rate = done.load(Ordering::Relaxed) as f64 / secs;
        println!(
            "\ncreateLead one request per lead, 16 connections: {compare} leads in {secs:.1} s = {rate:.0} leads/s; {rows} rows would take {:.0} s",
            rows as f64 / rate
        );
    }
    drop(server);
    scratch.drop_database().await;
}
