//! Rescoring at scale: `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench rescore [-- LEADS EVENTS_PER_LEAD]` (default 100,000
//! leads with 10 events each: 1,000,000 events).
//!
//! Seeds a scratch PostgreSQL database with the demo generator, adds the
//! events with one `INSERT … SELECT` (a mix of every type over the last 60
//! days, page views with seconds, chat messages with text), then times
//! `leadscore rescore --all` twice: first with no scores stored (every
//! result a new history row), then again (mostly the same results, refreshed
//! in place).
use std::time::Instant;

use leadscore::{app, core::Core, demo, service::scores::sweep};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

#[path = "support.rs"]
mod support;

async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT count(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get("", "n").expect("n")
}

async fn rescore_all(core: &Core, label: &str, leads: i64) {
    let started = Instant::now();
    let rescored = sweep::rescore_stale(
        core,
        chrono::Utc::now() + chrono::Duration::seconds(1),
        |_| {},
    )
    .await
    .expect("rescore");
    let took = started.elapsed();
    println!(
        "{label}: rescored {rescored} of {leads} leads in {took:.1?} ({:.0} leads/s)",
        rescored as f64 / took.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let mut args = support::numbers();
    let leads = args.next().unwrap_or(100_000);
    let per_lead = args.next().unwrap_or(10);
    let scratch = support::Scratch::new().await;
    assert!(
        scratch.url.starts_with("postgres"),
        "this benchmark measures PostgreSQL: set BENCH_DATABASE_URL"
    );
    let settings = scratch.settings();
    let db = app::connect(&settings, true).await.expect("database");
    let core = app::core(&settings, db.clone()).await.expect("core");

    let started = Instant::now();
    demo::seed(&core, false, leads).await.expect("seed");
    db.execute_unprepared("UPDATE leads SET score = NULL, classification = NULL, priority_tier = NULL, score_confidence = NULL, scored_at = NULL; DELETE FROM lead_insights; DELETE FROM lead_scores")
        .await
        .expect("unscored");
    db.execute_unprepared(&format!(
        "INSERT INTO lead_engagement_events (id, lead_id, event_type, occurred_at, metadata, created_at)
         SELECT gen_random_uuid(), l.id, k.kind,
                now() - random() * interval '60 days',
                CASE k.kind
                  WHEN 'PAGE_VIEW' THEN json_build_object('url', '/inventory/' || g, 'seconds', (random() * 300)::int)
                  WHEN 'CHAT_MESSAGE' THEN json_build_object('text', CASE WHEN random() < 0.5
                       THEN 'We need it by Friday, ready to buy' ELSE 'Just looking, no rush' END)
                  ELSE '{{}}'::json END,
                now()
         FROM leads l
         CROSS JOIN generate_series(1, {per_lead}) g
         CROSS JOIN LATERAL (SELECT (ARRAY['EMAIL_SENT','EMAIL_OPENED','EMAIL_CLICKED','EMAIL_REPLIED',
                'PAGE_VIEW','PRICING_VIEW','CALCULATOR_USED','BROCHURE_DOWNLOADED','FORM_SUBMITTED',
                'CHAT_MESSAGE','DEMO_REQUESTED','PAGE_VIEW'])[1 + floor(random() * 12)::int + (g * 0)] AS kind) k"
    ))
    .await
    .expect("events");
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    let events = count(&db, "lead_engagement_events").await;
    let lead_rows = count(&db, "leads").await;
    println!(
        "seeded {lead_rows} leads and {events} events in {:.1?}",
        started.elapsed()
    );

    rescore_all(&core, "first scoring (no scores stored)", lead_rows).await;
    println!(
        "  stored: {} score rows, {} insights",
        count(&db, "lead_scores").await,
        count(&db, "lead_insights").await
    );
    rescore_all(&core, "rescoring (scores stored)", lead_rows).await;
    println!(
        "  stored: {} score rows, {} insights",
        count(&db, "lead_scores").await,
        count(&db, "lead_insights").await
    );
    scratch.drop_database().await;
}
