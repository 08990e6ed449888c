use leadscore::entity::{audit_log, lead, user::Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, TestApp, Tokens};

const LEAD: &str = "query($id: ID!) { lead(id: $id) {
    id firstName lastName fullName email phone company source status budgetMin budgetMax currency
    isRepeatCustomer attributes lastActivityAt createdBy { email } assignee { email }
} }";
const CREATE: &str =
    "mutation($input: CreateLeadInput!) { createLead(input: $input) { id email phone } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) { id status company phone budgetMax } }";
const LIST: &str = "query($filter: LeadFilter, $order: LeadOrder, $first: Int, $after: String, $last: Int, $before: String) {
    leads(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id fullName } }
    }
}";

async fn manager(app: &TestApp) -> Tokens {
    app.signed_in("manager@example.com", Role::Manager).await
}

fn names(body: &Value) -> Vec<String> {
    body["data"]["leads"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["fullName"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_lead_is_created_with_normalised_fields_and_read_back() {
    let app = spawn_app().await;
    let m = manager(&app).await;

    let id = app
        .create_lead(&m.access, json!({
            "firstName": " Ada ", "lastName": "Lovelace", "email": "Ada@Example.COM", "phone": "+44 20 7946 0958",
            "company": "Analytical Engines", "source": "REFERRAL", "budgetMin": 30000.5, "budgetMax": 45000,
            "currency": "gbp", "isRepeatCustomer": true, "attributes": { "fleetSize": 3 }
        }))
        .await;
    let body = app.gql(LEAD, json!({ "id": id }), Some(&m.access)).await;

    assert_ok(&body);
    let lead = &body["data"]["lead"];
    assert_eq!(lead["fullName"], "Ada Lovelace");
    assert_eq!(lead["email"], "ada@example.com");
    assert_eq!(lead["phone"], "+442079460958");
    assert_eq!(lead["status"], "NEW");
    assert_eq!(lead["budgetMin"], 30000.5);
    assert_eq!(lead["currency"], "GBP");
    assert_eq!(lead["attributes"], json!({ "fleetSize": 3 }));
    assert_eq!(lead["createdBy"]["email"], "manager@example.com");
    assert!(
        lead["assignee"].is_null(),
        "a manager's lead starts unassigned"
    );
}

#[tokio::test]
async fn bad_lead_input_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let cases = [
        (json!({ "firstName": "" }), "input.firstName"),
        (json!({ "lastName": "x".repeat(101) }), "input.lastName"),
        (json!({ "email": "not-an-email" }), "input.email"),
        (json!({ "phone": "call me maybe" }), "input.phone"),
        (json!({ "budgetMin": -5 }), "input.budgetMin"),
        (
            json!({ "budgetMin": 50000, "budgetMax": 10000 }),
            "input.budgetMin",
        ),
        (json!({ "currency": "DOLLARS" }), "input.currency"),
        (json!({ "attributes": [1, 2, 3] }), "input.attributes"),
        (
            json!({ "attributes": { "blob": "x".repeat(20_000) } }),
            "input.attributes",
        ),
    ];
    for (patch, field) in cases {
        let mut input = json!({ "firstName": "Pat", "lastName": "Lead" });
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        let body = app
            .gql(CREATE, json!({ "input": input }), Some(&m.access))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{patch}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{patch}");
    }
    assert_eq!(lead::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_naming_the_existing_lead_unless_allowed() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let first = app
        .create_lead(&m.access, json!({ "email": "dup@example.com" }))
        .await;

    let again = app
        .gql(
            CREATE,
            json!({ "input": { "firstName": "B", "lastName": "C", "email": "DUP@example.com" } }),
            Some(&m.access),
        )
        .await;
    let allowed = app.gql(CREATE, json!({ "input": { "firstName": "B", "lastName": "C", "email": "dup@example.com", "allowDuplicate": true } }), Some(&m.access)).await;

    assert_eq!(error_code(&again), "CONFLICT");
    assert_eq!(
        again["errors"][0]["extensions"]["existingId"],
        first.as_str()
    );
    assert_ok(&allowed);
}

#[tokio::test]
async fn a_rep_learns_nothing_of_a_lead_out_of_sight_by_its_email() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let theirs = app
        .create_lead(&m.access, json!({ "email": "taken@example.com" }))
        .await;
    let mine = app
        .create_lead(&rep.access, json!({ "email": "mine@example.com" }))
        .await;

    let beside = app
        .gql(
            CREATE,
            json!({ "input": { "firstName": "B", "lastName": "C", "email": "taken@example.com" } }),
            Some(&rep.access),
        )
        .await;
    let own_twice = app
        .gql(
            CREATE,
            json!({ "input": { "firstName": "B", "lastName": "C", "email": "mine@example.com" } }),
            Some(&rep.access),
        )
        .await;
    let managers_view = app
        .gql(
            CREATE,
            json!({ "input": { "firstName": "B", "lastName": "C", "email": "taken@example.com" } }),
            Some(&m.access),
        )
        .await;

    assert_ok(&beside);
    assert_ne!(beside["data"]["createLead"]["id"], theirs.as_str());
    assert_eq!(
        error_code(&own_twice),
        "CONFLICT",
        "their own lead is theirs to see"
    );
    assert_eq!(
        own_twice["errors"][0]["extensions"]["existingId"],
        mine.as_str()
    );
    assert_eq!(error_code(&managers_view), "CONFLICT");
    let untouched = lead::Entity::find_by_id(uuid::Uuid::parse_str(&theirs).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        untouched.first_name, "Pat",
        "the lead out of sight is unchanged"
    );
}

#[tokio::test]
async fn an_update_changes_and_clears_fields_audits_them_and_logs_a_status_change() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let id = app
        .create_lead(
            &m.access,
            json!({ "company": "Acme", "phone": "+1 555 010 2030", "budgetMax": 9000 }),
        )
        .await;

    let body = app.gql(UPDATE, json!({ "id": id, "input": { "status": "CONTACTED", "company": null, "budgetMax": 12000.25 } }), Some(&m.access)).await;

    assert_ok(&body);
    let lead = &body["data"]["updateLead"];
    assert_eq!(lead["status"], "CONTACTED");
    assert!(lead["company"].is_null());
    assert_eq!(lead["phone"], "+15550102030", "untouched fields stay");
    assert_eq!(lead["budgetMax"], 12000.25);
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("lead.updated"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let details = entry.details.unwrap();
    assert_eq!(
        details["status"],
        json!({ "before": "NEW", "after": "CONTACTED" })
    );
    assert_eq!(
        details["company"],
        json!({ "before": "Acme", "after": null })
    );
    assert!(details.get("phone").is_none());
    let activities = app.gql("query($id: ID!) { lead(id: $id) { lastActivityAt activities { edges { node { kind summary } } } } }", json!({ "id": id }), Some(&m.access)).await;
    assert_eq!(
        activities["data"]["lead"]["activities"]["edges"][0]["node"]["kind"],
        "STATUS_CHANGE"
    );
    assert!(activities["data"]["lead"]["lastActivityAt"].is_string());
}

#[tokio::test]
async fn a_deleted_lead_leaves_every_query_but_keeps_its_history() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let id = app
        .create_lead(&m.access, json!({ "lastName": "Gone" }))
        .await;
    app.create_lead(&m.access, json!({ "lastName": "Stays" }))
        .await;

    let deleted = app
        .gql(
            "mutation($id: ID!) { deleteLead(id: $id) }",
            json!({ "id": id }),
            Some(&m.access),
        )
        .await;

    assert_eq!(deleted["data"]["deleteLead"], true);
    assert_eq!(
        error_code(&app.gql(LEAD, json!({ "id": id }), Some(&m.access)).await),
        "NOT_FOUND"
    );
    let list = app
        .gql(
            LIST,
            json!({ "filter": { "search": "gone" } }),
            Some(&m.access),
        )
        .await;
    assert_eq!(list["data"]["leads"]["totalCount"], 0);
    assert_eq!(
        app.gql(LIST, json!({}), Some(&m.access)).await["data"]["leads"]["totalCount"],
        1
    );
    assert_eq!(
        error_code(
            &app.gql(
                UPDATE,
                json!({ "id": id, "input": { "status": "LOST" } }),
                Some(&m.access)
            )
            .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        lead::Entity::find().count(&app.db).await.unwrap(),
        2,
        "the row stays"
    );
    assert!(audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("lead.deleted"))
        .one(&app.db)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn filters_narrow_the_list_and_search_ignores_case() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let a = app.create_lead(&m.access, json!({ "lastName": "Smithson", "status": "QUALIFIED", "source": "WEBSITE", "company": "Blue Harbor" })).await;
    app.create_lead(&m.access, json!({ "lastName": "Jones", "status": "NEW", "source": "WEBSITE", "phone": "+1 555 777 0000" })).await;
    app.create_lead(&m.access, json!({ "lastName": "Brown", "status": "LOST", "source": "REFERRAL", "email": "brown@smithco.example" })).await;
    app.assign(&m.access, &a, &rep.user_id).await;
    let count = |filter: Value| {
        let app = &app;
        let token = m.access.clone();
        async move {
            app.gql(LIST, json!({ "filter": filter }), Some(&token))
                .await["data"]["leads"]["totalCount"]
                .as_u64()
                .unwrap()
        }
    };

    assert_eq!(count(json!({ "status": ["QUALIFIED", "LOST"] })).await, 2);
    assert_eq!(count(json!({ "source": "WEBSITE" })).await, 2);
    assert_eq!(
        count(json!({ "search": "SMITH" })).await,
        2,
        "name and email both match"
    );
    assert_eq!(count(json!({ "search": "harbor" })).await, 1);
    assert_eq!(count(json!({ "search": "777" })).await, 1);
    assert_eq!(
        count(json!({ "search": "100%_" })).await,
        0,
        "LIKE wildcards are literal"
    );
    assert_eq!(count(json!({ "assigneeId": rep.user_id })).await, 1);
    assert_eq!(count(json!({ "unassigned": true })).await, 2);
    assert_eq!(count(json!({ "createdAfter": "2000-01-01T00:00:00Z", "createdBefore": "2100-01-01T00:00:00Z" })).await, 3);
    assert_eq!(
        count(json!({ "createdAfter": "2100-01-01T00:00:00Z" })).await,
        0
    );
}

#[tokio::test]
async fn pages_walk_forwards_and_backwards_without_gaps_and_survive_inserts() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    for name in [
        "Adams", "Baker", "Clark", "Davis", "Evans", "Foster", "Garcia",
    ] {
        app.create_lead(&m.access, json!({ "lastName": name }))
            .await;
    }
    let order = json!({ "field": "NAME", "direction": "ASC" });

    let page1 = app
        .gql(LIST, json!({ "order": order, "first": 3 }), Some(&m.access))
        .await;
    let after1 = page1["data"]["leads"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    // A lead inserted before the cursor does not shift the next page.
    app.create_lead(&m.access, json!({ "lastName": "Aaronson" }))
        .await;
    let page2 = app
        .gql(
            LIST,
            json!({ "order": order, "first": 3, "after": after1 }),
            Some(&m.access),
        )
        .await;
    let after2 = page2["data"]["leads"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let page3 = app
        .gql(
            LIST,
            json!({ "order": order, "first": 3, "after": after2 }),
            Some(&m.access),
        )
        .await;
    let before3 = page3["data"]["leads"]["pageInfo"]["startCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let back = app
        .gql(
            LIST,
            json!({ "order": order, "last": 2, "before": before3 }),
            Some(&m.access),
        )
        .await;

    assert_eq!(names(&page1), ["Pat Adams", "Pat Baker", "Pat Clark"]);
    assert_eq!(names(&page2), ["Pat Davis", "Pat Evans", "Pat Foster"]);
    assert_eq!(names(&page3), ["Pat Garcia"]);
    assert_eq!(page3["data"]["leads"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(names(&back), ["Pat Evans", "Pat Foster"]);
    assert_eq!(back["data"]["leads"]["pageInfo"]["hasPreviousPage"], true);
}

#[tokio::test]
async fn tampered_or_foreign_cursors_and_out_of_range_pages_are_bad_input() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    for i in 0..3 {
        app.create_lead(&m.access, json!({ "lastName": format!("N{i}") }))
            .await;
    }
    let page = app.gql(LIST, json!({ "first": 1 }), Some(&m.access)).await;
    let cursor = page["data"]["leads"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();

    let tampered = app
        .gql(
            LIST,
            json!({ "after": format!("{cursor}x") }),
            Some(&m.access),
        )
        .await;
    let garbage = app
        .gql(
            LIST,
            json!({ "after": "bm90IGEgY3Vyc29y" }),
            Some(&m.access),
        )
        .await;
    let other_order = app
        .gql(
            LIST,
            json!({ "after": cursor, "order": { "field": "NAME" } }),
            Some(&m.access),
        )
        .await;
    let huge = app
        .gql(LIST, json!({ "first": 100000 }), Some(&m.access))
        .await;
    let zero = app.gql(LIST, json!({ "first": 0 }), Some(&m.access)).await;
    let both = app
        .gql(
            "query($first: Int, $last: Int) { leads(first: $first, last: $last) { totalCount } }",
            json!({ "first": 1, "last": 1 }),
            Some(&m.access),
        )
        .await;
    let full = app
        .gql(LIST, json!({ "first": 100 }), Some(&m.access))
        .await;

    assert_eq!(error_code(&tampered), "BAD_USER_INPUT");
    assert_eq!(error_code(&garbage), "BAD_USER_INPUT");
    assert_eq!(error_code(&other_order), "BAD_USER_INPUT");
    assert_eq!(error_code(&huge), "BAD_USER_INPUT");
    assert_eq!(huge["errors"][0]["extensions"]["field"], "first");
    assert!(huge["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("100"));
    assert_eq!(error_code(&zero), "BAD_USER_INPUT");
    assert_eq!(error_code(&both), "BAD_USER_INPUT");
    assert_eq!(both["errors"][0]["extensions"]["field"], "last");
    assert_ok(&full);
}

#[tokio::test]
async fn ordering_by_score_puts_unscored_leads_last_either_way() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    for (name, score) in [
        ("Low", Some(10)),
        ("None1", None),
        ("High", Some(90)),
        ("None2", None),
        ("Mid", Some(50)),
    ] {
        let id = app
            .create_lead(&m.access, json!({ "lastName": name }))
            .await;
        let mut model: lead::ActiveModel =
            lead::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .into();
        model.score = Set(score);
        model.update(&app.db).await.unwrap();
    }

    let desc = app
        .gql(
            LIST,
            json!({ "order": { "field": "SCORE", "direction": "DESC" }, "first": 2 }),
            Some(&m.access),
        )
        .await;
    let cursor = desc["data"]["leads"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let desc_rest = app
        .gql(
            LIST,
            json!({ "order": { "field": "SCORE", "direction": "DESC" }, "after": cursor }),
            Some(&m.access),
        )
        .await;
    let asc = app
        .gql(
            LIST,
            json!({ "order": { "field": "SCORE", "direction": "ASC" } }),
            Some(&m.access),
        )
        .await;

    assert_eq!(names(&desc), ["Pat High", "Pat Mid"]);
    let rest = names(&desc_rest);
    assert_eq!(rest[0], "Pat Low");
    assert_eq!(rest.len(), 3);
    let asc = names(&asc);
    assert_eq!(&asc[..3], ["Pat Low", "Pat Mid", "Pat High"]);
    assert!(asc[3].starts_with("Pat None") && asc[4].starts_with("Pat None"));
}

#[tokio::test]
async fn activities_are_logged_newest_first_and_move_last_activity_forward() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let id = app.create_lead(&m.access, json!({})).await;
    let log = "mutation($input: LogActivityInput!) { logActivity(input: $input) { id kind } }";
    let days_ago = |d: i64| (chrono::Utc::now() - chrono::Duration::days(d)).to_rfc3339();

    assert_ok(&app.gql(log, json!({ "input": { "leadId": id, "kind": "CALL", "direction": "OUTBOUND", "summary": "Intro call", "occurredAt": days_ago(5) } }), Some(&m.access)).await);
    assert_ok(&app.gql(log, json!({ "input": { "leadId": id, "kind": "EMAIL", "summary": "Sent price sheet", "occurredAt": days_ago(2) } }), Some(&m.access)).await);
    // History from before the last week is an import: an admin's to write.
    let too_old = json!({ "input": { "leadId": id, "kind": "SMS", "summary": "Back-dated", "occurredAt": days_ago(60) } });
    assert_eq!(
        error_code(&app.gql(log, too_old.clone(), Some(&m.access)).await),
        "FORBIDDEN"
    );
    assert_ok(&app.gql(log, too_old, Some(&admin.access)).await);
    let future = app.gql(log, json!({ "input": { "leadId": id, "kind": "CALL", "summary": "x", "occurredAt": "2999-01-01T00:00:00Z" } }), Some(&m.access)).await;
    let system_kind = app
        .gql(
            log,
            json!({ "input": { "leadId": id, "kind": "TRANSFER", "summary": "x" } }),
            Some(&m.access),
        )
        .await;
    let empty = app
        .gql(
            log,
            json!({ "input": { "leadId": id, "kind": "CALL", "summary": "  " } }),
            Some(&m.access),
        )
        .await;
    let body = app.gql("query($id: ID!) { lead(id: $id) { lastActivityAt activities(first: 2) { pageInfo { hasNextPage endCursor } edges { node { summary actor { email } } } } } }", json!({ "id": id }), Some(&m.access)).await;

    assert_eq!(error_code(&future), "BAD_USER_INPUT");
    assert_eq!(
        future["errors"][0]["extensions"]["field"],
        "input.occurredAt"
    );
    assert_eq!(
        system_kind["errors"][0]["extensions"]["field"],
        "input.kind"
    );
    assert_eq!(empty["errors"][0]["extensions"]["field"], "input.summary");
    let lead = &body["data"]["lead"];
    assert!(
        lead["lastActivityAt"]
            .as_str()
            .unwrap()
            .starts_with(&days_ago(2)[..10]),
        "{lead}"
    );
    let summaries: Vec<&str> = lead["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries, ["Sent price sheet", "Intro call"]);
    assert_eq!(lead["activities"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        lead["activities"]["edges"][0]["node"]["actor"]["email"],
        "manager@example.com"
    );
}

#[tokio::test]
async fn notes_are_plain_text_edited_only_by_their_author() {
    let app = spawn_app().await;
    let m = manager(&app).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let id = app.create_lead(&m.access, json!({})).await;
    let html = "<script>alert('x')</script> & <b>bold</b>";

    let added = app.gql("mutation($l: ID!, $b: String!) { addNote(leadId: $l, body: $b) { id body author { email } } }", json!({ "l": id, "b": html }), Some(&m.access)).await;
    let note_id = added["data"]["addNote"]["id"].as_str().unwrap().to_string();
    let too_long = app
        .gql(
            "mutation($l: ID!, $b: String!) { addNote(leadId: $l, body: $b) { id } }",
            json!({ "l": id, "b": "x".repeat(10_001) }),
            Some(&m.access),
        )
        .await;
    let edit = "mutation($id: ID!, $b: String!) { editNote(id: $id, body: $b) { body } }";
    let by_other = app
        .gql(
            edit,
            json!({ "id": note_id, "b": "hijacked" }),
            Some(&admin.access),
        )
        .await;
    let by_author = app
        .gql(
            edit,
            json!({ "id": note_id, "b": "Updated by the author" }),
            Some(&m.access),
        )
        .await;
    let deleted = app
        .gql(
            "mutation($id: ID!) { deleteNote(id: $id) }",
            json!({ "id": note_id }),
            Some(&admin.access),
        )
        .await;
    let after = app
        .gql(
            "query($id: ID!) { lead(id: $id) { notes { edges { node { id } } } } }",
            json!({ "id": id }),
            Some(&m.access),
        )
        .await;

    assert_eq!(
        added["data"]["addNote"]["body"], html,
        "stored and returned exactly as written"
    );
    assert_eq!(error_code(&too_long), "BAD_USER_INPUT");
    assert_eq!(error_code(&by_other), "FORBIDDEN");
    assert_eq!(
        by_author["data"]["editNote"]["body"],
        "Updated by the author"
    );
    assert_eq!(deleted["data"]["deleteNote"], true);
    assert_eq!(after["data"]["lead"]["notes"]["edges"], json!([]));
    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("note"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["note.added", "note.edited", "note.deleted"]);
}

#[tokio::test]
async fn admins_read_a_leads_audit_trail_newest_first() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let m = manager(&app).await;
    let id = app.create_lead(&m.access, json!({})).await;
    app.gql(
        UPDATE,
        json!({ "id": id, "input": { "status": "QUALIFIED" } }),
        Some(&m.access),
    )
    .await;
    app.gql(
        "mutation($id: ID!) { deleteLead(id: $id) }",
        json!({ "id": id }),
        Some(&m.access),
    )
    .await;

    let body = app
        .gql(
            "query($id: ID!) { auditLog(filter: { entityType: \"lead\", entityId: $id }, first: 10) { totalCount edges { node { action actor { email } details } } } }",
            json!({ "id": id }),
            Some(&admin.access),
        )
        .await;

    assert_ok(&body);
    let actions: Vec<&str> = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["lead.deleted", "lead.updated", "lead.created"]);
    assert_eq!(
        body["data"]["auditLog"]["edges"][1]["node"]["actor"]["email"],
        "manager@example.com"
    );
    assert_eq!(
        body["data"]["auditLog"]["edges"][1]["node"]["details"]["status"]["after"],
        "QUALIFIED"
    );
}

#[tokio::test]
async fn a_manager_deletes_and_restores_many_leads_at_once_all_or_nothing() {
    const DELETE: &str =
        "mutation($ids: [ID!]!) { bulkDeleteLeads(leadIds: $ids) { operationId changed } }";
    const RESTORE: &str =
        "mutation($ids: [ID!]!) { restoreLeads(leadIds: $ids) { operationId changed } }";
    const COUNT: &str = "{ leads(first: 1) { totalCount } }";
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let token = Some(manager.access.as_str());
    let a = app
        .create_lead(&manager.access, json!({ "lastName": "A" }))
        .await;
    let b = app
        .create_lead(&manager.access, json!({ "lastName": "B" }))
        .await;
    let c = app
        .create_lead(&manager.access, json!({ "lastName": "C" }))
        .await;
    let count = |body: Value| body["data"]["leads"]["totalCount"].as_u64().unwrap();

    let refused = app
        .gql(DELETE, json!({ "ids": [a] }), Some(&rep.access))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    let deleted = app.gql(DELETE, json!({ "ids": [a, b] }), token).await;
    assert_ok(&deleted);
    assert_eq!(deleted["data"]["bulkDeleteLeads"]["changed"], 2);
    assert_eq!(count(app.gql(COUNT, json!({}), token).await), 1);

    let again = app.gql(DELETE, json!({ "ids": [c, a] }), token).await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT");
    assert_eq!(again["errors"][0]["extensions"]["field"], "leadIds[1]");
    assert_eq!(
        count(app.gql(COUNT, json!({}), token).await),
        1,
        "c was not deleted"
    );

    let live = app.gql(RESTORE, json!({ "ids": [a, c] }), token).await;
    assert_eq!(live["errors"][0]["extensions"]["index"], 1, "{live}");
    let restored = app.gql(RESTORE, json!({ "ids": [a, b] }), token).await;
    assert_ok(&restored);
    assert_eq!(restored["data"]["restoreLeads"]["changed"], 2);
    assert_eq!(count(app.gql(COUNT, json!({}), token).await), 3);

    let operation = deleted["data"]["bulkDeleteLeads"]["operationId"].clone();
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("lead.deleted"))
        .all(app.core.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.details
                .as_ref()
                .is_some_and(|d| d["operation"] == operation)
        })
        .count();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn a_bulk_status_change_records_history_and_rescores_each_lead_as_one_change_would() {
    const SET: &str = "mutation($ids: [ID!]!, $s: LeadStatus!) { bulkUpdateLeadStatus(leadIds: $ids, status: $s) { changed } }";
    const SEE: &str = "query($id: ID!) { lead(id: $id) { status score { priorityTier } activities(first: 5) { edges { node { kind summary } } } } }";
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let token = Some(manager.access.as_str());
    let a = app
        .create_lead(&manager.access, json!({ "lastName": "A" }))
        .await;
    let b = app
        .create_lead(&manager.access, json!({ "lastName": "B" }))
        .await;
    let c = app
        .create_lead(
            &manager.access,
            json!({ "lastName": "C", "status": "QUALIFIED" }),
        )
        .await;
    assert_ok(&app.assign(&manager.access, &a, &rep.user_id).await);

    let body = app
        .gql(SET, json!({ "ids": [a, b, c], "s": "QUALIFIED" }), token)
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["bulkUpdateLeadStatus"]["changed"], 2,
        "c was already QUALIFIED"
    );
    let seen = app.gql(SEE, json!({ "id": b }), token).await;
    assert_eq!(seen["data"]["lead"]["status"], "QUALIFIED");
    let kinds: Vec<&Value> = seen["data"]["lead"]["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["summary"])
        .collect();
    assert!(
        kinds.contains(&&json!("Status changed from NEW to QUALIFIED")),
        "{seen}"
    );

    // A rep changes only their own leads; a closed lead leaves the call list.
    let body = app
        .gql(SET, json!({ "ids": [a, b], "s": "WON" }), Some(&rep.access))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "leadIds[1]",
        "{body}"
    );
    let body = app
        .gql(SET, json!({ "ids": [a], "s": "WON" }), Some(&rep.access))
        .await;
    assert_ok(&body);
    let won = app.gql(SEE, json!({ "id": a }), token).await;
    assert_eq!(won["data"]["lead"]["status"], "WON");
    assert_eq!(
        won["data"]["lead"]["score"]["priorityTier"],
        Value::Null,
        "rescored: unranked"
    );
    let history = leadscore::entity::lead_status_change::Entity::find()
        .all(app.core.db())
        .await
        .unwrap();
    let a_id = uuid::Uuid::parse_str(&a).unwrap();
    let a_history: Vec<_> = history
        .iter()
        .filter(|h| h.lead_id == a_id)
        .map(|h| (h.from_status, h.to_status))
        .collect();
    assert!(a_history.contains(&(
        Some(leadscore::entity::lead::LeadStatus::Qualified),
        leadscore::entity::lead::LeadStatus::Won
    )));
}
