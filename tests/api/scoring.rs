//! Scores through the API: automatic on every change, explained, and
//! never losing an event that arrives at the same moment as another.
use chrono::{Duration, Utc};
use leadscore::entity::user::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, spawn_app_with, TestApp, Tokens};

const SCORE: &str = "query($id: ID!) { lead(id: $id) {
    score { total engagementScore buyingSignalScore demographicScore confidence confidenceLevel classification priorityTier
            factors { name category points maxPoints evidence } insights { kind text } missing modelVersion scoredAt }
    scoreHistory { edges { node { total classification } } }
    insights { kind text }
} }";
const EVENTS: &str = "mutation($events: [EngagementEventInput!]!) { recordEngagementEvents(events: $events) { id } }";

async fn score_of(app: &TestApp, token: &str, lead: &str) -> Value {
    let body = app.gql(SCORE, json!({ "id": lead }), Some(token)).await;
    assert_ok(&body);
    body["data"]["lead"].clone()
}

fn factor<'a>(score: &'a Value, name: &str) -> &'a Value {
    score["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no factor {name}"))
}

/// The hot lead: a day of engagement, urgency, a fitting budget and stock.
async fn hot_lead(app: &TestApp, m: &Tokens, days_ago: i64) -> String {
    let lead = fitting_lead(app, m, &format!("hot{days_ago}")).await;
    engage(app, m, &lead, days_ago).await;
    lead
}

/// Stock, and a repeat customer whose budget and interest fit it.
pub async fn fitting_lead(app: &TestApp, m: &Tokens, tag: &str) -> String {
    app.gql("mutation { createInventoryItem(input: { name: \"Metro Cargo Van\", category: \"Cargo van\", price: 36700, quantityAvailable: 5 }) { id } }", json!({}), Some(&m.access)).await;
    app.create_lead(&m.access, json!({ "email": format!("{tag}@example.com"), "budgetMin": 30000, "budgetMax": 40000, "productInterest": "Cargo van", "isRepeatCustomer": true }))
        .await
}

/// A day of engagement ending `days_ago`: opens, clicks, a reply, page and
/// pricing views, the calculator, and an urgent chat message.
pub async fn engage(app: &TestApp, m: &Tokens, lead: &str, days_ago: i64) {
    let base = Utc::now() - Duration::days(days_ago);
    let mut events = Vec::new();
    for (kind, n) in [
        ("EMAIL_OPENED", 3),
        ("EMAIL_CLICKED", 2),
        ("EMAIL_REPLIED", 1),
        ("PAGE_VIEW", 6),
        ("PRICING_VIEW", 4),
        ("CALCULATOR_USED", 2),
    ] {
        for i in 0..n {
            let at = (base - Duration::minutes(20 * i + 5)).to_rfc3339();
            events.push(json!({ "leadId": lead, "type": kind, "occurredAt": at, "metadata": if kind == "PAGE_VIEW" { json!({ "seconds": 90 }) } else { json!({}) } }));
        }
    }
    events.push(json!({ "leadId": lead, "type": "CHAT_MESSAGE", "occurredAt": (base - Duration::hours(1)).to_rfc3339(), "metadata": { "text": "We need it by Friday, we're ready to buy" } }));
    assert_ok(
        &app.gql(EVENTS, json!({ "events": events }), Some(&m.access))
            .await,
    );
}

#[tokio::test]
async fn a_lead_with_only_a_name_and_email_is_cold_with_low_confidence() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = app
        .create_lead(&m.access, json!({ "email": "plain@example.com" }))
        .await;

    let got = score_of(&app, &m.access, &lead).await;

    let score = &got["score"];
    assert_eq!(score["classification"], "COLD");
    assert_eq!(score["confidenceLevel"], "LOW");
    let missing: Vec<&str> = score["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for gap in [
        "no budget",
        "no email activity",
        "no website activity",
        "no product interest",
    ] {
        assert!(missing.contains(&gap), "{missing:?}");
    }
    assert_eq!(score["factors"].as_array().unwrap().len(), 13);
    assert!(score["modelVersion"]
        .as_str()
        .unwrap()
        .starts_with("rules-"));
}

#[tokio::test]
async fn a_day_of_strong_signals_makes_a_hot_p1_lead_with_high_confidence_and_talking_points() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = hot_lead(&app, &m, 0).await;

    let got = score_of(&app, &m.access, &lead).await;

    let score = &got["score"];
    assert_eq!(score["classification"], "HOT", "{score}");
    assert_eq!(score["priorityTier"], "P1");
    assert_eq!(score["confidenceLevel"], "HIGH");
    assert!(factor(score, "pricing_views")["evidence"]
        .as_str()
        .unwrap()
        .starts_with("4 pricing views in the last"));
    assert_eq!(factor(score, "budget_fit")["points"], 10.0);
    let talking: Vec<&str> = got["insights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert!(
        talking
            .iter()
            .any(|t| t.starts_with("Used the payment calculator twice")),
        "{talking:?}"
    );
    assert!(
        got["scoreHistory"]["edges"].as_array().unwrap().len() >= 2,
        "created cold, then hot"
    );
}

#[tokio::test]
async fn the_same_signals_sixty_days_old_are_not_hot_and_engagement_halves_at_least() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let fresh = hot_lead(&app, &m, 0).await;
    let stale = hot_lead(&app, &m, 60).await;

    let fresh = score_of(&app, &m.access, &fresh).await;
    let stale = score_of(&app, &m.access, &stale).await;

    assert_ne!(stale["score"]["classification"], "HOT");
    let (f, s) = (
        fresh["score"]["engagementScore"].as_f64().unwrap(),
        stale["score"]["engagementScore"].as_f64().unwrap(),
    );
    assert!(s * 2.0 < f, "fresh {f}, stale {s}");
}

#[tokio::test]
async fn a_negated_urgency_phrase_earns_nothing() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = app.create_lead(&m.access, json!({})).await;
    app.gql("mutation($l: ID!) { addNote(leadId: $l, body: \"We're not ready to buy, no rush\") { id } }", json!({ "l": lead }), Some(&m.access)).await;
    let urgent = app
        .create_lead(&m.access, json!({ "lastName": "Urgent" }))
        .await;
    app.gql(
        "mutation($l: ID!) { addNote(leadId: $l, body: \"Ready to buy, call ASAP\") { id } }",
        json!({ "l": urgent }),
        Some(&m.access),
    )
    .await;

    let calm = score_of(&app, &m.access, &lead).await;
    let keen = score_of(&app, &m.access, &urgent).await;

    assert_eq!(factor(&calm["score"], "urgency_language")["points"], 0.0);
    assert!(
        factor(&keen["score"], "urgency_language")["points"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[tokio::test]
async fn two_events_at_once_are_both_reflected_in_the_final_score() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = app.create_lead(&m.access, json!({})).await;
    let one = |ext: String| json!({ "events": [{ "leadId": lead, "type": "PRICING_VIEW", "externalId": ext }] });

    for round in 0..5 {
        let (a, b) = tokio::join!(
            app.gql(EVENTS, one(format!("p-{round}-a")), Some(&m.access)),
            app.gql(EVENTS, one(format!("p-{round}-b")), Some(&m.access))
        );
        assert_ok(&a);
        assert_ok(&b);
    }

    // Read without rescoring: the stored score must already count all ten.
    let got = score_of(&app, &m.access, &lead).await;
    let evidence = factor(&got["score"], "pricing_views")["evidence"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(evidence.starts_with("10 pricing views"), "{evidence}");
}

#[tokio::test]
async fn score_lead_refreshes_on_demand_and_respects_visibility() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let lead = app.create_lead(&m.access, json!({})).await;

    let body = app
        .gql(
            "mutation($l: ID!) { scoreLead(leadId: $l) { total classification scoredAt } }",
            json!({ "l": lead }),
            Some(&m.access),
        )
        .await;
    let hidden = app
        .gql(
            "mutation($l: ID!) { scoreLead(leadId: $l) { total } }",
            json!({ "l": lead }),
            Some(&rep.access),
        )
        .await;
    let sorted = app.gql("{ leads(orderBy: { field: SCORE, direction: DESC }) { edges { node { id score { total } } } } }", json!({}), Some(&m.access)).await;

    assert_eq!(body["data"]["scoreLead"]["classification"], "COLD");
    assert_eq!(error_code(&hidden), "NOT_FOUND");
    assert_eq!(
        sorted["data"]["leads"]["edges"][0]["node"]["score"]["total"],
        body["data"]["scoreLead"]["total"]
    );
}

const CALL_LIST: &str =
    "query($limit: Int, $assignee: ID) { prioritizedLeads(limit: $limit, assigneeId: $assignee) {
    rank reasons talkingPoints lead { id lastName } score { total priorityTier }
} }";

#[tokio::test]
async fn the_hot_lead_tops_the_call_list_and_closed_leads_never_appear() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let cold = app
        .create_lead(&m.access, json!({ "lastName": "Cold" }))
        .await;
    let won = app
        .create_lead(
            &m.access,
            json!({ "lastName": "Won", "status": "WON", "budgetMin": 30000, "budgetMax": 40000 }),
        )
        .await;
    let hot = hot_lead(&app, &m, 0).await;

    let body = app
        .gql(CALL_LIST, json!({ "limit": 10 }), Some(&m.access))
        .await;

    assert_ok(&body);
    let list = body["data"]["prioritizedLeads"].as_array().unwrap();
    let ids: Vec<&str> = list
        .iter()
        .map(|p| p["lead"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], hot.as_str());
    assert_eq!(list[0]["rank"], 1);
    assert_eq!(list[0]["score"]["priorityTier"], "P1");
    assert!(!list[0]["reasons"].as_array().unwrap().is_empty());
    assert!(list[0]["talkingPoints"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t
            .as_str()
            .unwrap()
            .starts_with("Used the payment calculator")));
    assert!(ids.contains(&cold.as_str()));
    assert!(
        !ids.contains(&won.as_str()),
        "WON leads are never prioritized"
    );
}

#[tokio::test]
async fn a_reps_call_list_holds_only_their_leads_and_limits_are_checked() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let other = app.signed_in("other@example.com", Role::SalesRep).await;
    let mine = app
        .create_lead(&rep.access, json!({ "lastName": "Mine" }))
        .await;
    app.create_lead(&other.access, json!({ "lastName": "Theirs" }))
        .await;
    app.create_lead(&m.access, json!({ "lastName": "Unassigned" }))
        .await;

    let own = app.gql(CALL_LIST, json!({}), Some(&rep.access)).await;
    let snooping = app
        .gql(
            CALL_LIST,
            json!({ "assignee": other.user_id }),
            Some(&rep.access),
        )
        .await;
    let managers_view = app
        .gql(
            CALL_LIST,
            json!({ "assignee": rep.user_id }),
            Some(&m.access),
        )
        .await;
    let zero = app
        .gql(CALL_LIST, json!({ "limit": 0 }), Some(&m.access))
        .await;
    let too_many = app
        .gql(CALL_LIST, json!({ "limit": 51 }), Some(&m.access))
        .await;

    let ids = |body: &Value| {
        body["data"]["prioritizedLeads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["lead"]["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&own), std::slice::from_ref(&mine));
    assert_eq!(error_code(&snooping), "FORBIDDEN");
    assert_eq!(ids(&managers_view), [mine]);
    assert_eq!(error_code(&zero), "BAD_USER_INPUT");
    assert_eq!(zero["errors"][0]["extensions"]["field"], "limit");
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_sweep_lets_a_quiet_lead_fade_without_anyone_touching_it() {
    use leadscore::{
        entity::{engagement_event, lead},
        service::scores::sweep,
    };
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};

    // The test runs the sweep itself; the server's own would race it.
    let app = spawn_app_with(|s| s.score_sweep_interval_secs = 0).await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let id = hot_lead(&app, &m, 0).await;
    assert_eq!(
        score_of(&app, &m.access, &id).await["score"]["classification"],
        "HOT"
    );
    // Sixty days pass: the events age, and the stored score is older than the interval.
    let lead_id = uuid::Uuid::parse_str(&id).unwrap();
    engagement_event::Entity::update_many()
        .col_expr(
            engagement_event::Column::OccurredAt,
            Expr::value(Utc::now() - Duration::days(60)),
        )
        .filter(engagement_event::Column::LeadId.eq(lead_id))
        .exec(&app.db)
        .await
        .unwrap();
    lead::Entity::update_many()
        .col_expr(
            lead::Column::ScoredAt,
            Expr::value(Utc::now() - Duration::hours(1)),
        )
        .filter(lead::Column::Id.eq(lead_id))
        .exec(&app.db)
        .await
        .unwrap();

    let rescored = sweep::rescore_stale(&app.core, Utc::now() - Duration::minutes(5), |_| {})
        .await
        .unwrap();

    assert!(rescored >= 1);
    let faded = score_of(&app, &m.access, &id).await;
    assert_ne!(faded["score"]["classification"], "HOT");
    assert_eq!(
        faded["scoreHistory"]["edges"][0]["node"]["classification"],
        faded["score"]["classification"]
    );
    let list = app.gql(CALL_LIST, json!({}), Some(&m.access)).await;
    assert_ne!(
        list["data"]["prioritizedLeads"][0]["score"]["priorityTier"],
        "P1"
    );
}
