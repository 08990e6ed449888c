//! Rescore jobs: started by an admin, watched by polling, resumable.
use chrono::{Duration, Utc};
use leadscore::{
    entity::{
        lead,
        rescore_job::{self, JobStatus},
        user::Role,
    },
    service::scores::jobs,
};
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, spawn_app_with, TestApp};

const START: &str =
    "mutation($filter: LeadFilter) { rescoreLeads(filter: $filter) { id status total processed } }";
const JOB: &str =
    "query($id: ID!) { rescoreJob(id: $id) { status total processed error startedAt finishedAt } }";

/// Marks every lead as last scored an hour ago.
async fn make_stale(app: &TestApp) {
    lead::Entity::update_many()
        .col_expr(
            lead::Column::ScoredAt,
            Expr::value(Utc::now() - Duration::hours(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
}

/// Polls the job until it is finished (or 20 s pass).
async fn finished_job(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let body = app.gql(JOB, json!({ "id": id }), Some(token)).await;
        assert_ok(&body);
        let job = body["data"]["rescoreJob"].clone();
        if job["status"] == "SUCCEEDED" || job["status"] == "FAILED" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("rescore job {id} did not finish");
}

async fn scored_at(app: &TestApp, id: &str) -> chrono::DateTime<Utc> {
    lead::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .scored_at
        .unwrap()
}

#[tokio::test]
async fn an_admin_rescores_the_leads_a_filter_selects_and_watches_the_job_finish() {
    // The decay sweep would rescore the leads made stale here on its own.
    let app = spawn_app_with(|s| s.score_sweep_interval_secs = 0).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let new_a = app.create_lead(&admin.access, json!({})).await;
    let new_b = app.create_lead(&admin.access, json!({})).await;
    let qualified = app
        .create_lead(&admin.access, json!({ "status": "QUALIFIED" }))
        .await;
    make_stale(&app).await;
    let before = scored_at(&app, &qualified).await;

    let started = app
        .gql(
            START,
            json!({ "filter": { "status": ["NEW"] } }),
            Some(&admin.access),
        )
        .await;

    assert_ok(&started);
    let job = &started["data"]["rescoreLeads"];
    assert_eq!(job["total"], 2);
    let done = finished_job(&app, &admin.access, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["processed"], 2);
    assert!(done["startedAt"].is_string() && done["finishedAt"].is_string());
    let cutoff = Utc::now() - Duration::minutes(1);
    assert!(scored_at(&app, &new_a).await > cutoff);
    assert!(scored_at(&app, &new_b).await > cutoff);
    assert_eq!(scored_at(&app, &qualified).await, before);
}

#[tokio::test]
async fn only_admins_start_or_read_rescore_jobs() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let started = app.gql(START, json!({}), Some(&admin.access)).await;
    let id = started["data"]["rescoreLeads"]["id"].as_str().unwrap();

    let start = app.gql(START, json!({}), Some(&manager.access)).await;
    let read = app
        .gql(JOB, json!({ "id": id }), Some(&manager.access))
        .await;
    let missing = app
        .gql(
            JOB,
            json!({ "id": "01900000-0000-7000-8000-000000000000" }),
            Some(&admin.access),
        )
        .await;
    let bad_filter = app
        .gql(
            START,
            json!({ "filter": { "search": "x".repeat(101) } }),
            Some(&admin.access),
        )
        .await;

    assert_eq!(error_code(&start), "FORBIDDEN");
    assert_eq!(error_code(&read), "FORBIDDEN");
    assert_eq!(error_code(&missing), "NOT_FOUND");
    assert_eq!(error_code(&bad_filter), "BAD_USER_INPUT");
    assert_eq!(
        bad_filter["errors"][0]["extensions"]["field"],
        "filter.search"
    );
}

#[tokio::test]
async fn a_job_whose_server_stopped_is_taken_over_and_finished() {
    // The test plays the servers that look for abandoned jobs (the app's
    // own watch looks again only after its interval).
    let app = spawn_app_with(|s| s.score_sweep_interval_secs = 0).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    make_stale(&app).await;
    let created = Utc::now() - Duration::minutes(10);
    // As a server leaves a job when it dies half way: RUNNING, heartbeat long silent.
    let job = rescore_job::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        status: Set(JobStatus::Running),
        filter: Set(Default::default()),
        total: Set(1),
        processed: Set(0),
        error: Set(None),
        requested_by: Set(Some(uuid::Uuid::parse_str(&admin.user_id).unwrap())),
        created_at: Set(Utc::now()),
        started_at: Set(Some(created)),
        finished_at: Set(None),
        heartbeat_at: Set(Some(created)),
    }
    .insert(&app.db)
    .await
    .unwrap();

    jobs::resume_abandoned(&app.core).await;
    // A second server looking at the same moment finds nothing left to claim.
    jobs::resume_abandoned(&app.core).await;

    let done = finished_job(&app, &admin.access, &job.id.to_string()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["processed"], 1);
    assert!(scored_at(&app, &lead).await > Utc::now() - Duration::minutes(1));
    let stored = rescore_job::Entity::find()
        .filter(rescore_job::Column::Id.eq(job.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.finished_at.is_some());
}
