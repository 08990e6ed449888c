//! Control characters (NUL above all, which PostgreSQL cannot store) in any
//! text or JSON input are BAD_USER_INPUT naming the field, on both backends,
//! before the database sees them; nothing is stored.
use leadscore::entity::{lead, user::Role};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn refused_on(body: &Value, field: &str) {
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
}

async fn create_key(app: &TestApp, admin: &str) -> String {
    let body = app
        .gql(
            "mutation { createApiKey(name: \"site\", scopes: [EVENTS_WRITE]) { secret } }",
            json!({}),
            Some(admin),
        )
        .await;
    body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn control_characters_are_refused_in_every_text_and_json_input() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    let leads_before = lead::Entity::find().count(&app.db).await.unwrap();
    let nul = "bad\u{0000}value";

    let login = app.gql(
        "mutation($e: String!) { login(email: $e, password: \"whatever pass\") { accessToken } }",
        json!({ "e": format!("a{nul}@example.com") }),
        None,
    ).await;
    refused_on(&login, "email");
    let literal = app.gql(
        "mutation { login(email: \"a\\u0000b@example.com\", password: \"whatever pass\") { accessToken } }",
        json!({}),
        None,
    ).await;
    refused_on(&literal, "email");

    let note = app
        .gql(
            "mutation($l: ID!, $b: String!) { addNote(leadId: $l, body: $b) { id } }",
            json!({ "l": lead, "b": nul }),
            Some(&admin.access),
        )
        .await;
    refused_on(&note, "body");

    let search = app
        .gql(
            "query($s: String) { leads(filter: {search: $s}) { totalCount } }",
            json!({ "s": nul }),
            Some(&admin.access),
        )
        .await;
    refused_on(&search, "filter.search");

    let audit = app
        .gql(
            "query($a: String) { auditLog(filter: {action: $a}) { totalCount } }",
            json!({ "a": nul }),
            Some(&admin.access),
        )
        .await;
    refused_on(&audit, "filter.action");

    let rescore = app
        .gql(
            "mutation($s: String) { rescoreLeads(filter: {search: $s}) { id } }",
            json!({ "s": nul }),
            Some(&admin.access),
        )
        .await;
    refused_on(&rescore, "filter.search");

    let attributes = app.gql(
        "mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }",
        json!({ "i": { "firstName": "A", "lastName": "B", "attributes": { "tier": { "name": nul } } } }),
        Some(&admin.access),
    ).await;
    refused_on(&attributes, "input.attributes.tier.name");

    let key_name = app
        .gql(
            "mutation($n: String!) { createApiKey(name: $n, scopes: [EVENTS_WRITE]) { secret } }",
            json!({ "n": nul }),
            Some(&admin.access),
        )
        .await;
    refused_on(&key_name, "name");

    let secret = create_key(&app, &admin.access).await;
    let event = app.gql_as_key(
        "mutation($i: EngagementEventInput!) { recordEngagementEvent(input: $i) { id } }",
        json!({ "i": { "leadId": lead, "type": "CHAT_MESSAGE", "externalId": nul, "metadata": { "text": "hi" } } }),
        &secret,
    ).await;
    refused_on(&event, "input.externalId");
    let metadata = app
        .gql_as_key(
            "mutation($i: EngagementEventInput!) { recordEngagementEvent(input: $i) { id } }",
            json!({ "i": { "leadId": lead, "type": "CHAT_MESSAGE", "metadata": { "text": nul } } }),
            &secret,
        )
        .await;
    refused_on(&metadata, "input.metadata.text");

    assert_eq!(
        lead::Entity::find().count(&app.db).await.unwrap(),
        leads_before
    );
    let multi_line = app
        .gql(
            "mutation($l: ID!, $b: String!) { addNote(leadId: $l, body: $b) { id } }",
            json!({ "l": lead, "b": "line one\nline two\twith a tab\r\n" }),
            Some(&admin.access),
        )
        .await;
    assert!(multi_line.get("errors").is_none(), "{multi_line}");
}
