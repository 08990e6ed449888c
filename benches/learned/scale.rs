//! Training at scale (`cargo bench --bench learned -- --scale [N]`, with
//! `BENCH_DATABASE_URL` naming PostgreSQL): N demo leads, each closed WON or
//! LOST 20 days after it came in with odds that depend on its source and
//! its visits, then one training timed from the request to a stored model.
use std::time::{Duration, Instant};

use leadscore::{
    app,
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

    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    let admin = super::support::user(&db, "admin@scale.test", Role::Admin, hash.into()).await;
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
    println!(
        "trained on {} labelled leads in {took:.1?}: status {:?}, metrics {:?}",
        done.labelled_leads, done.status, done.metrics
    );
    // The activation rescores every lead in the background: stop it before
    // the database goes.
    core.tasks().shutdown(Duration::from_secs(5)).await;
    db.close().await.ok();
    scratch.drop_database().await;
}
