//! A page of leads with every relation a rep's screen shows costs the same
//! number of SQL statements for 5 leads as for 50.
use std::sync::atomic::Ordering;

use leadscore::{
    entity::user::Role,
    service::{
        crm::{
            activities::{self, LogActivity},
            assignments, notes,
        },
        leads::{self, RawNewLead},
    },
    values::{NoteBody, Parse, Text},
};
use serde_json::json;

use crate::helpers::{assert_ok, spawn_app_counting};

const PAGE: &str = "query($n: Int!) { leads(first: $n) { edges { node {
    id fullName assignee { email } createdBy { email }
    notes(first: 3) { edges { node { body author { email } } } }
    activities(first: 3) { edges { node { kind summary } } }
    assignments { status assignee { email } }
    score { total factors { name points evidence } }
    insights { kind text }
} } } }";

#[tokio::test]
async fn a_page_of_50_leads_with_relations_costs_the_same_statements_as_a_page_of_5() {
    let (app, statements) = spawn_app_counting().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let manager_actor = app.actor(&manager.user_id).await;
    let rep_id = uuid::Uuid::parse_str(&rep.user_id).unwrap();
    for i in 0..50 {
        let new = RawNewLead {
            first_name: "Lead".into(),
            last_name: format!("N{i:02}"),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let lead = leads::create(&app.core, &manager_actor, new, Default::default())
            .await
            .unwrap();
        assignments::assign(&app.core, &manager_actor, lead.id, rep_id, None)
            .await
            .unwrap();
        for n in 0..4 {
            let body = NoteBody::parse(format!("note {n}")).unwrap();
            notes::add(&app.core, &manager_actor, lead.id, body, None)
                .await
                .unwrap();
        }
        // With the assignment's own activity, three: a full first page.
        for _ in 0..2 {
            let call = LogActivity {
                lead_id: lead.id,
                kind: leadscore::entity::lead_activity::ActivityKind::Call,
                direction: None,
                summary: Text::parse("Called, left a message".into()).unwrap(),
                occurred_at: None,
            };
            activities::log(&app.core, &manager_actor, call)
                .await
                .unwrap();
        }
    }

    // Signed in once before counting: later requests re-check the token
    // from what the server remembers (until an access change).
    assert_ok(
        &app.gql("{ me { id } }", json!({}), Some(&manager.access))
            .await,
    );
    statements.store(0, Ordering::SeqCst);
    let small = app
        .gql(PAGE, json!({ "n": 5 }), Some(&manager.access))
        .await;
    let for_5 = statements.swap(0, Ordering::SeqCst);
    let large = app
        .gql(PAGE, json!({ "n": 50 }), Some(&manager.access))
        .await;
    let for_50 = statements.load(Ordering::SeqCst);

    assert_ok(&small);
    assert_ok(&large);
    let edges = large["data"]["leads"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 50);
    assert!(edges.iter().all(|e| {
        let node = &e["node"];
        node["notes"]["edges"].as_array().unwrap().len() == 3
            && node["assignee"]["email"] == json!("rep@example.com")
            && node["activities"]["edges"].as_array().unwrap().len() == 3
            && node["assignments"][0]["status"] == json!("ACTIVE")
            && node["score"]["factors"]
                .as_array()
                .is_some_and(|f| !f.is_empty())
    }));
    println!("statements for a page of 5 leads: {for_5}, for 50: {for_50}");
    // One statement per relation (primed for the page), whatever its size.
    assert_eq!(
        for_5, for_50,
        "statements for 5 leads: {for_5}, for 50: {for_50}"
    );
    assert!(for_50 <= 12, "statements for 50 leads: {for_50}");
}

const CALL_LIST: &str = "{ prioritizedLeads(limit: 5) { rank lead { id fullName company assignee { fullName } } score { total classification insights { text } } talkingPoints } }";
const SCORED_PAGE: &str = "{ leads(first: 50, orderBy: {field: SCORE, direction: DESC}) { edges { node { id fullName score { total classification priorityTier confidence scoredAt } assignee { fullName } } } } }";
const FULL_SCORE_PAGE: &str = "{ leads(first: 50, orderBy: {field: SCORE, direction: DESC}) { edges { node { id fullName score { total classification priorityTier confidence scoredAt modelVersion } assignee { fullName } } } } }";
const PLAIN_PAGE: &str = "{ leads(first: 50, orderBy: {field: SCORE, direction: DESC}) { edges { node { id fullName assignee { fullName } } } } }";

#[tokio::test]
async fn the_call_list_costs_one_statement_a_page_s_headline_scores_none_and_me_none() {
    let (app, statements) = spawn_app_counting().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    // Two stay unassigned: a lead without an assignee is an answer too,
    // not a key to ask for again.
    for i in 0..10 {
        let lead = app
            .create_lead(
                &manager.access,
                json!({ "firstName": "Lead", "lastName": format!("N{i}"), "email": format!("n{i}@example.com"),
                        "budgetMin": 10_000, "budgetMax": 20_000 }),
            )
            .await;
        if i < 8 {
            assert_ok(&app.assign(&manager.access, &lead, &rep.user_id).await);
        }
    }
    let token = Some(manager.access.as_str());
    assert_ok(&app.gql("{ me { id } }", json!({}), token).await);

    statements.store(0, Ordering::SeqCst);
    let me = app.gql("{ me { id email } }", json!({}), token).await;
    assert_ok(&me);
    assert_eq!(
        statements.swap(0, Ordering::SeqCst),
        0,
        "`me` read the database"
    );

    let list = app.gql(CALL_LIST, json!({}), token).await;
    let for_list = statements.swap(0, Ordering::SeqCst);
    assert_ok(&list);
    let rows = list["data"]["prioritizedLeads"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|r| r["score"]["total"].is_number() && r["score"]["insights"].is_array()));
    assert!(
        rows.iter()
            .filter(|r| r["lead"]["assignee"]["fullName"].is_string())
            .count()
            >= 3,
        "8 of the 10 leads are assigned: {list}"
    );
    assert_eq!(for_list, 1, "statements for the call list");

    let plain = app.gql(PLAIN_PAGE, json!({}), token).await;
    let for_plain = statements.swap(0, Ordering::SeqCst);
    let scored = app.gql(SCORED_PAGE, json!({}), token).await;
    let for_scored = statements.swap(0, Ordering::SeqCst);
    assert_ok(&plain);
    assert_ok(&scored);
    let edges = scored["data"]["leads"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 10);
    assert!(edges
        .iter()
        .all(|e| e["node"]["score"]["total"].is_number()));
    let assigned = edges
        .iter()
        .filter(|e| e["node"]["assignee"]["fullName"].is_string())
        .count();
    assert_eq!(assigned, 8);
    let full = app.gql(FULL_SCORE_PAGE, json!({}), token).await;
    let for_full = statements.swap(0, Ordering::SeqCst);
    assert_ok(&full);
    println!(
        "statements: call list {for_list}, page {for_plain}, with score {for_scored}, \
         with the score's own row {for_full}"
    );
    assert_eq!(
        for_scored, for_plain,
        "the lead's copy answers a headline score"
    );
    assert_eq!(
        for_full,
        for_plain + 1,
        "a page's score rows cost one statement"
    );
    // The lead's copy says what the score's own row says.
    let headline = |page: &serde_json::Value| -> Vec<serde_json::Value> {
        page["data"]["leads"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let s = &e["node"]["score"];
                json!([
                    e["node"]["id"],
                    s["total"],
                    s["classification"],
                    s["priorityTier"],
                    s["confidence"],
                    s["scoredAt"]
                ])
            })
            .collect()
    };
    assert_eq!(headline(&scored), headline(&full));
}
