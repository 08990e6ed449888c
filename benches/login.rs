//! Login latency, end to end over HTTP against a release build:
//! `cargo bench --bench login` (add `-- 200` for more samples).
//!
//! Starts the real server on port 0 with a fresh SQLite file (or, with
//! BENCH_DATABASE_URL=postgres://..., a fresh database created on that server
//! and dropped afterwards), creates one user and signs in sequentially,
//! reporting percentiles. Argon2id (19 MiB, t=2) dominates.
use std::time::{Duration, Instant};

use leadscore::{
    app::Application, auth::password, config::Settings, entity::user::Role, service::accounts,
    validate::Email,
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

#[tokio::main]
async fn main() {
    let samples: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().expect("temp dir");
    let server = std::env::var("BENCH_DATABASE_URL").ok();
    let scratch = format!("leadscore_bench_{}", std::process::id());
    let url = match &server {
        Some(server) => {
            let admin = Database::connect(server)
                .await
                .expect("BENCH_DATABASE_URL connects");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {scratch}"))
                .await
                .expect("create scratch database");
            let mut url = url::Url::parse(server).expect("BENCH_DATABASE_URL is a URL");
            url.set_path(&scratch);
            url.to_string()
        }
        None => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        ),
    };
    let mut settings = Settings::with_database(url);
    settings.bind = ([127, 0, 0, 1], 0).into();
    settings.secret_key = Some("bench-secret-key-that-is-at-least-32-bytes".into());
    let app = Application::build(settings, true)
        .await
        .expect("server starts");
    let addr = app.local_addr();
    let hash = password::hash("bench password".into()).await.expect("hash");
    accounts::insert_user(
        app.db(),
        Email::parse("email", "bench@example.com").unwrap(),
        "Bench".into(),
        Role::SalesRep,
        hash,
        "email",
    )
    .await
    .expect("user");
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::new();
    let body = json!({ "query": "mutation { login(email: \"bench@example.com\", password: \"bench password\") { accessToken } }" });
    let mut times: Vec<Duration> = Vec::with_capacity(samples);
    for i in 0..samples + 3 {
        let started = Instant::now();
        let response: serde_json::Value = client
            .post(format!("http://{addr}/graphql"))
            .json(&body)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert!(
            response["data"]["login"]["accessToken"].is_string(),
            "{response}"
        );
        // The first three warm the pool and caches.
        if i >= 3 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    println!(
        "login over HTTP, {samples} sequential samples: p50 {:?}  p95 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        times[times.len() - 1]
    );
    if let Some(server) = server {
        let admin = Database::connect(&server).await.expect("connects");
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
            .await;
    }
}
