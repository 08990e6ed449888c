//! Training at scale (`cargo bench --bench learned -- --scale [N]`, with
//! `BENCH_DATABASE_URL` naming PostgreSQL): N demo leads, each closed WON or
//! LOST 20 days after it came in with odds that depend on its source and
//! its visits, then one training timed from the request to a stored model,
//! in the process of a running server: its resident memory before, at its
//! peak and a minute after, and the call list's latency from 4 clients
//! before and while it trains.
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use leadscore::{
    app::{self, Application},
    auth::Actor,
    entity::{
        scoring_model::{self, ModelStatus},
        user::Role,
    },
    service::scores::learned::training,
};
use sea_orm::{ConnectionTrait, EntityTrait};

pub async fn run(leads: usize) {
    leadscore::telemetry::init(leadscore::config::LogFormat::Pretty);
    let scratch = super::support::Scratch::new().await;
    assert!(
        scratch.url.starts_with("postgres"),
        "the scale run seeds with PostgreSQL's SQL: set BENCH_DATABASE_URL"
    );
    let mut settings = scratch.settings();
    settings.score_sweep_interval_secs = 0;
    settings.model_retrain_interval_hours = 0;
    let db = app::connect(&settings, true).await.expect("database");
    let core = app::core(&settings, db.clone()).await.expect("core");
    let started = Instant::now();
    leadscore::demo::seed(&core, false, leads)
        .await
        .expect("seed");
    db.execute_unprepared(
        "INSERT INTO lead_engagement_events (id, lead_id, event_type, occurred_at, metadata, created_at)
         SELECT gen_random_uuid(), l.id, 'PAGE_VIEW', l.created_at + g * interval '1 day',
                json_build_object('seconds', (random() * 600)::int, 'pages', 1 + (random() * 5)::int), now()
         FROM leads l CROSS JOIN generate_series(1, 1 + (abs(hashtext(l.id::text)) % 6)) g",
    )
    .await
    .expect("events");
    db.execute_unprepared(
        "WITH odds AS (
           SELECT l.id, l.status, l.created_at,
                  (CASE l.source WHEN 'REFERRAL' THEN 0.6 WHEN 'WEBSITE' THEN 0.35 ELSE 0.15 END
                   + 0.05 * (SELECT count(*) FROM lead_engagement_events e WHERE e.lead_id = l.id)) AS p
           FROM leads l)
         , closed AS (
           UPDATE leads SET status = CASE WHEN random() < odds.p THEN 'WON' ELSE 'LOST' END
           FROM odds WHERE leads.id = odds.id
           RETURNING leads.id, odds.status AS was, leads.status, odds.created_at)
         INSERT INTO lead_status_changes (id, lead_id, from_status, to_status, changed_at, changed_by)
         SELECT gen_random_uuid(), id, was, status, LEAST(now(), created_at + interval '20 days'), NULL
         FROM closed",
    )
    .await
    .expect("outcomes");
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    println!("seeded {leads} labelled leads in {:.1?}", started.elapsed());

    drop(core);
    let hash = leadscore::auth::password::hash(super::PASSWORD.into())
        .await
        .expect("hash");
    let admin = super::support::user(&db, "admin@scale.test", Role::Admin, hash).await;
    let application = Application::with_connection(settings, db.clone())
        .await
        .expect("server starts");
    let base = format!("http://{}", application.local_addr());
    let core = application.core().clone();
    tokio::spawn(application.run_until_stopped());
    let token = login(&base).await;

    let load = Load::start(&base, &token);
    tokio::time::sleep(Duration::from_secs(20)).await;
    let before = load.take();
    let rss_before = memory("VmRSS");
    // The peak from here on (Linux: writing 5 resets VmHWM).
    std::fs::write("/proc/self/clear_refs", "5").ok();
    let actor = Actor::from_user(&admin, None);
    let started = Instant::now();
    let model = training::start(&core, &actor, Vec::new())
        .await
        .expect("training starts");
    let done = loop {
        let row = scoring_model::Entity::find_by_id(model.id)
            .one(&db)
            .await
            .expect("read")
            .expect("the model");
        if row.status != ModelStatus::Training {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = started.elapsed();
    let during = load.take();
    let peak = memory("VmHWM");
    load.stop();
    // What activating it started (rescoring every lead) is not training.
    core.tasks().shutdown(Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let rss_after = memory("VmRSS");
    println!(
        "trained on {} labelled leads in {took:.1?}: status {:?}, metrics {:?}",
        done.labelled_leads, done.status, done.metrics
    );
    println!(
        "resident memory: {} MB before, {} MB at the peak (+{} MB), {} MB a minute after (+{} MB)",
        rss_before / 1024,
        peak / 1024,
        peak.saturating_sub(rss_before) / 1024,
        rss_after / 1024,
        rss_after.saturating_sub(rss_before) / 1024
    );
    println!(
        "the call list from 4 clients: before {}; while training {}",
        super::support::percentiles(before),
        super::support::percentiles(during)
    );
    db.close().await.ok();
    scratch.drop_database().await;
}

/// This process's `field` of /proc/self/status, in KiB.
fn memory(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn login(base: &str) -> String {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": "mutation($p: String!) { login(email: \"admin@scale.test\", password: $p) { accessToken } }",
                                   "variables": { "p": super::PASSWORD } }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("JSON");
    body["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string()
}

/// Four clients asking for the call list back to back.
struct Load {
    times: Arc<Mutex<Vec<Duration>>>,
    stop: Arc<AtomicBool>,
}

impl Load {
    fn start(base: &str, token: &str) -> Self {
        let times = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        for _ in 0..4 {
            let (times, stop) = (times.clone(), stop.clone());
            let (url, token) = (format!("{base}/graphql"), token.to_string());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let body = serde_json::json!({ "query": "{ prioritizedLeads(limit: 5) { rank lead { id } } }" });
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let ok = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if ok {
                        times.lock().unwrap().push(started.elapsed());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
        Self { times, stop }
    }

    /// The latencies since the last take.
    fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.times.lock().unwrap())
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
