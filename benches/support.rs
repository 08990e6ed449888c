//! What the benchmarks share: a throwaway database and percentiles.
use std::time::Duration;

use leadscore::config::Settings;
use sea_orm::{ConnectionTrait, Database};

/// A database for one run: a SQLite file in a temp dir, or, when
/// BENCH_DATABASE_URL names a PostgreSQL server, a fresh database on it that
/// `drop` removes. Never the server's own databases.
pub struct Scratch {
    pub url: String,
    server: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Scratch {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(server) => {
                let name = format!("leadscore_bench_{}", std::process::id());
                let admin = Database::connect(&server)
                    .await
                    .expect("BENCH_DATABASE_URL connects");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create scratch database");
                let mut url = url::Url::parse(&server).expect("BENCH_DATABASE_URL is a URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    server: Some((server, name)),
                    _dir: dir,
                }
            }
            None => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                );
                Self {
                    url,
                    server: None,
                    _dir: dir,
                }
            }
        }
    }

    /// Server settings for this database: port 0 and a fixed signing key.
    #[allow(dead_code)] // not every benchmark runs the server in-process
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::with_database(self.url.clone());
        settings.bind = ([127, 0, 0, 1], 0).into();
        settings.secret_key = Some("bench-secret-key-that-is-at-least-32-bytes".into());
        settings
    }

    pub async fn drop_database(self) {
        if let Some((server, name)) = self.server {
            let admin = Database::connect(&server).await.expect("connects");
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// "p50 … p95 … p99 … max …" of the samples.
/// The numbers given on the command line (`cargo bench --bench x -- 1000 5`),
/// skipping cargo's own `--bench` flag.
#[allow(dead_code)] // not every benchmark takes numbers
pub fn numbers() -> impl Iterator<Item = usize> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .filter_map(|a| a.parse::<usize>().ok())
}

#[allow(dead_code)] // not every benchmark reports percentiles
pub fn percentiles(mut times: Vec<Duration>) -> String {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    format!(
        "p50 {:.2?}  p95 {:.2?}  p99 {:.2?}  max {:.2?}",
        at(0.50),
        at(0.95),
        at(0.99),
        times[times.len() - 1]
    )
}

/// Inserts a user with a known password hash (arranging a benchmark).
#[allow(dead_code)]
pub async fn user<C: sea_orm::ConnectionTrait>(
    conn: &C,
    email: &str,
    role: leadscore::entity::user::Role,
    hash: String,
) -> leadscore::entity::user::Model {
    use leadscore::values::{Email, FullName, Parse};
    leadscore::service::accounts::sessions::insert_user(
        conn,
        Email::parse(email.into()).expect("email"),
        FullName::parse(format!("Bench {email}")).expect("name"),
        role,
        hash,
    )
    .await
    .expect("user")
}

/// Opens a session for `user_id` as signing in would (its first refresh
/// token) and returns the session id an access token must name.
#[allow(dead_code)] // only the benchmarks that mint tokens
pub async fn session<C: sea_orm::ConnectionTrait>(conn: &C, user_id: uuid::Uuid) -> uuid::Uuid {
    use leadscore::{auth::token, entity::refresh_token};
    use sea_orm::{ActiveModelTrait, Set};
    let family = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    refresh_token::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        user_id: Set(user_id),
        family_id: Set(family),
        token_hash: Set(token::hash_secret(&token::new_opaque_secret())),
        created_at: Set(now),
        expires_at: Set(now + token::REFRESH_TTL),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await
    .expect("session");
    family
}
