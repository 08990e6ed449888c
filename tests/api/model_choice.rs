//! Which model scores, tried in the order a user goes: a first model on a
//! few outcomes, better data later, outcomes arriving over time, demo data
//! first and the user's own history after it. A model replaces the active
//! one only when it is measured better on the same leads; an admin may
//! overrule, on the record; and an active model whose live figures fall
//! starts its own retraining.
use std::time::Duration;

use chrono::{Duration as Days, Utc};
use leadscore::{
    entity::{audit_log, user::Role},
    learning::metrics,
    service::scores::learned::{drift, schedule},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, spawn_app_with, TestApp};

#[path = "../support/b2b.rs"]
mod b2b;

const TRAIN: &str = "mutation { trainScoringModel { id } }";
const MODEL: &str = "query($id: ID!) { scoringModel(id: $id) { id version status trigger labelledLeads
    metrics { auc aucLow aucHigh method holdout }
    comparison { against { version rules } leads won lost activeAuc candidateAuc difference pValue decision reason }
    live { outcomes won lost auc calibrationError drift } } }";

/// Small thresholds, so a test labels hundreds of leads, not thousands.
async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.model_min_labelled = 60;
        s.model_min_per_outcome = 20;
        s.model_min_evaluation_leads = 100;
        s.model_min_evaluation_per_outcome = 20;
        s.score_sweep_interval_secs = 0;
        s.model_retrain_interval_hours = 0;
    })
    .await
}

/// Leads with a plan that came in 40 days ago and closed 10 days ago,
/// won as `won(i)` says.
async fn label(app: &TestApp, admin: &str, from: usize, n: usize, won: impl Fn(usize) -> bool) {
    let came = (Utc::now() - Days::days(40)).to_rfc3339();
    let closed = (Utc::now() - Days::days(10)).to_rfc3339();
    for i in from..from + n {
        let plan = if i % 2 == 0 { "enterprise" } else { "starter" };
        let id = app
            .create_lead(
                admin,
                json!({ "lastName": format!("Past {i}"), "createdAt": came,
                        "attributes": { "plan": plan, "seats": (i % 7) * 10 } }),
            )
            .await;
        let body = app
            .gql(
                "mutation($id: ID!, $s: LeadStatus!, $at: DateTime) {
                    updateLead(id: $id, input: { status: $s, statusChangedAt: $at }) { status } }",
                json!({ "id": id, "s": if won(i) { "WON" } else { "LOST" }, "at": closed }),
                Some(admin),
            )
            .await;
        assert_ok(&body);
    }
}

/// Nine in ten enterprise plans are won, one in ten starter plans.
fn plan_decides(i: usize) -> bool {
    if i % 2 == 0 {
        i % 20 != 4
    } else {
        i % 20 == 3
    }
}

/// The same, the other way round: the market turned.
fn plan_decides_the_other_way(i: usize) -> bool {
    !plan_decides(i)
}

/// Outcomes that do not depend on the plan: two in five, each pair of
/// neighbours (one of each plan) won or lost together.
fn chance(i: usize) -> bool {
    (i / 2) % 5 < 2
}

async fn train(app: &TestApp, admin: &str) -> Value {
    let body = app.gql(TRAIN, json!({}), Some(admin)).await;
    assert_ok(&body);
    let id = body["data"]["trainScoringModel"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    trained(app, admin, &id).await
}

async fn trained(app: &TestApp, admin: &str, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let body = app.gql(MODEL, json!({ "id": id }), Some(admin)).await;
        assert_ok(&body);
        let model = body["data"]["scoringModel"].clone();
        if model["status"] != "TRAINING" {
            return model;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never trained: {model}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_first_model_measured_on_few_leads_never_blocks_a_better_one() {
    let app = app().await;
    let admin = app.signed_in("admin@choice.test", Role::Admin).await;

    // A first model, on 80 early outcomes that point the wrong way: its
    // own cross-validated AUC is high, and measured so it would have
    // blocked every later model.
    label(&app, &admin.access, 0, 80, plan_decides_the_other_way).await;
    let first = train(&app, &admin.access).await;
    assert_eq!(first["status"], "READY", "{first}");
    let reason = first["comparison"]["reason"].as_str().unwrap();
    assert!(reason.contains("only 80 outcomes"), "{reason}");
    assert_eq!(first["comparison"]["against"]["rules"], true);
    assert_eq!(first["comparison"]["decision"], "KEEP_READY");
    // An admin puts it in charge anyway: on the record, with what was overruled.
    let body = app
        .gql(
            "mutation($id: ID!) { activateScoringModel(id: $id) { status } }",
            json!({ "id": first["id"] }),
            Some(&admin.access),
        )
        .await;
    assert_ok(&body);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("scoring_model.activated"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    let details = audited[0].details.clone().unwrap();
    assert!(
        details["overruled"]
            .as_str()
            .unwrap()
            .contains("only 80 outcomes"),
        "{details}"
    );

    // The user's history: 300 outcomes the plan decides.
    label(&app, &admin.access, 80, 300, plan_decides).await;
    let second = train(&app, &admin.access).await;
    assert_eq!(second["status"], "ACTIVE", "a better model wins: {second}");
    let comparison = &second["comparison"];
    assert_eq!(comparison["against"]["version"], first["version"]);
    assert_eq!(
        comparison["leads"], 300,
        "the leads the first never saw: {comparison}"
    );
    assert_eq!(comparison["decision"], "ACTIVATE");
    assert!(
        comparison["pValue"].as_f64().unwrap() < 0.05,
        "{comparison}"
    );
    assert!(
        comparison["candidateAuc"].as_f64().unwrap()
            > comparison["activeAuc"].as_f64().unwrap() + 0.2,
        "{comparison}"
    );
    let m = &second["metrics"];
    assert_eq!(m["method"], "5-fold cross-validation");
    assert!(m["aucLow"].as_f64() < m["auc"].as_f64() && m["auc"].as_f64() < m["aucHigh"].as_f64());

    // At once again: nothing new to tell the two apart.
    let third = train(&app, &admin.access).await;
    assert_eq!(third["status"], "READY");
    assert_eq!(third["comparison"]["leads"], 0);
    assert!(third["comparison"]["reason"]
        .as_str()
        .unwrap()
        .contains("the active model v2"));

    // 150 outcomes the plan does not decide: no model can do better there.
    label(&app, &admin.access, 380, 150, chance).await;
    let fourth = train(&app, &admin.access).await;
    assert_eq!(fourth["status"], "READY", "{fourth}");
    assert_eq!(fourth["comparison"]["leads"], 150);
    assert!(fourth["comparison"]["pValue"].is_number(), "{fourth}");
    let reason = fourth["comparison"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("could be chance") || reason.starts_with("no better"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_model_whose_live_figures_fall_starts_a_retraining_and_tells_the_admins() {
    let app = app().await;
    let admin = app.signed_in("admin@drift.test", Role::Admin).await;
    label(&app, &admin.access, 0, 300, plan_decides).await;
    let first = train(&app, &admin.access).await;
    assert_eq!(first["status"], "ACTIVE", "{first}");
    let measured = first["metrics"]["auc"].as_f64().unwrap();

    // Nothing new yet: live figures with no outcome, no drift.
    let live = drift::watch(&app.core)
        .await
        .unwrap()
        .expect("a model is active");
    assert_eq!(live.outcomes, 0);
    assert!(live.drift.is_none());
    // The market turns: now starter plans win.
    label(&app, &admin.access, 300, 200, plan_decides_the_other_way).await;
    let live = drift::watch(&app.core).await.unwrap().unwrap();

    assert_eq!(live.outcomes, 200);
    assert!(
        live.auc.unwrap() < measured - 0.05,
        "{live:?} against {measured}"
    );
    assert!(live.drift.as_deref().unwrap().contains("below"), "{live:?}");
    let body = app
        .gql(MODEL, json!({ "id": first["id"] }), Some(&admin.access))
        .await;
    let shown = &body["data"]["scoringModel"]["live"];
    assert_eq!(shown["outcomes"], 200, "{body}");
    assert!(shown["drift"].is_string());
    let models = app
        .gql(
            "{ scoringModels(first: 10) { edges { node { id trigger } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let retraining: Vec<&Value> = models["data"]["scoringModels"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["trigger"] == "DRIFT")
        .collect();
    assert_eq!(retraining.len(), 1, "{models}");
    let bell = app
        .gql(
            "{ notifications(first: 5) { edges { node { kind title } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(
        bell["data"]["notifications"]["edges"][0]["node"]["kind"], "MODEL_DRIFT",
        "{bell}"
    );
    let (_, health) = app.health_json().await;
    assert_eq!(health["model"]["live"]["outcomes"], 200, "{health}");

    // Looking again starts no second retraining.
    let id = retraining[0]["node"]["id"].as_str().unwrap().to_string();
    trained(&app, &admin.access, &id).await;
    drift::watch(&app.core).await.unwrap();
    let again = app
        .gql(
            "{ scoringModels(first: 10) { edges { node { trigger } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let drifts = again["data"]["scoringModels"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["trigger"] == "DRIFT")
        .count();
    assert_eq!(drifts, 1, "{again}");
}

/// Sends generated leads through the API as an integration would; returns
/// their ids. Labelled ones closed `at`; open ones are scored now.
async fn send(
    app: &TestApp,
    key: &str,
    leads: &[b2b::Lead],
    first: usize,
    labelled: bool,
) -> Vec<String> {
    use futures_util::StreamExt;
    futures_util::stream::iter(leads.iter().enumerate())
        .map(|(n, lead)| send_one(app, key, lead, first + n, labelled))
        .buffered(8)
        .collect()
        .await
}

async fn send_one(app: &TestApp, key: &str, lead: &b2b::Lead, n: usize, labelled: bool) -> String {
    let at = if labelled {
        Utc::now() - Days::days(10)
    } else {
        Utc::now()
    };
    {
        let body = app
            .gql_as_key(
                "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }",
                json!({ "input": b2b::lead_input(lead, n, at) }),
                key,
            )
            .await;
        let id = body["data"]["createLead"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let events = b2b::events_input(lead, &id, at);
        if !events.is_empty() {
            let body = app
                .gql_as_key(
                    "mutation($e: [EngagementEventInput!]!) { recordEngagementEvents(events: $e) { id } }",
                    json!({ "e": events }),
                    key,
                )
                .await;
            assert_ok(&body);
        }
        for activity in b2b::activities_input(lead, &id, at) {
            let body = app
                .gql_as_key(
                    "mutation($input: LogActivityInput!) { logActivity(input: $input) { id } }",
                    json!({ "input": activity }),
                    key,
                )
                .await;
            assert_ok(&body);
        }
        if labelled {
            let body = app
                .gql_as_key(
                    "mutation($id: ID!, $s: LeadStatus!, $at: DateTime) {
                        updateLead(id: $id, input: { status: $s, statusChangedAt: $at }) { id } }",
                    json!({ "id": id, "s": if lead.converted { "WON" } else { "LOST" }, "at": at }),
                    key,
                )
                .await;
            assert_ok(&body);
        }
        id
    }
}

#[tokio::test]
async fn a_demo_model_gives_way_to_the_model_of_the_users_own_outcomes() {
    // The README's first command: demo data, and the model the server
    // trains by itself on its closed leads. Default thresholds.
    let app = spawn_app_with(|s| {
        s.score_sweep_interval_secs = 0;
        s.model_retrain_interval_hours = 0;
    })
    .await;
    leadscore::demo::seed(&app.core, false, leadscore::demo::DEFAULT_LEADS)
        .await
        .expect("demo data");
    schedule::retrain_if_due(&app.core).await.unwrap();
    let admin = app.signed_in("owner@b2b.test", Role::Admin).await;
    let demo = loop {
        let body = app
            .gql(
                "{ scoringModels(first: 1) { edges { node { id status version } } } }",
                json!({}),
                Some(&admin.access),
            )
            .await;
        let node = body["data"]["scoringModels"]["edges"][0]["node"].clone();
        if node["status"] != "TRAINING" {
            break node;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert_eq!(
        demo["status"], "ACTIVE",
        "the demo's model scores first: {demo}"
    );
    // The user's own history through the API, then their open leads.
    let key = app
        .api_key(
            &admin.access,
            &["LEADS_WRITE", "EVENTS_WRITE", "LEADS_READ"],
        )
        .await;
    let history = b2b::generate(1_200, 11);
    let open = b2b::generate(300, 12);
    send(&app, &key, &history, 0, true).await;
    let ids = send(&app, &key, &open, 10_000, false).await;
    let model = train(&app, &admin.access).await;

    assert_eq!(model["status"], "ACTIVE", "{model}");
    let against = &model["comparison"]["against"];
    assert_eq!(against["version"], demo["version"], "{model}");
    assert_eq!(
        model["comparison"]["leads"], 1_200,
        "the user's outcomes: {model}"
    );
    // Every open lead is rescored with the new model; read as the key does.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut p = Vec::new();
    for id in &ids {
        loop {
            let body = app
                .gql_as_key(
                    "query($id: ID!) { lead(id: $id) { score { conversionProbability model { version } } } }",
                    json!({ "id": id }),
                    &key,
                )
                .await;
            let score = &body["data"]["lead"]["score"];
            if score["model"]["version"] == model["version"] {
                p.push(score["conversionProbability"].as_f64().unwrap());
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never rescored: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let y: Vec<bool> = open.iter().map(|l| l.converted).collect();
    let truth: Vec<f64> = open.iter().map(|l| l.p).collect();
    let (ours, best) = (metrics::auc(&p, &y), metrics::auc(&truth, &y));
    assert!(
        best - ours < 0.05,
        "held-out AUC {ours:.3}, true model {best:.3}"
    );
    assert!(
        metrics::calibration_error(&p, &y, 10) < 0.1,
        "calibration error {}",
        metrics::calibration_error(&p, &y, 10)
    );
}
