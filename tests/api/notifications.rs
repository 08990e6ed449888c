//! The notification bell: written with the change that causes it, read only
//! by its user, and pushed live over websockets, across replicas.

use leadscore::entity::user::Role;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};

use crate::{
    helpers::{assert_ok, error_code, spawn_app, until_subscribed, TestApp, Tokens},
    live::Live,
    scoring::{engage, fitting_lead},
};

const LIST: &str = "query($unread: Boolean) { unreadNotificationCount notifications(unreadOnly: $unread, first: 20) { edges { node { id cursor kind title body lead { id } readAt } } } }";
const ADDED: &str = "subscription($after: String) { notificationAdded(after: $after) { unreadCount notification { id cursor kind title body lead { id } } } }";

async fn bell(app: &TestApp, token: &str) -> (u64, Vec<Value>) {
    let body = app.gql(LIST, json!({}), Some(token)).await;
    assert_ok(&body);
    let nodes = body["data"]["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    (
        body["data"]["unreadNotificationCount"].as_u64().unwrap(),
        nodes,
    )
}

async fn transfer(app: &TestApp, token: &str, lead: &str, to: &str) -> Value {
    app.gql(
        "mutation($l: ID!, $u: ID!) { transferLead(leadId: $l, toUserId: $u, reason: \"holiday\") { id } }",
        json!({ "l": lead, "u": to }),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn assigning_a_lead_notifies_the_assignee_but_not_the_manager_who_did_it() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let lead = app
        .create_lead(
            &m.access,
            json!({ "firstName": "Dana", "lastName": "Buyer", "company": "Acme" }),
        )
        .await;

    assert_ok(&app.assign(&m.access, &lead, &rep.user_id).await);

    let (unread, items) = bell(&app, &rep.access).await;
    assert_eq!(unread, 1);
    assert_eq!(items[0]["kind"], "LEAD_ASSIGNED");
    assert_eq!(items[0]["lead"]["id"], lead.as_str());
    assert!(!items[0]["title"].as_str().unwrap().contains("Dana"));
    assert!(items[0]["body"]
        .as_str()
        .unwrap()
        .contains("Dana Buyer (Acme)"));
    assert_eq!(bell(&app, &m.access).await.0, 0);
}

#[tokio::test]
async fn transfers_completions_and_notes_reach_the_right_people() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep1 = app.signed_in("rep1@example.com", Role::SalesRep).await;
    let rep2 = app.signed_in("rep2@example.com", Role::SalesRep).await;
    let lead = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &lead, &rep1.user_id).await);

    assert_ok(&transfer(&app, &m.access, &lead, &rep2.user_id).await);
    assert_ok(
        &app.gql(
            "mutation($l: ID!) { addNote(leadId: $l, body: \"Called them, keen on the van\") { id } }",
            json!({ "l": lead }),
            Some(&m.access),
        )
        .await,
    );
    assert_ok(
        &app.gql(
            "mutation($l: ID!) { addNote(leadId: $l, body: \"my own note\") { id } }",
            json!({ "l": lead }),
            Some(&rep2.access),
        )
        .await,
    );
    let (_, rep2_items) = bell(&app, &rep2.access).await;
    assert!(rep2_items[0]["body"]
        .as_str()
        .unwrap()
        .contains("keen on the van"));
    assert_ok(
        &app.gql(
            "mutation($l: ID!) { completeAssignment(leadId: $l, outcome: \"sold\") { id } }",
            json!({ "l": lead }),
            Some(&rep2.access),
        )
        .await,
    );

    let kinds = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, rep1_items) = bell(&app, &rep1.access).await;
    let (_, rep2_items) = bell(&app, &rep2.access).await;
    let (_, m_items) = bell(&app, &m.access).await;
    assert_eq!(kinds(&rep1_items), ["LEAD_TRANSFERRED", "LEAD_ASSIGNED"]);
    assert_eq!(kinds(&rep2_items), ["NOTE_ADDED", "LEAD_TRANSFERRED"]);
    // The assignment is over, so rep2 no longer sees the lead: bodies are blanked.
    assert!(!rep2_items[0]["body"]
        .as_str()
        .unwrap()
        .contains("keen on the van"));
    assert_eq!(kinds(&m_items), ["ASSIGNMENT_COMPLETED"]);
    assert!(m_items[0]["body"].as_str().unwrap().contains("sold"));
}

#[tokio::test]
async fn a_notification_about_a_lead_the_user_lost_does_not_expose_it() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep1 = app.signed_in("rep1@example.com", Role::SalesRep).await;
    let rep2 = app.signed_in("rep2@example.com", Role::SalesRep).await;
    let lead = app
        .create_lead(
            &m.access,
            json!({ "firstName": "Secret", "lastName": "Client" }),
        )
        .await;
    assert_ok(&app.assign(&m.access, &lead, &rep1.user_id).await);
    assert_ok(&transfer(&app, &m.access, &lead, &rep2.user_id).await);

    let (_, items) = bell(&app, &rep1.access).await;

    assert_eq!(items.len(), 2);
    for item in &items {
        assert!(item["lead"].is_null(), "{item}");
        assert!(!item.to_string().contains("Secret"), "{item}");
    }
}

#[tokio::test]
async fn users_mark_only_their_own_notifications_read() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep1 = app.signed_in("rep1@example.com", Role::SalesRep).await;
    let rep2 = app.signed_in("rep2@example.com", Role::SalesRep).await;
    for _ in 0..3 {
        let lead = app.create_lead(&m.access, json!({})).await;
        assert_ok(&app.assign(&m.access, &lead, &rep1.user_id).await);
    }
    let (_, items) = bell(&app, &rep1.access).await;
    let first = items[0]["id"].clone();
    let mark = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }";

    let by_other = app
        .gql(mark, json!({ "ids": [first] }), Some(&rep2.access))
        .await;
    let by_owner = app
        .gql(mark, json!({ "ids": [first] }), Some(&rep1.access))
        .await;
    let again = app
        .gql(mark, json!({ "ids": [first] }), Some(&rep1.access))
        .await;
    let bad = app
        .gql(mark, json!({ "ids": ["nope"] }), Some(&rep1.access))
        .await;
    let unread_only = app
        .gql(LIST, json!({ "unread": true }), Some(&rep1.access))
        .await;
    let all = app
        .gql(
            "mutation { markAllNotificationsRead }",
            json!({}),
            Some(&rep1.access),
        )
        .await;

    assert_eq!(by_other["data"]["markNotificationsRead"], 0);
    assert_eq!(by_owner["data"]["markNotificationsRead"], 1);
    assert_eq!(again["data"]["markNotificationsRead"], 0);
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "ids[0]");
    assert_eq!(
        unread_only["data"]["notifications"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(all["data"]["markAllNotificationsRead"], 2);
    assert_eq!(bell(&app, &rep1.access).await.0, 0);
    let anonymous = app.gql(LIST, json!({}), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn the_assignee_hears_when_a_lead_turns_hot_once() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let lead = fitting_lead(&app, &m, "heating").await;
    assert_ok(&app.assign(&m.access, &lead, &rep.user_id).await);

    engage(&app, &m, &lead, 0).await;
    engage(&app, &m, &lead, 0).await;

    let (_, items) = bell(&app, &rep.access).await;
    let hot: Vec<&Value> = items
        .iter()
        .filter(|n| n["kind"] == "LEAD_BECAME_HOT")
        .collect();
    assert_eq!(hot.len(), 1, "{items:?}");
    assert!(hot[0]["body"].as_str().unwrap().contains("now scores"));
}

/// Subscribes `who` to `notificationAdded` on the server at `port`.
async fn listen(port: u16, who: &Tokens, after: Option<&str>) -> Live {
    let mut live = Live::connect(port, &who.access).await;
    live.subscribe("bell", ADDED, json!({ "after": after }))
        .await;
    live
}

#[tokio::test]
async fn a_subscriber_receives_its_notifications_live_and_resumes_without_gap_or_repeat() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let other = app.signed_in("other@example.com", Role::SalesRep).await;
    let mut live = listen(app.port, &rep, None).await;
    let mut bystander = listen(app.port, &other, None).await;
    app.until_subscribed(2).await;

    let first = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &first, &rep.user_id).await);
    let got = live.data().await;
    let added = &got["data"]["notificationAdded"];
    assert_eq!(added["notification"]["kind"], "LEAD_ASSIGNED");
    assert_eq!(added["notification"]["lead"]["id"], first.as_str());
    assert_eq!(added["unreadCount"], 1);
    let cursor = added["notification"]["cursor"]
        .as_str()
        .unwrap()
        .to_string();
    // The bystander heard nothing of it: its next message is its own lead.
    let own = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &own, &other.user_id).await);
    assert_eq!(
        bystander.data().await["data"]["notificationAdded"]["notification"]["lead"]["id"],
        own.as_str()
    );
    drop(live);

    // Two arrive while the client is away, a third once it is back.
    let mut missed = Vec::new();
    for _ in 0..2 {
        let lead = app.create_lead(&m.access, json!({})).await;
        assert_ok(&app.assign(&m.access, &lead, &rep.user_id).await);
        missed.push(lead);
    }
    let mut back = listen(app.port, &rep, Some(&cursor)).await;
    let replayed: Vec<Value> = vec![back.data().await, back.data().await];
    let third = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &third, &rep.user_id).await);
    let live_one = back.data().await;

    let leads: Vec<&str> = replayed
        .iter()
        .chain([&live_one])
        .map(|p| {
            p["data"]["notificationAdded"]["notification"]["lead"]["id"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        leads,
        [missed[0].as_str(), missed[1].as_str(), third.as_str()]
    );
    assert_eq!(live_one["data"]["notificationAdded"]["unreadCount"], 4);
    // Nothing repeated after it: the next message is the next notification.
    let fourth = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &fourth, &rep.user_id).await);
    assert_eq!(
        back.data().await["data"]["notificationAdded"]["notification"]["lead"]["id"],
        fourth.as_str()
    );
}

#[tokio::test]
async fn a_second_tab_follows_the_unread_count_and_a_lost_lead_is_not_found() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let lead = app.create_lead(&m.access, json!({})).await;
    let unseen = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &lead, &rep.user_id).await);
    let mut tab = Live::connect(app.port, &rep.access).await;
    tab.subscribe(
        "count",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    tab.subscribe(
        "score",
        "subscription($id: ID!) { leadScoreChanged(leadId: $id) { total } }",
        json!({ "id": unseen }),
    )
    .await;

    let mut first = [tab.next().await, tab.next().await];
    first.sort_by_key(|m| m["id"].as_str().unwrap().to_string());
    assert_eq!(
        first[0]["payload"]["data"]["unreadNotificationCountChanged"],
        1
    );
    assert_eq!(
        first[1]["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{}",
        first[1]
    );
    assert_ok(
        &app.gql(
            "mutation { markAllNotificationsRead }",
            json!({}),
            Some(&rep.access),
        )
        .await,
    );
    // The refused subscription completes; the count follows the other tab.
    let mut after = tab.next().await;
    while after["id"] != "count" {
        assert_eq!(after, json!({ "id": "score", "type": "complete" }));
        after = tab.next().await;
    }
    assert_eq!(
        after["payload"]["data"]["unreadNotificationCountChanged"],
        0
    );
}

#[tokio::test]
#[cfg_attr(not(lane_postgres), ignore = "replicas share a PostgreSQL database")]
async fn a_notification_written_on_one_replica_reaches_a_subscriber_on_another_even_across_a_listener_outage(
) {
    let app = spawn_app().await;
    let (other_port, other) = app.replica().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let mut live = listen(other_port, &rep, None).await;
    until_subscribed(&other, 1).await;

    let lead = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &lead, &rep.user_id).await);
    let mut scores = Live::connect(other_port, &rep.access).await;
    scores
        .subscribe(
            "score",
            "subscription($id: ID!) { leadScoreChanged(leadId: $id) { priorityTier } }",
            json!({ "id": lead }),
        )
        .await;
    until_subscribed(&other, 2).await;
    let got = live.data().await;
    assert_eq!(
        got["data"]["notificationAdded"]["notification"]["lead"]["id"],
        lead.as_str()
    );

    // Cut both servers' listening connections, then write while they are down.
    let cut = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cut.try_get::<i64>("", "n").unwrap(), 2);
    let during = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &during, &rep.user_id).await);
    // Closing the lead changes its result: a score event written in the outage.
    assert_ok(
        &app.gql(
            "mutation($l: ID!) { updateLead(id: $l, input: { status: LOST }) { id } }",
            json!({ "l": lead }),
            Some(&m.access),
        )
        .await,
    );

    let got = live.data().await;
    assert_eq!(
        got["data"]["notificationAdded"]["notification"]["lead"]["id"],
        during.as_str()
    );
    // Nothing old replayed: the next message is the next notification.
    let after = app.create_lead(&m.access, json!({})).await;
    assert_ok(&app.assign(&m.access, &after, &rep.user_id).await);
    assert_eq!(
        live.data().await["data"]["notificationAdded"]["notification"]["lead"]["id"],
        after.as_str()
    );
    // The closed lead's score (no tier) arrives, once, after the outage.
    let score = scores.data().await;
    assert!(
        score["data"]["leadScoreChanged"]["priorityTier"].is_null(),
        "{score}"
    );
}

#[tokio::test]
async fn a_score_subscription_follows_changes_and_ends_with_not_found_when_access_is_lost() {
    let app = spawn_app().await;
    let m = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let other = app.signed_in("other@example.com", Role::SalesRep).await;
    let lead = fitting_lead(&app, &m, "watched").await;
    assert_ok(&app.assign(&m.access, &lead, &rep.user_id).await);
    let mut live = Live::connect(app.port, &rep.access).await;
    live.subscribe(
        "score",
        "subscription($id: ID!) { leadScoreChanged(leadId: $id) { total classification } }",
        json!({ "id": lead }),
    )
    .await;
    app.until_subscribed(1).await;

    engage(&app, &m, &lead, 0).await;
    let changed = live.data().await;
    assert_eq!(changed["data"]["leadScoreChanged"]["classification"], "HOT");

    assert_ok(&transfer(&app, &m.access, &lead, &other.user_id).await);
    // Closing the lead changes its result (no priority any more): an event.
    assert_ok(
        &app.gql(
            "mutation($l: ID!) { updateLead(id: $l, input: { status: LOST }) { id } }",
            json!({ "l": lead }),
            Some(&m.access),
        )
        .await,
    );
    let lost = live.next().await;
    assert_eq!(
        lost["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{lost}"
    );
    assert_eq!(
        live.next().await,
        json!({ "id": "score", "type": "complete" })
    );
}

#[tokio::test]
async fn a_deactivated_users_live_streams_end_with_unauthenticated() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let mut live = listen(app.port, &rep, None).await;
    live.subscribe(
        "count",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    assert_eq!(live.next().await["id"], "count");
    app.until_subscribed(2).await;

    assert_ok(
        &app.gql(
            "mutation($id: ID!) { deactivateUser(id: $id) { isActive } }",
            json!({ "id": rep.user_id }),
            Some(&admin.access),
        )
        .await,
    );

    let mut ended = Vec::new();
    while ended.len() < 2 {
        let message = live.next().await;
        if message["type"] == "next" {
            assert_eq!(
                message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{message}"
            );
            ended.push(message["id"].as_str().unwrap().to_string());
        }
    }
    ended.sort();
    assert_eq!(ended, ["bell", "count"]);
}

#[tokio::test]
async fn bad_cursors_ids_and_oversized_batches_are_bad_user_input() {
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let mut live = Live::connect(app.port, &rep.access).await;
    live.subscribe("bell", ADDED, json!({ "after": "not-a-cursor" }))
        .await;
    live.subscribe(
        "score",
        "subscription { leadScoreChanged(leadId: \"nope\") { total } }",
        json!({}),
    )
    .await;
    let too_many: Vec<String> = (0..501).map(|_| uuid::Uuid::now_v7().to_string()).collect();

    let mut refused = Vec::new();
    while refused.len() < 2 {
        let message = live.next().await;
        if message["type"] == "next" {
            refused.push(message);
        }
    }
    refused.sort_by_key(|m| m["id"].as_str().unwrap_or_default().to_string());
    let batch = app
        .gql(
            "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }",
            json!({ "ids": too_many }),
            Some(&rep.access),
        )
        .await;

    for (message, field) in refused.iter().zip(["after", "leadId"]) {
        let error = &message["payload"]["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{message}");
        assert_eq!(error["extensions"]["field"], field, "{message}");
    }
    assert_eq!(error_code(&batch), "BAD_USER_INPUT");
    assert_eq!(batch["errors"][0]["extensions"]["field"], "ids");
}
