//! What the benchmarks that drive the release server share: a database
//! seeded once with `leadscore demo` and kept for later runs, the server as
//! its own process, and a few GraphQL calls. Each benchmark uses a part.
#![allow(dead_code)]
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_leadscore");

/// The server binary: this build's, or LEADSCORE_BIN's (to measure an
/// earlier build with the same benchmark, before and after in one run).
pub fn bin() -> String {
    std::env::var("LEADSCORE_BIN").unwrap_or_else(|_| BIN.to_string())
}
pub const PASSWORD: &str = leadscore::demo::DEMO_PASSWORD;
/// Signs the benchmark's tokens; the data is throwaway demo data.
pub const SECRET_KEY: &str = "http-benchmark-secret-key-0123456789abcdef0123456789abcdef";

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The database of `leads` demo leads for benchmark `name`, kept between
/// runs: `leadscore_<name>_<N>` on the server BENCH_DATABASE_URL names, or
/// `target/<name>-bench/leads-<N>.db`.
pub async fn database(name: &str, leads: usize) -> String {
    match std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(server) => {
            use sea_orm::{ConnectionTrait, Database};
            let name = format!("leadscore_{name}_{leads}");
            let admin = Database::connect(&server)
                .await
                .expect("BENCH_DATABASE_URL connects");
            let exists = admin
                .query_one_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT 1 AS one FROM pg_database WHERE datname = '{name}'"),
                ))
                .await
                .expect("pg_database")
                .is_some();
            if !exists {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
            }
            let mut url = url::Url::parse(&server).expect("a URL");
            url.set_path(&name);
            url.to_string()
        }
        None => {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("target/{name}-bench"));
            std::fs::create_dir_all(&dir).expect("bench dir");
            format!("sqlite://{}/leads-{leads}.db?mode=rwc", dir.display())
        }
    }
}

pub fn seed(url: &str, leads: usize) {
    let started = Instant::now();
    let status = Command::new(BIN)
        .args(["demo", "--leads", &leads.to_string()])
        .env("DATABASE_URL", url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("leadscore demo runs");
    assert!(status.success(), "seeding failed");
    // Large demos are left unscored; score what never was (once: a year's
    // sweep interval makes nothing else stale).
    let status = Command::new(BIN)
        .arg("rescore")
        .env("DATABASE_URL", url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("SCORE_SWEEP_INTERVAL_SECS", "31536000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("leadscore rescore runs");
    assert!(status.success(), "scoring failed");
    println!(
        "database ready ({leads} leads) in {:.1?}",
        started.elapsed()
    );
}

pub async fn start(url: &str) -> Server {
    start_with(url, &[]).await
}

/// [`start`] with more environment for the server (`IMPORT_MAX_BYTES`, say).
pub async fn start_with(url: &str, env: &[(&str, String)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port();
    let child = Command::new(bin())
        .args(["serve", "--no-migrate"])
        .env("DATABASE_URL", url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("LEADSCORE_BIND", format!("127.0.0.1:{port}"))
        .env("METRICS_TOKEN", METRICS_TOKEN)
        .env(
            "RUST_LOG",
            std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .env("SCORE_SWEEP_INTERVAL_SECS", "0")
        .env("MODEL_RETRAIN_INTERVAL_HOURS", "0")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/livez", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer within 30 s");
}

pub async fn gql(client: &reqwest::Client, base: &str, token: Option<&str>, body: &Value) -> Value {
    let mut request = client.post(format!("{base}/graphql")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON")
}

pub async fn token(base: &str, email: &str) -> String {
    let body = json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }", "variables": { "e": email, "p": PASSWORD } });
    let answer = gql(&reqwest::Client::new(), base, None, &body).await;
    answer["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login of {email}: {answer}"))
        .to_string()
}

/// The token `/health.json` needs on the main address.
pub const METRICS_TOKEN: &str = "bench-metrics-token";

pub async fn statements(base: &str) -> u64 {
    let health: Value = reqwest::Client::new()
        .get(format!("{base}/health.json"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("JSON");
    health["statements"].as_u64().unwrap_or(0)
}
