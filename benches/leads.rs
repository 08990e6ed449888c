//! Lead list speed at scale: `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench leads [-- LEADS]` (default 100,000 leads).
//!
//! Seeds a scratch database with the demo generator, then times over HTTP
//! (loopback, so an upper bound on server time) the first page of 50 leads
//! by score with their assignee, and a surname search, for a manager and
//! for a sales rep, and the call list; it also times rescoring every lead,
//! and prints PostgreSQL's EXPLAIN ANALYZE of each query.
use std::time::Instant;

use leadscore::{
    app::{self, Application},
    auth::Actor,
    demo,
    entity::user,
    service::{
        leads::{self, listing::page_plan, LeadFilter, LeadOrder, LeadOrderField, LeadPageRequest},
        scores::sweep,
    },
    values::{Parse, Text},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement,
};
use serde_json::{json, Value};

#[path = "support.rs"]
mod support;

const SAMPLES: usize = 200;
const BY_SCORE: &str = "{ leads(first: 50, orderBy: { field: SCORE, direction: DESC }) { edges { node { id fullName assignee { fullName } } } } }";
const CALL_LIST: &str = "{ prioritizedLeads(limit: 5) { rank reasons talkingPoints lead { id fullName } score { total priorityTier } } }";
/// A page with what a rep's screen shows of each lead: the score with its
/// factors, the insights and the latest activities.
const HEAVY: &str = "{ leads(first: 50, orderBy: { field: SCORE, direction: DESC }) { edges { node { id fullName score { total classification factors { name points evidence } } insights { kind text } activities(first: 3) { edges { node { kind summary } } } } } } }";
const SEARCH: &str = "{ leads(first: 50, filter: { search: \"smi\" }) { edges { node { id fullName assignee { fullName } } } } }";

async fn token(client: &reqwest::Client, base: &str, email: &str) -> String {
    let login = json!({ "query": format!("mutation {{ login(email: \"{email}\", password: \"{}\") {{ accessToken }} }}", demo::DEMO_PASSWORD) });
    let body: Value = client
        .post(format!("{base}/graphql"))
        .json(&login)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    body["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string()
}

async fn time(client: &reqwest::Client, base: &str, token: &str, query: &str) -> String {
    let mut times = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 10 {
        let started = Instant::now();
        let body: Value = client
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert!(body.get("errors").is_none(), "{body}");
        if i >= 10 {
            times.push(started.elapsed());
        }
    }
    support::percentiles(times)
}

/// Prints PostgreSQL's EXPLAIN ANALYZE of a query the API runs.
async fn print_plan(db: &sea_orm::DatabaseConnection, label: &str, statement: Statement) {
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN (ANALYZE, BUFFERS) {}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    println!("\n--- EXPLAIN ANALYZE: {label}\n{}", statement.sql);
    for row in db.query_all_raw(explain).await.expect("explain") {
        println!(
            "  {}",
            row.try_get::<String>("", "QUERY PLAN").unwrap_or_default()
        );
    }
}

async fn explain(
    db: &sea_orm::DatabaseConnection,
    label: &str,
    actor: &Actor,
    filter: LeadFilter,
    order: LeadOrder,
) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let plan = page_plan(
        actor,
        &filter,
        order,
        &LeadPageRequest {
            first: Some(50),
            ..Default::default()
        },
    )
    .expect("plan");
    print_plan(db, label, plan.query.build(DbBackend::Postgres)).await;
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let scratch = support::Scratch::new().await;
    let settings = scratch.settings();
    let db = app::connect(&settings, true).await.expect("database");
    let core = app::core(&settings, db.clone()).await.expect("core");
    let started = Instant::now();
    demo::seed(&core, false, count).await.expect("seed");
    println!(
        "seeded {count} leads (with activities, notes, assignments) in {:.1?}",
        started.elapsed()
    );
    // Fresh statistics, as autovacuum would gather them on a live database.
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    let started = Instant::now();
    let rescored = sweep::rescore_stale(
        &core,
        chrono::Utc::now() + chrono::Duration::seconds(1),
        |_| {},
    )
    .await
    .expect("rescore");
    println!(
        "rescored {rescored} leads in {:.1?} (leadscore rescore --all)",
        started.elapsed()
    );
    db.execute_unprepared("ANALYZE").await.expect("analyze");

    let application = Application::with_connection(settings, db.clone())
        .await
        .expect("server");
    let base = format!("http://{}", application.local_addr());
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::new();
    let manager = token(&client, &base, "manager@example.com").await;
    let rep = token(&client, &base, "rep1@example.com").await;

    println!("over HTTP, {SAMPLES} sequential samples each:");
    println!(
        "  manager, 50 by score + assignee: {}",
        time(&client, &base, &manager, BY_SCORE).await
    );
    println!(
        "  manager, 50 by score + score, factors, insights, activities: {}",
        time(&client, &base, &manager, HEAVY).await
    );
    println!(
        "  manager, search 'smi' + assignee: {}",
        time(&client, &base, &manager, SEARCH).await
    );
    println!(
        "  rep,     50 by score + assignee: {}",
        time(&client, &base, &rep, BY_SCORE).await
    );
    println!(
        "  rep,     search 'smi' + assignee: {}",
        time(&client, &base, &rep, SEARCH).await
    );
    println!(
        "  manager, prioritizedLeads(limit: 5): {}",
        time(&client, &base, &manager, CALL_LIST).await
    );
    println!(
        "  rep,     prioritizedLeads(limit: 5): {}",
        time(&client, &base, &rep, CALL_LIST).await
    );

    let user_of = |email: &'static str| {
        let db = db.clone();
        async move {
            Actor::from_user(
                &user::Entity::find()
                    .filter(user::Column::Email.eq(email))
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap(),
                None,
            )
        }
    };
    let by_score = LeadOrder {
        field: LeadOrderField::Score,
        descending: true,
    };
    let search = LeadFilter {
        search: Some(Text::parse("smi".into()).expect("a search term")),
        ..Default::default()
    };
    explain(
        &db,
        "manager, by score",
        &user_of("manager@example.com").await,
        LeadFilter::default(),
        by_score,
    )
    .await;
    explain(
        &db,
        "manager, search 'smi'",
        &user_of("manager@example.com").await,
        search.clone(),
        LeadOrder::default(),
    )
    .await;
    explain(
        &db,
        "rep, by score",
        &user_of("rep1@example.com").await,
        LeadFilter::default(),
        by_score,
    )
    .await;
    explain(
        &db,
        "rep, search 'smi'",
        &user_of("rep1@example.com").await,
        search,
        LeadOrder::default(),
    )
    .await;
    explain_call_list(&db, &user_of("manager@example.com").await).await;
    scratch.drop_database().await;
}

/// The statement behind `prioritizedLeads` for a manager, explained.
async fn explain_call_list(db: &sea_orm::DatabaseConnection, manager: &Actor) {
    use sea_orm::{sea_query::NullOrdering, Order, QueryOrder, QuerySelect};
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let query = leads::find_visible(manager)
        .filter(leadscore::entity::lead::Column::PriorityTier.is_not_null())
        .order_by_asc(leadscore::entity::lead::Column::PriorityTier)
        .order_by_with_nulls(
            leadscore::entity::lead::Column::Score,
            Order::Desc,
            NullOrdering::Last,
        )
        .order_by_desc(leadscore::entity::lead::Column::Id)
        .limit(5);
    print_plan(
        db,
        "manager, prioritizedLeads",
        query.build(DbBackend::Postgres),
    )
    .await;
}
