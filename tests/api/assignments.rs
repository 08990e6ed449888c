use leadscore::entity::{
    assignment::{self, AssignmentStatus},
    audit_log,
    user::Role,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, TestApp, Tokens};

struct Team {
    manager: Tokens,
    rep1: Tokens,
    rep2: Tokens,
}

async fn team(app: &TestApp) -> Team {
    Team {
        manager: app.signed_in("manager@example.com", Role::Manager).await,
        rep1: app.signed_in("rep1@example.com", Role::SalesRep).await,
        rep2: app.signed_in("rep2@example.com", Role::SalesRep).await,
    }
}

const SEES: &str = "query($id: ID!) {
    lead(id: $id) { id }
    leads(filter: { search: \"zanzibar\" }) { totalCount edges { node { id } } }
    myLeads { totalCount }
    all: leads { totalCount }
}";

/// What a user can see of one lead: by id, in search, in myLeads and in the total.
async fn sees(app: &TestApp, token: &str, lead_id: &str) -> (bool, u64, u64, u64) {
    let body = app.gql(SEES, json!({ "id": lead_id }), Some(token)).await;
    let by_id = body["data"]["lead"]["id"].as_str() == Some(lead_id);
    if !by_id {
        assert_eq!(error_code(&body), "NOT_FOUND", "never FORBIDDEN: {body}");
    }
    let count = |v: &Value| v["totalCount"].as_u64().unwrap_or(0);
    (
        by_id,
        count(&body["data"]["leads"]),
        count(&body["data"]["myLeads"]),
        count(&body["data"]["all"]),
    )
}

const TRANSFER: &str = "mutation($l: ID!, $u: ID!, $r: String) { transferLead(leadId: $l, toUserId: $u, reason: $r) { status assignee { email } assignedBy { email } } }";
const COMPLETE: &str = "mutation($l: ID!, $o: String) { completeAssignment(leadId: $l, outcome: $o) { status outcome completedAt } }";

#[tokio::test]
async fn an_assigned_lead_is_visible_only_to_its_rep_and_follows_a_transfer() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let lead = app
        .create_lead(&t.manager.access, json!({ "lastName": "Zanzibar" }))
        .await;

    let assigned = app.assign(&t.manager.access, &lead, &t.rep1.user_id).await;
    assert_eq!(assigned["data"]["assignLead"]["status"], "ACTIVE");
    assert_eq!(sees(&app, &t.rep1.access, &lead).await, (true, 1, 1, 1));
    assert_eq!(sees(&app, &t.rep2.access, &lead).await, (false, 0, 0, 0));

    let moved = app
        .gql(
            TRANSFER,
            json!({ "l": lead, "u": t.rep2.user_id, "r": "territory change" }),
            Some(&t.manager.access),
        )
        .await;
    assert_eq!(
        moved["data"]["transferLead"]["assignee"]["email"],
        "rep2@example.com"
    );
    assert_eq!(sees(&app, &t.rep1.access, &lead).await, (false, 0, 0, 0));
    assert_eq!(sees(&app, &t.rep2.access, &lead).await, (true, 1, 1, 1));

    let history = app.gql("query($id: ID!) { lead(id: $id) { assignments { status assignee { email } outcome } activities { edges { node { kind } } } } }", json!({ "id": lead }), Some(&t.manager.access)).await;
    let statuses: Vec<&str> = history["data"]["lead"]["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ACTIVE", "TRANSFERRED"]);
    assert_eq!(
        history["data"]["lead"]["assignments"][1]["outcome"],
        "territory change"
    );
    let kinds: Vec<&str> = history["data"]["lead"]["activities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["TRANSFER", "ASSIGNMENT"]);
}

#[tokio::test]
async fn a_rep_hands_a_lead_on_and_loses_it_and_cannot_touch_anothers() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let mine = app
        .create_lead(&t.rep1.access, json!({ "lastName": "Mine" }))
        .await;
    let theirs = app
        .create_lead(&t.rep2.access, json!({ "lastName": "Theirs" }))
        .await;

    let steal = app
        .gql(
            TRANSFER,
            json!({ "l": theirs, "u": t.rep1.user_id }),
            Some(&t.rep1.access),
        )
        .await;
    let hand_on = app
        .gql(
            TRANSFER,
            json!({ "l": mine, "u": t.rep2.user_id }),
            Some(&t.rep1.access),
        )
        .await;

    assert_eq!(error_code(&steal), "NOT_FOUND");
    assert_eq!(
        hand_on["data"]["transferLead"]["assignedBy"]["email"],
        "rep1@example.com"
    );
    assert!(!sees(&app, &t.rep1.access, &mine).await.0);
    assert!(sees(&app, &t.rep2.access, &mine).await.0);
}

#[tokio::test]
async fn a_lead_a_rep_creates_is_assigned_to_them() {
    let app = spawn_app().await;
    let t = team(&app).await;

    let lead = app.create_lead(&t.rep1.access, json!({})).await;

    let body = app
        .gql(
            "query($id: ID!) { lead(id: $id) { assignee { email } } }",
            json!({ "id": lead }),
            Some(&t.rep1.access),
        )
        .await;
    assert_eq!(
        body["data"]["lead"]["assignee"]["email"],
        "rep1@example.com"
    );
}

#[tokio::test]
async fn completing_an_assignment_records_the_outcome_and_ends_the_reps_access() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let lead = app.create_lead(&t.manager.access, json!({})).await;
    app.assign(&t.manager.access, &lead, &t.rep1.user_id).await;

    let body = app
        .gql(
            COMPLETE,
            json!({ "l": lead, "o": "Closed won: 2 vans" }),
            Some(&t.rep1.access),
        )
        .await;
    let again = app
        .gql(COMPLETE, json!({ "l": lead }), Some(&t.manager.access))
        .await;

    assert_eq!(body["data"]["completeAssignment"]["status"], "COMPLETED");
    assert_eq!(
        body["data"]["completeAssignment"]["outcome"],
        "Closed won: 2 vans"
    );
    assert_eq!(error_code(&again), "CONFLICT");
    assert!(!sees(&app, &t.rep1.access, &lead).await.0);
    let activities = app.gql("query($id: ID!) { lead(id: $id) { activities(first: 1) { edges { node { kind summary } } } } }", json!({ "id": lead }), Some(&t.manager.access)).await;
    assert_eq!(
        activities["data"]["lead"]["activities"]["edges"][0]["node"]["kind"],
        "COMPLETION"
    );
}

#[tokio::test]
async fn assignments_go_only_to_active_reps_and_managers_and_never_twice() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let lead = app.create_lead(&t.manager.access, json!({})).await;
    app.gql(
        "mutation($id: ID!) { deactivateUser(id: $id) { id } }",
        json!({ "id": t.rep2.user_id }),
        Some(&admin.access),
    )
    .await;

    let to_admin = app.assign(&t.manager.access, &lead, &admin.user_id).await;
    let to_inactive = app.assign(&t.manager.access, &lead, &t.rep2.user_id).await;
    let to_nobody = app
        .assign(
            &t.manager.access,
            &lead,
            "01900000-0000-7000-8000-000000000000",
        )
        .await;
    assert_ok(&app.assign(&t.manager.access, &lead, &t.rep1.user_id).await);
    let twice = app
        .assign(&t.manager.access, &lead, &t.manager.user_id)
        .await;

    for body in [&to_admin, &to_inactive, &to_nobody] {
        assert_eq!(error_code(body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "userId");
    }
    assert_eq!(error_code(&twice), "CONFLICT");
}

#[tokio::test]
async fn two_managers_assigning_at_once_end_with_one_active_assignment_and_a_conflict() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let other_manager = app.signed_in("manager2@example.com", Role::Manager).await;
    for round in 0..5 {
        let lead = app
            .create_lead(
                &t.manager.access,
                json!({ "lastName": format!("Race{round}") }),
            )
            .await;

        let (a, b) = tokio::join!(
            app.assign(&t.manager.access, &lead, &t.rep1.user_id),
            app.assign(&other_manager.access, &lead, &t.rep2.user_id)
        );

        let wins = [&a, &b]
            .iter()
            .filter(|r| r.get("errors").is_none())
            .count();
        let conflicts = [&a, &b]
            .iter()
            .filter(|r| r.get("errors").is_some() && error_code(r) == "CONFLICT")
            .count();
        assert_eq!((wins, conflicts), (1, 1), "round {round}: {a} / {b}");
        let active = assignment::Entity::find()
            .filter(assignment::Column::LeadId.eq(uuid::Uuid::parse_str(&lead).unwrap()))
            .filter(assignment::Column::Status.eq(AssignmentStatus::Active))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(active, 1);
    }
}

const BULK: &str = "mutation($ids: [ID!]!, $u: ID!, $n: String) { bulkAssignLeads(leadIds: $ids, userId: $u, note: $n) { operationId assigned transferred unchanged } }";
const MY_COUNT: &str = "{ myLeads(first: 1) { totalCount } }";
const INBOX: &str =
    "{ unreadNotificationCount notifications(first: 1) { edges { node { kind body } } } }";

async fn my_count(app: &TestApp, token: &str) -> u64 {
    let body = app.gql(MY_COUNT, json!({}), Some(token)).await;
    body["data"]["myLeads"]["totalCount"].as_u64().unwrap()
}

#[tokio::test]
async fn a_manager_reassigns_many_leads_in_one_call_with_one_notification_per_person() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let ana = app.signed_in("ana@example.com", Role::SalesRep).await;
    let ben = app.signed_in("ben@example.com", Role::SalesRep).await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let id = app
            .create_lead(&manager.access, json!({ "lastName": format!("L{i}") }))
            .await;
        if i < 20 {
            assert_ok(&app.assign(&manager.access, &id, &ana.user_id).await);
        } else if i == 20 {
            assert_ok(&app.assign(&manager.access, &id, &ben.user_id).await);
        }
        ids.push(id);
    }
    let inbox_before = |body: &Value| body["data"]["unreadNotificationCount"].as_u64().unwrap();
    let ana_before = inbox_before(&app.gql(INBOX, json!({}), Some(&ana.access)).await);
    let ben_before = inbox_before(&app.gql(INBOX, json!({}), Some(&ben.access)).await);

    let body = app
        .gql(
            BULK,
            json!({ "ids": ids, "u": ben.user_id, "n": "territory change" }),
            Some(&manager.access),
        )
        .await;
    assert_ok(&body);
    let done = &body["data"]["bulkAssignLeads"];
    assert_eq!(
        (&done["assigned"], &done["transferred"], &done["unchanged"]),
        (&json!(9), &json!(20), &json!(1))
    );
    assert_eq!(my_count(&app, &ben.access).await, 30);
    assert_eq!(my_count(&app, &ana.access).await, 0);

    let ben_inbox = app.gql(INBOX, json!({}), Some(&ben.access)).await;
    let ana_inbox = app.gql(INBOX, json!({}), Some(&ana.access)).await;
    assert_eq!(inbox_before(&ben_inbox), ben_before + 1, "{ben_inbox}");
    assert_eq!(inbox_before(&ana_inbox), ana_before + 1, "{ana_inbox}");
    let newest = |inbox: &Value| {
        inbox["data"]["notifications"]["edges"][0]["node"]["body"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        newest(&ben_inbox).starts_with("29 leads assigned to you"),
        "{ben_inbox}"
    );
    assert!(
        newest(&ana_inbox).starts_with("20 leads of yours transferred"),
        "{ana_inbox}"
    );

    let operation = done["operationId"].as_str().unwrap().to_string();
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.is_in(["lead.assigned", "lead.transferred"]))
        .all(app.core.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|a| {
            a.details
                .as_ref()
                .is_some_and(|d| d["operation"] == json!(operation))
        })
        .count();
    assert_eq!(
        audited, 29,
        "one entry per changed lead, sharing the operation id"
    );
}

#[tokio::test]
async fn a_bad_id_fails_the_whole_bulk_assignment_naming_its_position() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let ana = app.signed_in("ana@example.com", Role::SalesRep).await;
    let ben = app.signed_in("ben@example.com", Role::SalesRep).await;
    let first = app
        .create_lead(&manager.access, json!({ "lastName": "First" }))
        .await;
    let anas = app
        .create_lead(&manager.access, json!({ "lastName": "Anas" }))
        .await;
    assert_ok(&app.assign(&manager.access, &anas, &ana.user_id).await);
    let stranger = uuid::Uuid::now_v7().to_string();

    let body = app
        .gql(
            BULK,
            json!({ "ids": [first, stranger, anas], "u": ben.user_id }),
            Some(&manager.access),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "leadIds[1]");
    assert_eq!(body["errors"][0]["extensions"]["index"], 1);
    assert_eq!(my_count(&app, &ben.access).await, 0, "all or nothing");
    assert_eq!(my_count(&app, &ana.access).await, 1);

    let twice = app
        .gql(
            BULK,
            json!({ "ids": [first, first], "u": ben.user_id }),
            Some(&manager.access),
        )
        .await;
    assert_eq!(twice["errors"][0]["extensions"]["field"], "leadIds[1]");
    let too_many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let body = app
        .gql(
            BULK,
            json!({ "ids": too_many, "u": ben.user_id }),
            Some(&manager.access),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "leadIds");

    // A rep reaches only their own leads, and may pass them on.
    let body = app
        .gql(
            BULK,
            json!({ "ids": [anas, first], "u": ben.user_id }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["index"], 1, "{body}");
    let body = app
        .gql(
            BULK,
            json!({ "ids": [anas], "u": ben.user_id }),
            Some(&ana.access),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["bulkAssignLeads"]["transferred"], 1);
    assert_eq!(my_count(&app, &ben.access).await, 1);
}
