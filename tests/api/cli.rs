//! The command line, run as the real binary against a fresh database.
use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

use migration::MigratorTrait;
use serde_json::json;

use crate::helpers::{assert_ok, spawn_app, TestDb, TEST_SECRET};

pub fn leadscore(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("SECRET_KEY", TEST_SECRET)
        .env("DB_CONNECT_RETRIES", "0")
        .env_remove("LEADSCORE_ENV")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn migrate_up_status_down_and_a_guarded_fresh() {
    let db = TestDb::new().await;

    let up = leadscore(&db, &["migrate", "up"], None);
    let status = leadscore(&db, &["migrate", "status"], None);
    let down = leadscore(&db, &["migrate", "down", "1"], None);
    let after_down = leadscore(&db, &["migrate", "status"], None);
    let fresh_unconfirmed = leadscore(&db, &["migrate", "fresh"], None);
    let fresh = leadscore(&db, &["migrate", "fresh", "--yes"], None);

    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert_eq!(
        stdout(&status).matches("Applied").count(),
        migration::Migrator::migrations().len(),
        "{}",
        stdout(&status)
    );
    assert!(down.status.success());
    assert_eq!(
        stdout(&after_down).matches("Pending").count(),
        1,
        "{}",
        stdout(&after_down)
    );
    assert!(!fresh_unconfirmed.status.success());
    assert!(String::from_utf8_lossy(&fresh_unconfirmed.stderr).contains("--yes"));
    assert!(fresh.status.success());
}

#[tokio::test]
async fn schema_prints_the_committed_sdl() {
    let db = TestDb::new().await;

    let output = leadscore(&db, &["schema"], None);

    assert!(output.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(
        stdout(&output),
        committed,
        "stdout holds the SDL and nothing else"
    );
}

#[tokio::test]
async fn user_create_makes_an_admin_who_can_sign_in() {
    let app = spawn_app().await;

    let created = leadscore(
        &app.test_db,
        &[
            "user",
            "create",
            "--email",
            "Boss@Example.com",
            "--name",
            "The Boss",
            "--role",
            "ADMIN",
        ],
        Some("a long admin password\n"),
    );
    let too_short = leadscore(
        &app.test_db,
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "sales_rep",
        ],
        Some("short\n"),
    );

    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let body = app.login("boss@example.com", "a long admin password").await;
    assert_ok(&body);
    assert_eq!(body["data"]["login"]["user"]["role"], json!("ADMIN"));
    assert!(!too_short.status.success());
    assert!(String::from_utf8_lossy(&too_short.stderr).contains("at least 8"));
}

#[tokio::test]
async fn the_demo_command_refuses_production() {
    let db = TestDb::new().await;

    let output = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .arg("demo")
        .env("DATABASE_URL", &db.url)
        .env("SECRET_KEY", TEST_SECRET)
        .env("LEADSCORE_ENV", "production")
        .output()
        .unwrap();

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("refused"));
}

#[tokio::test]
async fn rescore_shows_progress_and_scores_every_lead() {
    let db = TestDb::new().await;
    assert!(leadscore(&db, &["demo", "--leads", "30"], None)
        .status
        .success());

    let output = leadscore(&db, &["rescore", "--all"], None);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rescoring [") && stderr.contains("rescored 30 leads"),
        "{stderr}"
    );
}
