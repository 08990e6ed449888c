//! Bulk changes by filter: counted first, confirmed by count, run in the
//! background, resumable, one notification per person.
use std::time::Duration;

use chrono::Utc;
use leadscore::{
    entity::{
        audit_log, lead, lead_bulk_job,
        lead_bulk_job::{BulkAction, BulkParams},
        lead_status_change,
        user::Role,
    },
    service::{
        bulk_jobs::{self, run, BulkRequest},
        leads::LeadFilter,
    },
};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, spawn_app_with, TestApp};

const BULK: &str = "mutation($input: BulkLeadsByFilterInput!) {
    bulkChangeLeadsByFilter(input: $input) { count sample { id } job { id status total } } }";
const JOB: &str =
    "query($id: ID!) { bulkLeadJob(id: $id) { status total processed changed error finishedAt } }";

async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let body = app.gql(JOB, json!({ "id": id }), Some(token)).await;
        assert_ok(&body);
        let job = body["data"]["bulkLeadJob"].clone();
        if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("bulk job {id} did not finish");
}

async fn notifications(app: &TestApp, token: &str) -> Vec<String> {
    let body = app
        .gql(
            "{ notifications(first: 20) { edges { node { body } } } }",
            json!({}),
            Some(token),
        )
        .await;
    assert_ok(&body);
    body["data"]["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_manager_reassigns_every_lead_a_filter_selects_after_confirming_the_count() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let from = app.signed_in("from@example.com", Role::SalesRep).await;
    let to = app.signed_in("to@example.com", Role::SalesRep).await;
    for n in 0..30 {
        let lead = app
            .create_lead(
                &manager.access,
                json!({ "lastName": format!("Territory {n}") }),
            )
            .await;
        app.assign(&manager.access, &lead, &from.user_id).await;
    }
    app.create_lead(&manager.access, json!({ "lastName": "Elsewhere" }))
        .await;
    let input = |extra: Value| {
        let mut input = json!({ "filter": { "assigneeId": from.user_id }, "action": "ASSIGN",
                                "userId": to.user_id, "note": "territories" });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "input": input })
    };

    let dry = app
        .gql(
            BULK,
            input(json!({ "dryRun": true })),
            Some(&manager.access),
        )
        .await;
    assert_ok(&dry);
    let dry = &dry["data"]["bulkChangeLeadsByFilter"];
    assert_eq!(dry["count"], 30);
    assert_eq!(dry["sample"].as_array().unwrap().len(), 10);
    assert!(dry["job"].is_null());

    let body = app.gql(BULK, input(json!({})), Some(&manager.access)).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "expectedCount");
    let body = app
        .gql(
            BULK,
            input(json!({ "expectedCount": 29 })),
            Some(&manager.access),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "CONFLICT",
        "the count moved: nothing starts"
    );

    let body = app
        .gql(
            BULK,
            input(json!({ "expectedCount": 30 })),
            Some(&manager.access),
        )
        .await;
    assert_ok(&body);
    let id = body["data"]["bulkChangeLeadsByFilter"]["job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = finished(&app, &manager.access, &id).await;
    assert_eq!(job["status"], "SUCCEEDED", "{job}");
    assert_eq!(
        [&job["processed"], &job["changed"]],
        [&json!(30), &json!(30)]
    );
    let mine = app
        .gql(
            "{ myLeads(first: 50) { totalCount } }",
            json!({}),
            Some(&to.access),
        )
        .await;
    assert_eq!(mine["data"]["myLeads"]["totalCount"], 30, "{mine}");
    let received = notifications(&app, &to.access).await;
    assert_eq!(received.len(), 1, "one notification, not 30: {received:?}");
    assert!(
        received[0].starts_with("30 leads assigned to you"),
        "{received:?}"
    );
    let lost = notifications(&app, &from.access).await;
    assert_eq!(
        lost.iter().filter(|b| b.contains("transferred")).count(),
        1,
        "{lost:?}"
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("lead.transferred"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 30);
    assert!(audited.iter().all(|a| a
        .details
        .as_ref()
        .is_some_and(|d| d["operation"] == json!(id))));
}

#[tokio::test]
async fn a_rep_changes_by_filter_only_their_own_leads_and_deletes_none() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    for n in 0..3 {
        app.create_lead(&rep.access, json!({ "lastName": format!("Mine {n}") }))
            .await;
    }
    app.create_lead(&manager.access, json!({ "lastName": "Not mine" }))
        .await;
    let body = app
        .gql(
            BULK,
            json!({ "input": { "filter": {}, "action": "SET_STATUS", "status": "CONTACTED", "dryRun": true } }),
            Some(&rep.access),
        )
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["bulkChangeLeadsByFilter"]["count"], 3,
        "only what the rep sees"
    );
    let body = app
        .gql(
            BULK,
            json!({ "input": { "filter": {}, "action": "DELETE", "dryRun": true } }),
            Some(&rep.access),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app
        .gql(
            BULK,
            json!({ "input": { "filter": {}, "action": "SET_STATUS", "status": "CONTACTED", "expectedCount": 3 } }),
            Some(&rep.access),
        )
        .await;
    assert_ok(&body);
    let id = body["data"]["bulkChangeLeadsByFilter"]["job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = finished(&app, &rep.access, &id).await;
    assert_eq!(job["changed"], 3, "{job}");
    let body = app
        .gql(JOB, json!({ "id": id }), Some(&manager.access))
        .await;
    assert_eq!(
        error_code(&body),
        "NOT_FOUND",
        "a job is its requester's (and admins')"
    );
    let untouched = lead::Entity::find()
        .filter(lead::Column::LastName.eq("Not mine"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.status, lead::LeadStatus::New);
}

#[tokio::test]
async fn a_bulk_job_killed_mid_way_is_taken_over_and_changes_each_lead_once() {
    let app = spawn_app_with(|s| s.score_sweep_interval_secs = 0).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let mut csv = String::from("First,Last\n");
    for n in 0..600 {
        csv.push_str(&format!("Bulk,{n}\n"));
    }
    let upload: Value = app
        .client
        .post(format!("{}/imports", app.address))
        .bearer_auth(&manager.access)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = app
        .gql(
            "mutation($input: CreateLeadImportInput!) { createLeadImport(input: $input) { id } }",
            json!({ "input": { "uploadId": upload["id"], "mapping": [
                { "column": "First", "field": "firstName" }, { "column": "Last", "field": "lastName" }] } }),
            Some(&manager.access),
        )
        .await;
    assert_ok(&body);
    let import = body["data"]["createLeadImport"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..600 {
        let body = app
            .gql(
                "query($id: ID!) { leadImport(id: $id) { status } }",
                json!({ "id": import }),
                Some(&manager.access),
            )
            .await;
        if body["data"]["leadImport"]["status"] == "SUCCEEDED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (_, replica) = app.replica().await;
    let actor = app.actor(&manager.user_id).await;
    let started = bulk_jobs::start(
        &replica,
        &actor,
        BulkRequest {
            filter: LeadFilter::default(),
            action: BulkAction::SetStatus,
            params: BulkParams {
                status: Some(lead::LeadStatus::Contacted),
                batch: 25,
                ..Default::default()
            },
            expected_count: Some(600),
            dry_run: false,
        },
    )
    .await
    .unwrap();
    let job = started.job.unwrap();
    loop {
        let now = lead_bulk_job::Entity::find_by_id(job.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if now.processed >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    replica.tasks().shutdown(Duration::ZERO).await;
    let stopped = lead_bulk_job::Entity::find_by_id(job.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stopped.processed < 600,
        "killed mid-way: {}",
        stopped.processed
    );
    lead_bulk_job::Entity::update_many()
        .col_expr(
            lead_bulk_job::Column::HeartbeatAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(10)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    run::resume_abandoned(&app.core).await;
    run::resume_abandoned(&app.core).await;
    let done = finished(&app, &manager.access, &job.id.to_string()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(
        [&done["processed"], &done["changed"]],
        [&json!(600), &json!(600)],
        "{done}"
    );
    let contacted = lead_status_change::Entity::find()
        .filter(lead_status_change::Column::ToStatus.eq(lead::LeadStatus::Contacted))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(contacted, 600, "each lead moved once");
    let still_new = lead::Entity::find()
        .filter(lead::Column::Status.eq(lead::LeadStatus::New))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(still_new, 0);
}
