use leadscore::entity::{api_key, audit_log, engagement_event, user::Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, TestApp};

const CREATE: &str = "mutation($name: String!, $scopes: [ApiKeyScope!]!) {
    createApiKey(name: $name, scopes: $scopes) { secret apiKey { id name prefix scopes revokedAt } }
}";
const EVENT: &str =
    "mutation($input: EngagementEventInput!) { recordEngagementEvent(input: $input) { id type } }";

/// Creates a key as `admin` and returns (id, secret).
async fn key(app: &TestApp, admin: &str, scopes: Value) -> (String, String) {
    let body = app
        .gql(
            CREATE,
            json!({ "name": "website", "scopes": scopes }),
            Some(admin),
        )
        .await;
    assert_ok(&body);
    let created = &body["data"]["createApiKey"];
    (
        created["apiKey"]["id"].as_str().unwrap().to_string(),
        created["secret"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn an_admin_sees_a_key_secret_once_and_the_database_keeps_only_its_hash() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;

    let body = app
        .gql(
            CREATE,
            json!({ "name": " website ", "scopes": ["EVENTS_WRITE", "EVENTS_WRITE"] }),
            Some(&admin.access),
        )
        .await;
    let listed = app
        .gql(
            "{ apiKeys { id name prefix scopes lastUsedAt } }",
            json!({}),
            Some(&admin.access),
        )
        .await;

    assert_ok(&body);
    let created = &body["data"]["createApiKey"];
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("lsk_") && secret.len() > 60, "{secret}");
    assert_eq!(created["apiKey"]["name"], "website");
    assert_eq!(created["apiKey"]["scopes"], json!(["EVENTS_WRITE"]));
    assert!(secret.starts_with(created["apiKey"]["prefix"].as_str().unwrap()));
    assert_eq!(listed["data"]["apiKeys"][0]["id"], created["apiKey"]["id"]);
    assert!(!listed.to_string().contains(secret));
    let stored = api_key::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_ne!(stored.secret_hash, secret);
    assert!(!stored.secret_hash.contains(&secret[4..20]));
}

#[tokio::test]
async fn only_admins_manage_api_keys() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;

    let create = app
        .gql(
            CREATE,
            json!({ "name": "x", "scopes": ["EVENTS_WRITE"] }),
            Some(&manager.access),
        )
        .await;
    let list = app
        .gql("{ apiKeys { id } }", json!({}), Some(&manager.access))
        .await;

    assert_eq!(error_code(&create), "FORBIDDEN");
    assert_eq!(error_code(&list), "FORBIDDEN");
}

#[tokio::test]
async fn a_key_without_a_name_or_scopes_is_bad_input_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;

    let no_scopes = app
        .gql(
            CREATE,
            json!({ "name": "x", "scopes": [] }),
            Some(&admin.access),
        )
        .await;
    let no_name = app
        .gql(
            CREATE,
            json!({ "name": "  ", "scopes": ["LEADS_WRITE"] }),
            Some(&admin.access),
        )
        .await;

    assert_eq!(error_code(&no_scopes), "BAD_USER_INPUT");
    assert_eq!(no_scopes["errors"][0]["extensions"]["field"], "scopes");
    assert_eq!(error_code(&no_name), "BAD_USER_INPUT");
    assert_eq!(no_name["errors"][0]["extensions"]["field"], "name");
}

#[tokio::test]
async fn an_events_key_records_events_and_may_do_nothing_else() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    let (key_id, secret) = key(&app, &admin.access, json!(["EVENTS_WRITE"])).await;

    let recorded = app
        .gql_as_key(
            EVENT,
            json!({ "input": { "leadId": lead, "type": "PRICING_VIEW" } }),
            &secret,
        )
        .await;
    let create = app
        .gql_as_key(
            "mutation { createLead(input: { firstName: \"A\", lastName: \"B\" }) { id } }",
            json!({}),
            &secret,
        )
        .await;
    let list = app
        .gql_as_key(
            "{ leads(first: 5) { edges { node { id } } } }",
            json!({}),
            &secret,
        )
        .await;
    let me = app.gql_as_key("{ me { email } }", json!({}), &secret).await;
    let keys = app
        .gql_as_key("{ apiKeys { id } }", json!({}), &secret)
        .await;

    assert_ok(&recorded);
    assert_eq!(
        recorded["data"]["recordEngagementEvent"]["type"],
        "PRICING_VIEW"
    );
    let stored = engagement_event::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.api_key_id.map(|id| id.to_string()), Some(key_id));
    assert_eq!(error_code(&create), "FORBIDDEN");
    assert!(create["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("LEADS_WRITE"));
    assert_eq!(error_code(&list), "FORBIDDEN");
    assert_eq!(error_code(&me), "FORBIDDEN");
    assert_eq!(error_code(&keys), "FORBIDDEN");
}

#[tokio::test]
async fn a_key_cannot_read_through_nested_selections_of_what_it_wrote() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    let (_, secret) = key(&app, &admin.access, json!(["EVENTS_WRITE", "LEADS_WRITE"])).await;

    let event = app
        .gql_as_key(
            "mutation($input: EngagementEventInput!) { recordEngagementEvent(input: $input) { id lead { email } } }",
            json!({ "input": { "leadId": lead, "type": "EMAIL_OPENED" } }),
            &secret,
        )
        .await;
    let created = app
        .gql_as_key(
            "mutation { createLead(input: { firstName: \"Web\", lastName: \"Form\", email: \"web@example.com\" }) { id createdBy { email } score { total } notes(first: 1) { edges { node { body } } } } }",
            json!({}),
            &secret,
        )
        .await;

    assert_eq!(error_code(&event), "FORBIDDEN");
    assert!(event["data"].is_null() || event["data"]["recordEngagementEvent"]["lead"].is_null());
    assert!(!event.to_string().contains("@example.com"));
    assert_eq!(error_code(&created), "FORBIDDEN");
    assert!(!created.to_string().contains("admin@example.com"));
    // Refused before anything was written; what a key may select still works.
    let plain = app
        .gql_as_key(
            "mutation { createLead(input: { firstName: \"Web\", lastName: \"Form\", email: \"web@example.com\" }) { id firstName email } }",
            json!({}),
            &secret,
        )
        .await;
    assert_ok(&plain);
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("lead.created"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        audit.iter().any(|a| a
            .details
            .as_ref()
            .is_some_and(|d| d.get("apiKeyId").is_some())),
        "the lead the key created is audited with the key: {audit:?}"
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    let (id, secret) = key(&app, &admin.access, json!(["EVENTS_WRITE"])).await;

    let revoked = app
        .gql(
            "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
            json!({ "id": id }),
            Some(&admin.access),
        )
        .await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Authorization", format!("ApiKey {secret}"))
        .json(&json!({ "query": EVENT, "variables": { "input": { "leadId": lead, "type": "EMAIL_OPENED" } } }))
        .send()
        .await
        .unwrap();

    assert_ok(&revoked);
    assert!(revoked["data"]["revokeApiKey"]["revokedAt"].is_string());
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_key_stops_working_when_its_admin_is_deactivated() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let other = app.signed_in("other-admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    let (_, secret) = key(&app, &admin.access, json!(["EVENTS_WRITE"])).await;

    let deactivated = app
        .gql(
            "mutation($id: ID!) { deactivateUser(id: $id) { isActive } }",
            json!({ "id": admin.user_id }),
            Some(&other.access),
        )
        .await;
    let body = app
        .gql_as_key(
            EVENT,
            json!({ "input": { "leadId": lead, "type": "EMAIL_OPENED" } }),
            &secret,
        )
        .await;
    let forged = app
        .gql_as_key(
            EVENT,
            json!({ "input": { "leadId": lead, "type": "EMAIL_OPENED" } }),
            "lsk_0000000000000000000000000000000000000000000000000000000000000000",
        )
        .await;

    assert_ok(&deactivated);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert_eq!(error_code(&forged), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_leads_key_learns_nothing_it_did_not_send() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let existing = app
        .create_lead(
            &admin.access,
            json!({ "email": "known@example.com", "phone": "+44 20 7946 0958", "company": "Secret Co" }),
        )
        .await;
    let (_, secret) = key(&app, &admin.access, json!(["LEADS_WRITE"])).await;

    let duplicate = app
        .gql_as_key(
            "mutation { createLead(input: {firstName: \"A\", lastName: \"B\", email: \"known@example.com\"}) { id } }",
            json!({}),
            &secret,
        )
        .await;
    let empty_update = app
        .gql_as_key(
            "mutation($id: ID!) { updateLead(id: $id, input: {}) { id firstName email phone company status } }",
            json!({ "id": existing }),
            &secret,
        )
        .await;
    let own_fields = app
        .gql_as_key(
            "mutation($id: ID!) { updateLead(id: $id, input: {purchaseTimeline: \"Q3\"}) { id purchaseTimeline } }",
            json!({ "id": existing }),
            &secret,
        )
        .await;

    assert_eq!(error_code(&duplicate), "CONFLICT");
    assert!(
        duplicate["errors"][0]["extensions"]
            .get("existingId")
            .is_none(),
        "{duplicate}"
    );
    assert!(!duplicate.to_string().contains(&existing));
    assert_eq!(error_code(&empty_update), "FORBIDDEN");
    for secret_value in ["known@example.com", "Secret Co", "442079460958"] {
        assert!(
            !empty_update.to_string().contains(secret_value),
            "{empty_update}"
        );
    }
    assert_ok(&own_fields);
    assert_eq!(own_fields["data"]["updateLead"]["purchaseTimeline"], "Q3");
}

#[tokio::test]
async fn an_external_id_is_a_replay_only_for_the_sender_that_first_used_it() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    let (_, first) = key(&app, &admin.access, json!(["EVENTS_WRITE"])).await;
    let (_, second) = key(&app, &admin.access, json!(["EVENTS_WRITE"])).await;
    let event = |text: &str| json!({ "input": { "leadId": lead, "type": "CHAT_MESSAGE", "externalId": "chat-1", "metadata": { "text": text } } });
    const RECORD: &str = "mutation($input: EngagementEventInput!) { recordEngagementEvent(input: $input) { id metadata } }";

    let original = app.gql_as_key(RECORD, event("private words"), &first).await;
    let replay = app.gql_as_key(RECORD, event("private words"), &first).await;
    let foreign = app.gql_as_key(RECORD, event("probe"), &second).await;
    let person = app.gql(RECORD, event("probe"), Some(&admin.access)).await;

    assert_ok(&original);
    assert_eq!(
        replay["data"]["recordEngagementEvent"]["id"],
        original["data"]["recordEngagementEvent"]["id"]
    );
    for other in [&foreign, &person] {
        assert_eq!(error_code(other), "BAD_USER_INPUT");
        assert_eq!(
            other["errors"][0]["extensions"]["field"],
            "input.externalId"
        );
        assert!(!other.to_string().contains("private words"), "{other}");
    }
    let stored = engagement_event::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn a_key_stays_off_after_its_admin_is_demoted_and_promoted_until_enabled() {
    let app = spawn_app().await;
    let root = app.signed_in("root@example.com", Role::Admin).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&admin.access, json!({})).await;
    let (key_id, secret) = key(&app, &admin.access, json!(["EVENTS_WRITE"])).await;
    const ROLE: &str =
        "mutation($id: ID!, $role: Role!) { updateUser(id: $id, input: {role: $role}) { role } }";
    let send = || {
        app.gql_as_key(
            EVENT,
            json!({ "input": { "leadId": lead, "type": "EMAIL_OPENED" } }),
            &secret,
        )
    };

    assert_ok(
        &app.gql(
            ROLE,
            json!({ "id": admin.user_id, "role": "MANAGER" }),
            Some(&root.access),
        )
        .await,
    );
    assert_ok(
        &app.gql(
            ROLE,
            json!({ "id": admin.user_id, "role": "ADMIN" }),
            Some(&root.access),
        )
        .await,
    );
    let after_promotion = send().await;
    let listed = app
        .gql(
            "{ apiKeys { id disabledAt } }",
            json!({}),
            Some(&root.access),
        )
        .await;
    let enabled = app
        .gql(
            "mutation($id: ID!) { enableApiKey(id: $id) { id disabledAt } }",
            json!({ "id": key_id }),
            Some(&root.access),
        )
        .await;
    let after_enabling = send().await;

    assert_eq!(error_code(&after_promotion), "UNAUTHENTICATED");
    assert!(after_promotion["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("enableApiKey"));
    assert!(
        !listed["data"]["apiKeys"][0]["disabledAt"].is_null(),
        "{listed}"
    );
    assert_ok(&enabled);
    assert!(enabled["data"]["enableApiKey"]["disabledAt"].is_null());
    assert_ok(&after_enabling);
}
