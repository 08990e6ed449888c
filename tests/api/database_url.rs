//! Every DATABASE_URL failure that can be produced here gets its class and a
//! paragraph naming the variable, scheme, host and port, never the password.
use std::time::{Duration, Instant};

use leadscore::db::{self, FailureClass};
use sea_orm::{ConnectionTrait, Database};

use crate::helpers::{spawn_app, test_settings};

async fn diagnose(url: &str) -> db::Diagnosis {
    db::connect(&test_settings(url))
        .await
        .err()
        .unwrap_or_else(|| panic!("{url} should not connect"))
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn each_bad_database_url_is_classified_and_explained() {
    let port = closed_port();
    let cases = [
        (
            "mysql://app:s3cr3t-pw@db:3306/leadscore",
            FailureClass::UnsupportedScheme,
            "mysql",
        ),
        (
            "${{ Postgres.DATABASE_URL }}",
            FailureClass::Placeholder,
            "template",
        ),
        (
            "postgres://app:s3cr3t-pw@db:notaport/leadscore",
            FailureClass::Unparsable,
            "cannot be parsed",
        ),
        (
            "postgres://app:s3cr3t-pw@db.leadscore.invalid:5432/leadscore",
            FailureClass::DnsFailure,
            "db.leadscore.invalid",
        ),
        (
            &format!("postgres://app:s3cr3t-pw@127.0.0.1:{port}/leadscore") as &str,
            FailureClass::ConnectionRefused,
            "refused",
        ),
    ];
    for (url, class, mentions) in cases {
        let diag = diagnose(url).await;
        assert_eq!(diag.class, class, "{url}: {}", diag.message);
        assert!(diag.message.contains("DATABASE_URL"), "{}", diag.message);
        assert!(diag.message.contains(mentions), "{url}: {}", diag.message);
        assert!(
            !diag.message.contains("s3cr3t-pw"),
            "password leaked: {}",
            diag.message
        );
    }
}

#[tokio::test]
async fn a_server_that_accepts_but_never_answers_is_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept connections and hold them open without a word.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });

    let diag = diagnose(&format!("postgres://app@127.0.0.1:{port}/leadscore")).await;

    assert_eq!(diag.class, FailureClass::Timeout, "{}", diag.message);
    silent.abort();
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_before_giving_up() {
    let mut settings = test_settings(&format!(
        "postgres://app@127.0.0.1:{}/leadscore",
        closed_port()
    ));
    settings.db_connect_retries = 2;
    let started = Instant::now();

    let diag = db::connect(&settings).await.err().unwrap();

    assert_eq!(diag.class, FailureClass::ConnectionRefused);
    // 0.5 s then 1 s of backoff.
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_server_exits_non_zero_with_the_diagnosis() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(["migrate", "status"])
        .env("DATABASE_URL", "${{ Postgres.DATABASE_URL }}")
        .env("DB_CONNECT_RETRIES", "0")
        .env_remove("SECRET_KEY")
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL holds an unexpanded template"),
        "{stderr}"
    );
}

#[tokio::test]
async fn production_refuses_to_fall_back_to_the_embedded_database() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(["migrate", "status"])
        .env_remove("DATABASE_URL")
        .env("LEADSCORE_ENV", "production")
        .env("SECRET_KEY", "x".repeat(40))
        .current_dir(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL is not set"));
}

/// The PostgreSQL server of the test lane, if this run has one.
fn postgres_admin_url() -> Option<url::Url> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .and_then(|u| url::Url::parse(&u).ok())
}

#[tokio::test]
#[cfg_attr(not(lane_postgres), ignore = "PostgreSQL lane only")]
async fn missing_database_unknown_user_and_tls_failures_are_told_apart_on_postgres() {
    let admin = postgres_admin_url().expect("the PostgreSQL lane sets TEST_DATABASE_URL");
    let mut missing = admin.clone();
    missing.set_path("leadscore_no_such_database");
    let mut stranger = admin.clone();
    let _ = stranger.set_username("no_such_role");
    let _ = stranger.set_password(Some("wrong-password"));

    let mut untrusted_tls = admin.clone();
    untrusted_tls.set_query(Some("sslmode=verify-full"));

    let missing = diagnose(missing.as_str()).await;
    let stranger = diagnose(stranger.as_str()).await;
    let tls = diagnose(untrusted_tls.as_str()).await;

    assert_eq!(
        missing.class,
        FailureClass::DatabaseMissing,
        "{}",
        missing.message
    );
    assert_eq!(
        stranger.class,
        FailureClass::AuthenticationFailed,
        "{}",
        stranger.message
    );
    assert!(!stranger.message.contains("wrong-password"));
    // The local server's certificate is self-signed: verify-full must fail as TLS.
    assert_eq!(tls.class, FailureClass::Tls, "{}", tls.message);
}

#[tokio::test]
async fn health_reports_the_failure_class_when_the_database_is_lost() {
    let app = spawn_app().await;
    let (_, health) = app.health_json().await;
    assert_eq!(health["database"]["connected"], true);
    assert!(health["pool"]["max"].as_u64().unwrap() >= 1);
    let Some(admin) = postgres_admin_url() else {
        eprintln!("losing the database is exercised in the PostgreSQL lane");
        return;
    };
    let name = url::Url::parse(&app.test_db.url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let admin = Database::connect(admin.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();

    let (status, health) = app.health_json().await;
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();

    assert_eq!(status, 503);
    assert_eq!(health["database"]["connected"], false);
    assert_eq!(
        health["database"]["failure"]["class"], "database_missing",
        "{health}"
    );
    assert_eq!(ready.status(), 503);
}
