use leadscore::entity::{engagement_event, user::Role};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::{assert_ok, error_code, spawn_app};

const ONE: &str = "mutation($input: EngagementEventInput!) { recordEngagementEvent(input: $input) { id type externalId metadata lead { id } } }";
const MANY: &str = "mutation($events: [EngagementEventInput!]!) { recordEngagementEvents(events: $events) { id type } }";

#[tokio::test]
async fn a_retried_delivery_with_the_same_external_id_is_stored_once() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = app.create_lead(&m.access, json!({})).await;
    let event = json!({ "input": { "leadId": lead, "type": "PAGE_VIEW", "externalId": "web-123", "metadata": { "url": "/vans", "seconds": 40 } } });

    let first = app.gql(ONE, event.clone(), Some(&m.access)).await;
    let retry = app.gql(ONE, event, Some(&m.access)).await;

    assert_ok(&first);
    assert_eq!(first["data"]["recordEngagementEvent"]["type"], "PAGE_VIEW");
    assert_eq!(
        first["data"]["recordEngagementEvent"]["lead"]["id"],
        lead.as_str()
    );
    assert_eq!(
        retry["data"]["recordEngagementEvent"]["id"],
        first["data"]["recordEngagementEvent"]["id"]
    );
    assert_eq!(
        engagement_event::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_batch_is_all_or_nothing_and_names_each_bad_event_by_index() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = app.create_lead(&m.access, json!({})).await;
    let events = json!([
        { "leadId": lead, "type": "EMAIL_OPENED" },
        { "leadId": lead, "type": "PRICING_VIEW", "occurredAt": "2999-01-01T00:00:00Z" },
        { "leadId": lead, "type": "CHAT_MESSAGE", "metadata": {} },
        { "leadId": "01900000-0000-7000-8000-000000000000", "type": "EMAIL_CLICKED" },
        { "leadId": lead, "type": "FORM_SUBMITTED", "metadata": { "blob": "x".repeat(5000) } },
    ]);

    let body = app
        .gql(MANY, json!({ "events": events }), Some(&m.access))
        .await;

    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "events[1].occurredAt",
            "events[2].metadata.text",
            "events[4].metadata",
            "events[3].leadId"
        ]
    );
    assert_eq!(
        engagement_event::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_valid_batch_is_stored_in_order_and_repeats_within_it_count_once() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = app.create_lead(&m.access, json!({})).await;
    let events = json!([
        { "leadId": lead, "type": "EMAIL_OPENED", "externalId": "e-1" },
        { "leadId": lead, "type": "CALCULATOR_USED" },
        { "leadId": lead, "type": "EMAIL_OPENED", "externalId": "e-1" },
        { "leadId": lead, "type": "CHAT_MESSAGE", "metadata": { "text": "Need it by Friday" } },
    ]);

    let body = app
        .gql(MANY, json!({ "events": events }), Some(&m.access))
        .await;

    assert_ok(&body);
    let stored = body["data"]["recordEngagementEvents"].as_array().unwrap();
    let types: Vec<&str> = stored.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "EMAIL_OPENED",
            "CALCULATOR_USED",
            "EMAIL_OPENED",
            "CHAT_MESSAGE"
        ]
    );
    assert_eq!(stored[0]["id"], stored[2]["id"]);
    assert_eq!(
        engagement_event::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn a_rep_cannot_record_events_for_a_lead_that_is_not_theirs_and_batches_are_bounded() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let lead = app.create_lead(&m.access, json!({})).await;

    let body = app
        .gql(
            ONE,
            json!({ "input": { "leadId": lead, "type": "EMAIL_OPENED" } }),
            Some(&rep.access),
        )
        .await;
    let too_many: Vec<_> = (0..1001)
        .map(|_| json!({ "leadId": lead, "type": "EMAIL_SENT" }))
        .collect();
    let flood = app
        .gql(MANY, json!({ "events": too_many }), Some(&m.access))
        .await;
    let empty = app
        .gql(MANY, json!({ "events": [] }), Some(&m.access))
        .await;

    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.leadId");
    assert_eq!(error_code(&flood), "BAD_USER_INPUT");
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
    assert_eq!(
        engagement_event::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}
