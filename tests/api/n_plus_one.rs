//! A page of leads with their assignee, creator and latest notes costs the
//! same number of SQL statements for 5 leads as for 50.
use std::sync::atomic::Ordering;

use leadscore::{
    entity::user::Role,
    service::{
        assignments,
        leads::{self, CreateLead},
        notes,
    },
};
use serde_json::json;

use crate::helpers::{assert_ok, spawn_app_counting};

const PAGE: &str = "query($n: Int!) { leads(first: $n) { edges { node {
    id fullName assignee { email } createdBy { email }
    notes(first: 3) { edges { node { body author { email } } } }
} } } }";

#[tokio::test]
async fn a_page_of_50_leads_with_relations_costs_the_same_statements_as_a_page_of_5() {
    let (app, statements) = spawn_app_counting().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let manager_actor = app.actor(&manager.user_id).await;
    let rep_id = uuid::Uuid::parse_str(&rep.user_id).unwrap();
    for i in 0..50 {
        let lead = leads::create(
            &app.db,
            &manager_actor,
            CreateLead {
                first_name: "Lead".into(),
                last_name: format!("N{i:02}"),
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
        assignments::assign(&app.db, &manager_actor, lead.id, rep_id, None)
            .await
            .unwrap();
        for n in 0..4 {
            notes::add(
                &app.db,
                &manager_actor,
                lead.id,
                &format!("note {n}"),
                Default::default(),
            )
            .await
            .unwrap();
        }
    }

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
    assert!(edges.iter().all(
        |e| e["node"]["notes"]["edges"].as_array().unwrap().len() == 3
            && e["node"]["assignee"]["email"] == json!("rep@example.com")
    ));
    // One statement per relation, whatever the page size. Whether note authors
    // join the assignees' user batch depends on timing (DataLoader's batch
    // window), so the two counts may differ by that one batch.
    assert!(
        for_50 <= 8 && for_5 <= 8,
        "statements for 5 leads: {for_5}, for 50: {for_50}"
    );
    assert!(
        for_50.abs_diff(for_5) <= 1,
        "statements for 5 leads: {for_5}, for 50: {for_50}"
    );
}
