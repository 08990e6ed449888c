//! The two learning flows of issue 26, through the API of a fresh server:
//!
//! - `-- --after-demo`: as a new user goes. Demo data first (the model the
//!   server trains on its closed leads, put in charge if it beats the
//!   rules), then 4,000 X Education leads, 3,200 with outcomes, then
//!   `trainScoringModel` and nothing else: which model is active, and how
//!   it scores the 800 open leads;
//! - `-- --generated [N]`: N generated B2B leads with outcomes (default
//!   4,000; `tests/support/b2b.rs`: a curve, a threshold, an interaction,
//!   noise) and 1,000 open ones: the learned AUC next to the true model's
//!   on the same open leads.
use std::{sync::Arc, time::Duration};

use chrono::{Duration as Days, Utc};
use leadscore::{
    app::{self, Application},
    entity::user::Role,
    learning::metrics,
    service::scores::learned::schedule,
};
use serde_json::json;
use tokio::sync::Semaphore;

use super::{b2b, fold_of, line, scores, send, support, Api, Row, IN_FLIGHT, PASSWORD};

struct Server {
    api: Arc<Api>,
    core: leadscore::core::Core,
    scratch: support::Scratch,
}

async fn server() -> Server {
    let scratch = support::Scratch::new().await;
    let mut settings = scratch.settings();
    settings.score_sweep_interval_secs = 0;
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
    let core = application.core().clone();
    tokio::spawn(application.run_until_stopped());
    Server { api, core, scratch }
}

async fn admin(api: &Api) -> String {
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
}

async fn key(api: &Api, token: &str) -> String {
    let data = api
        .call(
            token,
            "mutation { createApiKey(name: \"bench\", scopes: [LEADS_WRITE, EVENTS_WRITE, LEADS_READ]) { secret } }",
            json!({}),
        )
        .await;
    format!(
        "ApiKey {}",
        data["createApiKey"]["secret"].as_str().expect("secret")
    )
}

/// The newest model once it stopped training.
async fn newest(api: &Api, token: &str) -> serde_json::Value {
    loop {
        let data = api
            .call(
                token,
                "{ scoringModels(first: 1) { edges { node { id version status labelledLeads
                    metrics { auc aucLow aucHigh method holdout }
                    comparison { against { version rules } leads activeAuc candidateAuc pValue decision reason } } } } }",
                json!({}),
            )
            .await;
        let node = data["scoringModels"]["edges"][0]["node"].clone();
        if node["status"] != "TRAINING" {
            return node;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The active model's version, once every lead in `ids` is scored by it.
async fn rescored(api: &Api, key: &str, token: &str, ids: &[String]) -> (i64, Vec<f64>) {
    let active = loop {
        let data = api
            .call(
                token,
                "{ scoringModels(first: 20) { edges { node { version status } } } }",
                json!({}),
            )
            .await;
        if let Some(v) = data["scoringModels"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["node"]["status"] == "ACTIVE")
        {
            break v["node"]["version"].as_i64().unwrap_or(0);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    loop {
        let all = scores(api, key).await;
        if ids.iter().all(|id| all[id].2 == Some(active)) {
            return (
                active,
                ids.iter().map(|id| all[id].1.unwrap_or(0.0)).collect(),
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub async fn after_demo(rows: Arc<Vec<Row>>) {
    let s = server().await;
    let token = admin(&s.api).await;
    leadscore::demo::seed(&s.core, false, leadscore::demo::DEFAULT_LEADS)
        .await
        .expect("demo data");
    schedule::retrain_if_due(&s.core)
        .await
        .expect("the server's own training");
    let demo = newest(&s.api, &token).await;
    println!(
        "1. demo data: model v{} {} ({})",
        demo["version"], demo["status"], demo["comparison"]["reason"]
    );

    // 4,000 leads by a fixed shuffle; a fifth of them open.
    let key = Arc::new(key(&s.api, &token).await);
    let mut chosen: Vec<usize> = (0..rows.len()).collect();
    chosen.sort_by_key(|i| fold_of(&rows[*i], 1_000_003));
    chosen.truncate(4_000);
    let now = Utc::now();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::new();
    for (n, index) in chosen.iter().copied().enumerate() {
        let (rows, api, key, gate) = (rows.clone(), s.api.clone(), key.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("gate");
            let labelled = n % 5 != 0;
            let id = send(&api, &key, &rows[index], labelled, now).await;
            (index, id, labelled)
        }));
    }
    let mut open = Vec::new();
    for task in tasks {
        let (index, id, labelled) = task.await.expect("sent");
        if !labelled {
            open.push((index, id));
        }
    }
    println!("2. sent 4,000 leads, {} of them open", open.len());
    s.api
        .call(&token, "mutation { trainScoringModel { id } }", json!({}))
        .await;
    let model = newest(&s.api, &token).await;
    println!(
        "3. trainScoringModel: v{} {} labelled {} metrics {} comparison {}",
        model["version"],
        model["status"],
        model["labelledLeads"],
        model["metrics"],
        model["comparison"]
    );
    let ids: Vec<String> = open.iter().map(|(_, id)| id.clone()).collect();
    let (active, p) = rescored(&s.api, &key, &token, &ids).await;
    let y: Vec<bool> = open.iter().map(|(i, _)| rows[*i].converted).collect();
    println!("4. the active model is v{active}; the 800 open leads:");
    println!("| score | AUC | top 20% | Brier | ECE |\n|---|---|---|---|---|");
    println!("{}", line(&format!("learned (v{active})"), &p, &y));
    s.core.tasks().shutdown(Duration::from_secs(5)).await;
    s.scratch.drop_database().await;
}

pub async fn generated(n: usize) {
    let s = server().await;
    let token = admin(&s.api).await;
    let key = Arc::new(key(&s.api, &token).await);
    let history = Arc::new(b2b::generate(n, 101));
    let open = Arc::new(b2b::generate(1_000, 202));
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let send_all = |leads: Arc<Vec<b2b::Lead>>, labelled: bool, first: usize| {
        let (api, key, gate) = (s.api.clone(), key.clone(), gate.clone());
        async move {
            let mut tasks = Vec::new();
            for i in 0..leads.len() {
                let (api, key, gate, leads) =
                    (api.clone(), key.clone(), gate.clone(), leads.clone());
                tasks.push(tokio::spawn(async move {
                    let _permit = gate.acquire().await.expect("gate");
                    send_b2b(&api, &key, &leads[i], first + i, labelled).await
                }));
            }
            let mut ids = Vec::new();
            for task in tasks {
                ids.push(task.await.expect("sent"));
            }
            ids
        }
    };
    send_all(history.clone(), true, 0).await;
    let ids = send_all(open.clone(), false, 1_000_000).await;
    s.api
        .call(&token, "mutation { trainScoringModel { id } }", json!({}))
        .await;
    let model = newest(&s.api, &token).await;
    println!(
        "trained: v{} {} metrics {} comparison {}",
        model["version"], model["status"], model["metrics"], model["comparison"]
    );
    if model["status"] == "READY" {
        s.api
            .call(
                &token,
                "mutation($id: ID!) { activateScoringModel(id: $id) { id } }",
                json!({ "id": model["id"] }),
            )
            .await;
    }
    let (active, p) = rescored(&s.api, &key, &token, &ids).await;
    let y: Vec<bool> = open.iter().map(|l| l.converted).collect();
    let truth: Vec<f64> = open.iter().map(|l| l.p).collect();
    println!("{n} generated leads with outcomes; 1,000 open ones, scored by v{active}:");
    println!("| score | AUC | top 20% | Brier | ECE |\n|---|---|---|---|---|");
    println!("{}", line("true model", &truth, &y));
    println!("{}", line("learned", &p, &y));
    println!(
        "learned AUC {:.4} against the true model's {:.4}: {:.4} short",
        metrics::auc(&p, &y),
        metrics::auc(&truth, &y),
        metrics::auc(&truth, &y) - metrics::auc(&p, &y)
    );
    s.core.tasks().shutdown(Duration::from_secs(5)).await;
    s.scratch.drop_database().await;
}

/// One generated lead and its history through the API; returns its id.
async fn send_b2b(api: &Api, key: &str, lead: &b2b::Lead, n: usize, labelled: bool) -> String {
    let at = if labelled {
        Utc::now() - Days::days(10)
    } else {
        Utc::now()
    };
    let data = api
        .call(
            key,
            "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }",
            json!({ "input": b2b::lead_input(lead, n, at) }),
        )
        .await;
    let id = data["createLead"]["id"].as_str().expect("id").to_string();
    let events = b2b::events_input(lead, &id, at);
    if !events.is_empty() {
        api.call(
            key,
            "mutation($e: [EngagementEventInput!]!) { recordEngagementEvents(events: $e) { id } }",
            json!({ "e": events }),
        )
        .await;
    }
    for activity in b2b::activities_input(lead, &id, at) {
        api.call(
            key,
            "mutation($input: LogActivityInput!) { logActivity(input: $input) { id } }",
            json!({ "input": activity }),
        )
        .await;
    }
    if labelled {
        api.call(
            key,
            "mutation($id: ID!, $s: LeadStatus!, $at: DateTime) {
                updateLead(id: $id, input: { status: $s, statusChangedAt: $at }) { id } }",
            json!({ "id": id, "s": if lead.converted { "WON" } else { "LOST" }, "at": at }),
        )
        .await;
    }
    id
}
