//! The embedded SQLite database: its file, its one writer, and another
//! process writing to the same file. SQLite lane only.
use std::time::{Duration, Instant};

use leadscore::entity::user::Role;
use sea_orm::sqlx::{Connection, Executor, SqliteConnection};
use serde_json::json;

use crate::{
    cli::leadscore,
    helpers::{assert_ok, error_code, spawn_app, test_settings, TestDb},
};

fn file_of(url: &str) -> std::path::PathBuf {
    let path = url.trim_start_matches("sqlite://");
    std::path::PathBuf::from(path.split('?').next().unwrap())
}

#[tokio::test]
#[cfg_attr(lane_postgres, ignore = "SQLite lane only")]
async fn the_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let mode = std::fs::metadata(file_of(&app.test_db.url))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "mode {mode:o}");
}

#[tokio::test]
#[cfg_attr(lane_postgres, ignore = "SQLite lane only")]
async fn a_pool_of_more_than_one_sqlite_connection_is_refused_at_start_up() {
    let db = TestDb::new().await;
    let mut settings = test_settings(&db.url);
    settings.db_max_connections = Some(4);

    let Err(refused) = leadscore::app::connect(&settings, true).await else {
        panic!("a pool of 4 SQLite connections was accepted");
    };

    assert!(refused.0.contains("DB_MAX_CONNECTIONS"), "{}", refused.0);
}

#[tokio::test]
#[cfg_attr(lane_postgres, ignore = "SQLite lane only")]
async fn reads_are_answered_while_the_one_writer_waits_for_a_lock() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    app.create_lead(&manager.access, json!({ "lastName": "Before" }))
        .await;
    let mut other = SqliteConnection::connect(&app.test_db.url).await.unwrap();
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    // The server's writer waits for the other process's lock...
    let write = {
        let (url, token) = (app.address.clone(), manager.access.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{url}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": "mutation { createLead(input: {firstName: \"A\", lastName: \"Waiting\"}) { id } }" }))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // ...and reads do not queue behind it.
    let read = app
        .gql(
            "{ leads(first: 5) { edges { node { lastName } } } }",
            json!({}),
            Some(&manager.access),
        )
        .await;
    assert_ok(&read);
    assert!(!write.is_finished(), "the write did not wait for the lock");
    other.execute("COMMIT").await.unwrap();
    assert_ok(&write.await.unwrap());
}

#[tokio::test]
#[cfg_attr(lane_postgres, ignore = "SQLite lane only")]
async fn a_write_waits_for_another_writer_then_reports_a_busy_database_clearly() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let mut other = SqliteConnection::connect(&app.test_db.url).await.unwrap();
    const CREATE: &str =
        "mutation($n: String!) { createLead(input: {firstName: \"A\", lastName: $n}) { id } }";

    // Another process holds the write lock briefly: the write waits, then lands.
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        other.execute("COMMIT").await.unwrap();
        other
    });
    let started = Instant::now();
    let waited = app
        .gql(CREATE, json!({ "n": "Waited" }), Some(&manager.access))
        .await;
    assert_ok(&waited);
    assert!(started.elapsed() >= Duration::from_millis(700));
    let mut other = release.await.unwrap();

    // Held past the busy timeout: DATABASE_UNAVAILABLE with a retry hint, nothing half-written.
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    let busy = app
        .gql(CREATE, json!({ "n": "Busy" }), Some(&manager.access))
        .await;
    other.execute("COMMIT").await.unwrap();
    assert_eq!(error_code(&busy), "DATABASE_UNAVAILABLE");
    assert!(
        busy["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let later = app
        .gql(CREATE, json!({ "n": "Later" }), Some(&manager.access))
        .await;
    assert_ok(&later);
}

#[tokio::test]
#[cfg_attr(lane_postgres, ignore = "SQLite lane only")]
async fn the_rescore_command_finishes_while_the_server_writes() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    for i in 0..30 {
        app.create_lead(&manager.access, json!({ "lastName": format!("L{i}") }))
            .await;
    }
    let writes = {
        let (client, address, token) = (
            app.client.clone(),
            app.address.clone(),
            manager.access.clone(),
        );
        tokio::spawn(async move {
            let mut failures = 0;
            for i in 0..40 {
                let body: serde_json::Value = client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": format!("mutation {{ createLead(input: {{firstName: \"W\", lastName: \"W{i}\"}}) {{ id }} }}") }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                failures += usize::from(body.get("errors").is_some());
            }
            failures
        })
    };

    let db = TestDb::borrowed(&app.test_db.url);
    let output = tokio::task::spawn_blocking(move || leadscore(&db, &["rescore", "--all"], None))
        .await
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(writes.await.unwrap(), 0);
}
