//! Login latency, end to end over HTTP against a release build:
//! `cargo bench --bench login [-- N]`. With BENCH_DATABASE_URL=postgres://...
//! it runs on a scratch database on that server. Argon2id (19 MiB, t=2)
//! dominates.
use std::time::Instant;

use leadscore::{app::Application, auth::password, entity::user::Role};
use serde_json::json;

#[path = "support.rs"]
mod support;

#[tokio::main]
async fn main() {
    let samples: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let scratch = support::Scratch::new().await;
    let settings = scratch.settings();
    let app = Application::build(settings, true)
        .await
        .expect("server starts");
    let addr = app.local_addr();
    let hash = password::hash("bench password".into()).await.expect("hash");
    support::user(app.db(), "bench@example.com", Role::SalesRep, hash).await;
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::new();
    let body = json!({ "query": "mutation { login(email: \"bench@example.com\", password: \"bench password\") { accessToken } }" });
    let mut times = Vec::with_capacity(samples);
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
        // The first three warm the pool and the hashing threads.
        if i >= 3 {
            times.push(started.elapsed());
        }
    }
    println!(
        "login over HTTP, {samples} sequential samples: {}",
        support::percentiles(times)
    );
    scratch.drop_database().await;
}
