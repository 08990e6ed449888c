//! Does the score predict? `cargo bench --bench learned [-- FOLDS]` sends
//! the public X Education lead data set (`../shared/data/leads-x-education/
//! Leads.csv`, or `LEADS_CSV`) through the GraphQL API of a running server,
//! once per fold of a 5-fold split, and reports for the held-out fold the
//! ROC AUC, the conversion rate of the top 20%, the Brier score and the
//! expected calibration error of `conversionProbability`, next to the rule
//! engine's `total` on the same leads. `FOLDS` runs only the first few.
//!
//! Each fold gets a fresh server and database (SQLite, or PostgreSQL with
//! `BENCH_DATABASE_URL`). An integration key sends every lead as an
//! integrator would: the columns as lead fields and `attributes`, each web
//! visit as a `PAGE_VIEW` event (time on site split over the visits), the
//! last activity as the newest event or logged activity; the training
//! folds' `Converted` as WON or LOST, dated after that history. `Tags`,
//! `Lead Quality`, `Lead Profile` and `Last Notable Activity` were filled in
//! after the outcome and are never sent. Then an admin trains, the model is
//! activated, and the held-out leads' scores are read back with the key.
//!
//! `cargo bench --bench learned -- --scale [N]` instead times training on N
//! (default 100,000) labelled leads seeded straight into the database, with
//! the memory it takes and the API's latency while it runs;
//! `-- --check-fit` writes a fit for `benches/learned/check_fit.py` to
//! compare with scikit-learn; `-- --after-demo` and `-- --generated [N]`
//! run the flows of `learned/flows.rs`.
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Duration as Days, Utc};
use leadscore::{
    app::{self, Application},
    entity::user::Role,
    learning::metrics,
};
use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

#[path = "../tests/support/b2b.rs"]
mod b2b;
#[path = "learned/fit_check.rs"]
mod fit_check;
#[path = "learned/flows.rs"]
mod flows;
#[path = "learned/scale.rs"]
mod scale;
#[path = "support.rs"]
mod support;

pub(crate) const PASSWORD: &str = "bench password of the admin";
/// Leads sent at once.
pub(crate) const IN_FLIGHT: usize = 8;
/// Columns filled in after the outcome was known: sending them leaks it.
const LEAKY: [&str; 4] = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Last Notable Activity",
];
/// Columns sent another way than as an attribute.
const MAPPED: [&str; 12] = [
    "Prospect ID",
    "Lead Number",
    "Lead Source",
    "Converted",
    "TotalVisits",
    "Total Time Spent on Website",
    "Page Views Per Visit",
    "Last Activity",
    "Country",
    "City",
    "What is your current occupation",
    "Do Not Email",
];

pub(crate) struct Row {
    number: u64,
    pub(crate) converted: bool,
    fields: HashMap<String, String>,
}

fn rows() -> Vec<Row> {
    let path = std::env::var("LEADS_CSV").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/leads-x-education/Leads.csv"
        )
        .into()
    });
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (set LEADS_CSV to the data set)"));
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a CSV row");
            let fields: HashMap<String, String> = headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_string(), v.trim().to_string()))
                .collect();
            Row {
                number: fields["Lead Number"].parse().expect("Lead Number"),
                converted: fields["Converted"] == "1",
                fields,
            }
        })
        .collect()
}

/// The fold a row is held out in: a fixed shuffle of the lead number.
pub(crate) fn fold_of(row: &Row, folds: u64) -> u64 {
    row.number
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
        % folds
}

/// A form's unanswered default ("Select") is no answer.
fn answered(value: &str) -> Option<&str> {
    (!value.is_empty() && value != "Select").then_some(value)
}

fn source(value: &str) -> &'static str {
    match value.to_lowercase().as_str() {
        "reference" | "referral sites" => "REFERRAL",
        "facebook" | "social media" | "youtubechannel" => "SOCIAL_MEDIA",
        "click2call" => "PHONE",
        "nc_edm" => "EMAIL_CAMPAIGN",
        "" => "OTHER",
        _ => "WEBSITE",
    }
}

/// Every column not mapped elsewhere nor leaky, as a typed attribute.
fn attributes(row: &Row) -> Value {
    let mut out = Map::new();
    for (name, value) in &row.fields {
        if MAPPED.contains(&name.as_str()) || LEAKY.contains(&name.as_str()) {
            continue;
        }
        let Some(value) = answered(value) else {
            continue;
        };
        let key: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let typed = match value {
            "Yes" => json!(true),
            "No" => json!(false),
            v => v
                .parse::<f64>()
                .map(|n| json!(n))
                .unwrap_or_else(|_| json!(v)),
        };
        out.insert(key, typed);
    }
    out.insert("lead_source".into(), json!(row.fields["Lead Source"]));
    out.insert(
        "do_not_email".into(),
        json!(row.fields["Do Not Email"] == "Yes"),
    );
    Value::Object(out)
}

/// A lead's timeline, the same for every lead relative to its creation:
/// visits over the first days, the last activity on day 11, the outcome on
/// day 20. Held-out leads came in 20 days ago, so they are scored at the
/// point in their life the training leads had reached at their outcome.
struct Timeline {
    created: DateTime<Utc>,
}

impl Timeline {
    fn visit(&self, i: u64) -> DateTime<Utc> {
        self.created + Days::hours(1 + i as i64)
    }
    fn last_activity(&self) -> DateTime<Utc> {
        self.created + Days::days(11)
    }
    fn outcome(&self) -> DateTime<Utc> {
        self.created + Days::days(20)
    }
}

/// The last activity as the event kind, or logged activity, that says it.
fn last_activity(value: &str, lead: &str, at: DateTime<Utc>) -> Option<(&'static str, Value)> {
    let event = |kind: &str, metadata: Value| json!({ "leadId": lead, "type": kind, "occurredAt": at, "metadata": metadata });
    let activity = |kind: &str, direction: Option<&str>, summary: &str| {
        json!({ "leadId": lead, "kind": kind, "direction": direction,
                "summary": summary, "occurredAt": at })
    };
    Some(match value {
        "Email Opened" => ("event", event("EMAIL_OPENED", json!({}))),
        "Email Link Clicked" | "View in browser link Clicked" => {
            ("event", event("EMAIL_CLICKED", json!({})))
        }
        "Email Bounced" => ("event", event("EMAIL_BOUNCED", json!({}))),
        "Unsubscribed" => ("event", event("EMAIL_UNSUBSCRIBED", json!({}))),
        "Email Marked Spam" => ("event", event("EMAIL_MARKED_SPAM", json!({}))),
        "Olark Chat Conversation" => (
            "event",
            event("CHAT_MESSAGE", json!({ "text": "Chat on the website" })),
        ),
        "Page Visited on Website" => (
            "event",
            event("PAGE_VIEW", json!({ "seconds": 0, "pages": 1 })),
        ),
        "Converted to Lead" | "Form Submitted on Website" => {
            ("event", event("FORM_SUBMITTED", json!({})))
        }
        "Had a Phone Conversation" => ("event", event("CALL_COMPLETED", json!({}))),
        "SMS Sent" => ("activity", activity("SMS", Some("OUTBOUND"), "SMS sent")),
        "Unreachable" => (
            "activity",
            activity("CALL", Some("OUTBOUND"), "Called: unreachable"),
        ),
        "Email Received" => (
            "activity",
            activity("EMAIL", Some("INBOUND"), "Email received"),
        ),
        "Approached upfront" | "Visited Booth in Tradeshow" => {
            ("activity", activity("MEETING", None, value))
        }
        "Resubscribed to emails" => ("activity", activity("OTHER", None, value)),
        _ => return None,
    })
}

pub(crate) struct Api {
    pub(crate) client: reqwest::Client,
    pub(crate) url: String,
}

impl Api {
    pub(crate) async fn call(&self, auth: &str, query: &str, variables: Value) -> Value {
        for attempt in 0..5 {
            let response = self
                .client
                .post(&self.url)
                .header("authorization", auth)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await;
            let body: Value = match response {
                Ok(r) => r.json().await.expect("a JSON body"),
                Err(e) if attempt < 4 => {
                    eprintln!("retrying after {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                Err(e) => panic!("request failed: {e}"),
            };
            let code = body["errors"][0]["extensions"]["code"].as_str();
            if matches!(code, Some("DATABASE_UNAVAILABLE" | "TOO_MANY_REQUESTS")) && attempt < 4 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            assert!(body.get("errors").is_none(), "{query}: {body}");
            return body["data"].clone();
        }
        unreachable!("the loop returns or panics")
    }
}

/// Sends one lead and its history; returns its id.
pub(crate) async fn send(
    api: &Api,
    key: &str,
    row: &Row,
    labelled: bool,
    now: DateTime<Utc>,
) -> String {
    let f = &row.fields;
    let age = if labelled { 40 } else { 20 };
    // Spread arrivals over a day so leads do not share a timestamp.
    let timeline = Timeline {
        created: now - Days::days(age) + Days::seconds((row.number % 86_400) as i64 - 86_400),
    };
    let mut input = json!({
        "firstName": "Lead",
        "lastName": row.number.to_string(),
        "source": source(&f["Lead Source"]),
        "attributes": attributes(row),
        "createdAt": timeline.created,
        "allowDuplicate": true,
    });
    for (column, field) in [
        ("Country", "country"),
        ("City", "city"),
        ("What is your current occupation", "jobTitle"),
    ] {
        if let Some(value) = answered(&f[column]) {
            input[field] = json!(value);
        }
    }
    let data = api
        .call(
            key,
            "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    let id = data["createLead"]["id"].as_str().expect("id").to_string();

    let visits = f["TotalVisits"].parse::<f64>().unwrap_or(0.0).round() as u64;
    let seconds = f["Total Time Spent on Website"]
        .parse::<f64>()
        .unwrap_or(0.0);
    let pages = f["Page Views Per Visit"].parse::<f64>().unwrap_or(0.0);
    let mut events: Vec<Value> = (0..visits)
        .map(|i| {
            json!({ "leadId": id, "type": "PAGE_VIEW", "occurredAt": timeline.visit(i),
                    "metadata": { "seconds": (seconds / visits as f64).round() as u64,
                                  "pages": pages.round() as u64 } })
        })
        .collect();
    let last = last_activity(&f["Last Activity"], &id, timeline.last_activity());
    match last {
        Some(("event", event)) => events.push(event),
        Some((_, activity)) => {
            api.call(
                key,
                "mutation($input: LogActivityInput!) { logActivity(input: $input) { id } }",
                json!({ "input": activity }),
            )
            .await;
        }
        None => {}
    }
    if !events.is_empty() {
        api.call(
            key,
            "mutation($e: [EngagementEventInput!]!) { recordEngagementEvents(events: $e) { id } }",
            json!({ "e": events }),
        )
        .await;
    }
    if labelled {
        let status = if row.converted { "WON" } else { "LOST" };
        api.call(
            key,
            "mutation($id: ID!, $s: LeadStatus!, $at: DateTime) {
                updateLead(id: $id, input: { status: $s, statusChangedAt: $at }) { id } }",
            json!({ "id": id, "s": status, "at": timeline.outcome() }),
        )
        .await;
    }
    id
}

/// Every lead's score as the key reads it: id → (total, probability, version).
pub(crate) async fn scores(
    api: &Api,
    key: &str,
) -> HashMap<String, (f64, Option<f64>, Option<i64>)> {
    let mut out = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let data = api
            .call(
                key,
                "query($after: String) { leads(first: 100, after: $after) {
                    pageInfo { hasNextPage endCursor }
                    edges { node { id score { total conversionProbability model { version } } } } } }",
                json!({ "after": after }),
            )
            .await;
        for edge in data["leads"]["edges"].as_array().expect("edges") {
            let node = &edge["node"];
            let score = &node["score"];
            out.insert(
                node["id"].as_str().expect("id").to_string(),
                (
                    score["total"].as_f64().unwrap_or(0.0),
                    score["conversionProbability"].as_f64(),
                    score["model"]["version"].as_i64(),
                ),
            );
        }
        let page = &data["leads"]["pageInfo"];
        if page["hasNextPage"] != true {
            return out;
        }
        after = page["endCursor"].as_str().map(String::from);
    }
}

struct FoldResult {
    fold: u64,
    truth: Vec<bool>,
    rules: Vec<f64>,
    learned: Vec<f64>,
    model: Value,
    import: Duration,
    training: Duration,
}

async fn run_fold(rows: Arc<Vec<Row>>, fold: u64, folds: u64) -> FoldResult {
    let scratch = support::Scratch::new().await;
    let mut settings = scratch.settings();
    settings.score_sweep_interval_secs = 0;
    // Training is asked for by hand here, once every lead is in.
    settings.model_retrain_interval_hours = 0;
    let db = app::connect(&settings, true).await.expect("database");
    let hash = leadscore::auth::password::hash(PASSWORD.into())
        .await
        .expect("hash");
    support::user(&db, "admin@bench.test", Role::Admin, hash).await;
    let application = Application::with_connection(settings, db)
        .await
        .expect("server starts");
    let api = Arc::new(Api {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
        url: format!("http://{}/graphql", application.local_addr()),
    });
    tokio::spawn(application.run_until_stopped());

    let admin = async |api: &Api| {
        let data = api
            .call(
                "",
                "mutation { login(email: \"admin@bench.test\", password: \"bench password of the admin\") { accessToken } }",
                json!({}),
            )
            .await;
        format!(
            "Bearer {}",
            data["login"]["accessToken"].as_str().expect("token")
        )
    };
    let token = admin(&api).await;
    let data = api
        .call(
            &token,
            "mutation { createApiKey(name: \"csv import\", scopes: [LEADS_WRITE, EVENTS_WRITE, LEADS_READ]) { secret } }",
            json!({}),
        )
        .await;
    let key = Arc::new(format!(
        "ApiKey {}",
        data["createApiKey"]["secret"].as_str().expect("secret")
    ));

    let started = Instant::now();
    let now = Utc::now();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::new();
    for index in 0..rows.len() {
        let (rows, api, key, gate) = (rows.clone(), api.clone(), key.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("gate");
            let row = &rows[index];
            let held_out = fold_of(row, folds) == fold;
            let id = send(&api, &key, row, !held_out, now).await;
            (index, id, held_out)
        }));
    }
    let mut held_out: Vec<(usize, String)> = Vec::new();
    for task in tasks {
        let (index, id, out) = task.await.expect("lead sent");
        if out {
            held_out.push((index, id));
        }
    }
    let import = started.elapsed();
    let before = scores(&api, &key).await;
    let rules: Vec<f64> = held_out.iter().map(|(_, id)| before[id].0).collect();

    let started = Instant::now();
    let token = admin(&api).await;
    let data = api
        .call(&token, "mutation { trainScoringModel { id } }", json!({}))
        .await;
    let model_id = data["trainScoringModel"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let model = loop {
        let data = api
            .call(
                &token,
                "query($id: ID!) { scoringModel(id: $id) { version status error labelledLeads won lost
                    metrics { auc rulesAuc brier calibrationError topDecileLift holdout }
                    features { name importance } } }",
                json!({ "id": model_id }),
            )
            .await;
        let model = data["scoringModel"].clone();
        if model["status"] != "TRAINING" {
            break model;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let training = started.elapsed();
    assert_ne!(model["status"], "FAILED", "training failed: {model}");
    if model["status"] == "READY" {
        api.call(
            &token,
            "mutation($id: ID!) { activateScoringModel(id: $id) { id } }",
            json!({ "id": model_id }),
        )
        .await;
    }
    let version = model["version"].as_i64();
    let after = loop {
        let after = scores(&api, &key).await;
        if held_out.iter().all(|(_, id)| after[id].2 == version) {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let learned: Vec<f64> = held_out
        .iter()
        .map(|(_, id)| after[id].1.expect("a learned score has a probability"))
        .collect();
    if fold == 0 {
        explain(&api, &key, &held_out, &learned).await;
    }
    let truth = held_out.iter().map(|(i, _)| rows[*i].converted).collect();
    drop(api);
    scratch.drop_database().await;
    FoldResult {
        fold,
        truth,
        rules,
        learned,
        model,
        import,
        training,
    }
}

/// The drivers of the most and the least likely held-out lead, as a rep
/// reads them.
async fn explain(api: &Api, key: &str, held_out: &[(usize, String)], p: &[f64]) {
    let order = |a: &usize, b: &usize| p[*a].total_cmp(&p[*b]);
    let indices: Vec<usize> = (0..p.len()).collect();
    let best = indices.iter().copied().max_by(order);
    let worst = indices.iter().copied().min_by(order);
    for (label, index) in [("most likely", best), ("least likely", worst)] {
        let Some(index) = index else { continue };
        let data = api
            .call(
                key,
                "query($id: ID!) { lead(id: $id) { score { total classification
                    conversionProbability drivers { text } } } }",
                json!({ "id": held_out[index].1 }),
            )
            .await;
        let score = &data["lead"]["score"];
        let drivers: Vec<&str> = score["drivers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["text"].as_str())
            .collect();
        println!(
            "{label} held-out lead: total {} {} (p = {:.2}); drivers: {}",
            score["total"],
            score["classification"],
            score["conversionProbability"].as_f64().unwrap_or(0.0),
            drivers.join("; ")
        );
    }
}

pub(crate) fn line(name: &str, p: &[f64], y: &[bool]) -> String {
    format!(
        "| {name:<24} | {:>5.3} | {:>5.1}% | {:>5.3} | {:>5.3} |",
        metrics::auc(p, y),
        100.0 * metrics::top_rate(p, y, 0.2),
        metrics::brier(p, y),
        metrics::calibration_error(p, y, 10),
    )
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--scale") {
        scale::run(support::numbers().next().unwrap_or(100_000)).await;
        return;
    }
    if std::env::args().any(|a| a == "--check-fit") {
        fit_check::run(&rows());
        return;
    }
    if std::env::args().any(|a| a == "--after-demo") {
        flows::after_demo(Arc::new(rows())).await;
        return;
    }
    if std::env::args().any(|a| a == "--generated") {
        flows::generated(support::numbers().next().unwrap_or(4_000)).await;
        return;
    }
    let folds = 5;
    let run = support::numbers()
        .next()
        .map_or(folds, |n| n as u64)
        .min(folds);
    let rows = Arc::new(rows());
    let base = rows.iter().filter(|r| r.converted).count() as f64 / rows.len() as f64;
    println!(
        "{} leads, {:.1}% converted; {run} of {folds} folds",
        rows.len(),
        100.0 * base
    );
    let mut all = (Vec::new(), Vec::new(), Vec::new());
    let mut predictions = String::from("fold,converted,rules_total,probability\n");
    println!("| score                    |  AUC  | top 20% | Brier |  ECE  |");
    println!("|--------------------------|-------|---------|-------|-------|");
    for fold in 0..run {
        let result = run_fold(rows.clone(), fold, folds).await;
        // The rule total on the probability scale, for Brier and ECE.
        let rules: Vec<f64> = result.rules.iter().map(|t| t / 100.0).collect();
        println!(
            "{}",
            line(
                &format!("fold {} rules", result.fold),
                &rules,
                &result.truth
            )
        );
        println!(
            "{}",
            line(
                &format!("fold {} learned", result.fold),
                &result.learned,
                &result.truth
            )
        );
        eprintln!(
            "fold {}: import {:.1?}, training {:.1?}; model {}",
            result.fold, result.import, result.training, result.model
        );
        for ((y, r), p) in result.truth.iter().zip(&rules).zip(&result.learned) {
            predictions.push_str(&format!("{},{},{},{}\n", result.fold, u8::from(*y), r, p));
        }
        all.0.extend(result.truth);
        all.1.extend(rules);
        all.2.extend(result.learned);
    }
    println!("{}", line("all folds, rules", &all.1, &all.0));
    println!("{}", line("all folds, learned", &all.2, &all.0));
    let out = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/learned-predictions.csv"
    );
    std::fs::write(out, predictions).expect("predictions written");
    println!("predictions: {out}");
}
