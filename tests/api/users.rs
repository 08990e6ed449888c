use leadscore::entity::{audit_log, user::Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, TestApp, Tokens};

const CREATE: &str =
    "mutation($input: CreateUserInput!) { createUser(input: $input) { id email role isActive } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id role fullName } }";
const DEACTIVATE: &str = "mutation($id: ID!) { deactivateUser(id: $id) { isActive } }";
const REACTIVATE: &str = "mutation($id: ID!) { reactivateUser(id: $id) { isActive } }";
const USERS: &str = "query($filter: UserFilter, $first: Int, $after: String) {
    users(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { email role } } }
}";

struct Team {
    admin: Tokens,
    manager: Tokens,
    rep: Tokens,
}

async fn team(app: &TestApp) -> Team {
    Team {
        admin: app.signed_in("admin@example.com", Role::Admin).await,
        manager: app.signed_in("manager@example.com", Role::Manager).await,
        rep: app.signed_in("rep@example.com", Role::SalesRep).await,
    }
}

fn new_user(email: &str) -> Value {
    json!({ "input": { "email": email, "fullName": "New Person", "role": "SALES_REP", "password": "a good password" } })
}

#[tokio::test]
async fn only_admins_manage_users_and_only_managers_and_admins_list_them() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let target = team.rep.user_id.clone();
    // (operation, variables, who, expected code or None for allowed)
    let cases: Vec<(&str, Value, Option<&str>, Option<&str>)> = vec![
        (
            CREATE,
            new_user("a@example.com"),
            Some(&team.admin.access),
            None,
        ),
        (
            CREATE,
            new_user("b@example.com"),
            Some(&team.manager.access),
            Some("FORBIDDEN"),
        ),
        (
            CREATE,
            new_user("c@example.com"),
            Some(&team.rep.access),
            Some("FORBIDDEN"),
        ),
        (
            CREATE,
            new_user("d@example.com"),
            None,
            Some("UNAUTHENTICATED"),
        ),
        (
            UPDATE,
            json!({ "id": target, "input": { "fullName": "Renamed" } }),
            Some(&team.admin.access),
            None,
        ),
        (
            UPDATE,
            json!({ "id": target, "input": { "role": "ADMIN" } }),
            Some(&team.manager.access),
            Some("FORBIDDEN"),
        ),
        (
            UPDATE,
            json!({ "id": target, "input": { "role": "ADMIN" } }),
            Some(&team.rep.access),
            Some("FORBIDDEN"),
        ),
        (
            DEACTIVATE,
            json!({ "id": team.manager.user_id }),
            Some(&team.rep.access),
            Some("FORBIDDEN"),
        ),
        (
            DEACTIVATE,
            json!({ "id": team.rep.user_id }),
            Some(&team.manager.access),
            Some("FORBIDDEN"),
        ),
        (
            REACTIVATE,
            json!({ "id": team.rep.user_id }),
            Some(&team.manager.access),
            Some("FORBIDDEN"),
        ),
        (
            REACTIVATE,
            json!({ "id": team.rep.user_id }),
            None,
            Some("UNAUTHENTICATED"),
        ),
        (USERS, json!({}), Some(&team.admin.access), None),
        (USERS, json!({}), Some(&team.manager.access), None),
        (USERS, json!({}), Some(&team.rep.access), Some("FORBIDDEN")),
        (USERS, json!({}), None, Some("UNAUTHENTICATED")),
        (
            "query($id: ID!) { user(id: $id) { email } }",
            json!({ "id": team.admin.user_id }),
            Some(&team.rep.access),
            Some("FORBIDDEN"),
        ),
        (
            "query($id: ID!) { user(id: $id) { email } }",
            json!({ "id": team.rep.user_id }),
            Some(&team.rep.access),
            None,
        ),
    ];
    for (query, variables, token, expected) in cases {
        let body = app.gql(query, variables.clone(), token).await;
        match expected {
            None => assert_ok(&body),
            Some(code) => assert_eq!(error_code(&body), code, "{query} {variables}"),
        }
    }
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_deactivated_or_demoted() {
    let app = spawn_app().await;
    let team = team(&app).await;

    let deactivate = app
        .gql(
            DEACTIVATE,
            json!({ "id": team.admin.user_id }),
            Some(&team.admin.access),
        )
        .await;
    let demote = app
        .gql(
            UPDATE,
            json!({ "id": team.admin.user_id, "input": { "role": "MANAGER" } }),
            Some(&team.admin.access),
        )
        .await;

    assert_eq!(error_code(&deactivate), "CONFLICT");
    assert_eq!(error_code(&demote), "CONFLICT");
    // With a second admin, the first may step down.
    let second = app.gql(CREATE, json!({ "input": { "email": "admin2@example.com", "fullName": "Second Admin", "role": "ADMIN", "password": "a good password" } }), Some(&team.admin.access)).await;
    assert_ok(&second);
    assert_ok(
        &app.gql(
            UPDATE,
            json!({ "id": team.admin.user_id, "input": { "role": "MANAGER" } }),
            Some(&team.admin.access),
        )
        .await,
    );
}

#[tokio::test]
async fn user_management_is_audited_with_before_and_after() {
    let app = spawn_app().await;
    let team = team(&app).await;

    app.gql(UPDATE, json!({ "id": team.rep.user_id, "input": { "role": "MANAGER", "fullName": "Promoted Rep" } }), Some(&team.admin.access)).await;
    app.gql(
        DEACTIVATE,
        json!({ "id": team.rep.user_id }),
        Some(&team.admin.access),
    )
    .await;
    app.gql(
        REACTIVATE,
        json!({ "id": team.rep.user_id }),
        Some(&team.admin.access),
    )
    .await;

    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::Action.is_in([
            "user.updated",
            "user.deactivated",
            "user.reactivated",
        ]))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 3);
    let update = entries.iter().find(|e| e.action == "user.updated").unwrap();
    let details = update.details.clone().unwrap();
    assert_eq!(
        details["role"],
        json!({ "before": "SALES_REP", "after": "MANAGER" })
    );
    assert!(
        details.get("email").is_none(),
        "unchanged fields are not listed: {details}"
    );
    assert!(entries
        .iter()
        .all(|e| e.actor_id.map(|a| a.to_string()) == Some(team.admin.user_id.clone())));
}

#[tokio::test]
async fn users_are_listed_in_pages_with_filters_and_a_total() {
    let app = spawn_app().await;
    let team = team(&app).await;
    for i in 0..4 {
        app.create_user(&format!("extra{i}@example.com"), Role::SalesRep)
            .await;
    }

    let first = app
        .gql(USERS, json!({ "first": 3 }), Some(&team.manager.access))
        .await;
    let cursor = first["data"]["users"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let second = app
        .gql(
            USERS,
            json!({ "first": 3, "after": cursor }),
            Some(&team.manager.access),
        )
        .await;
    let reps = app
        .gql(
            USERS,
            json!({ "filter": { "role": "SALES_REP", "search": "EXTRA" } }),
            Some(&team.manager.access),
        )
        .await;

    assert_eq!(first["data"]["users"]["totalCount"], 7);
    assert_eq!(first["data"]["users"]["pageInfo"]["hasNextPage"], true);
    let emails = |body: &Value| {
        body["data"]["users"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["email"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        emails(&first),
        [
            "admin@example.com",
            "manager@example.com",
            "rep@example.com"
        ]
    );
    assert_eq!(
        emails(&second),
        [
            "extra0@example.com",
            "extra1@example.com",
            "extra2@example.com"
        ]
    );
    assert_eq!(reps["data"]["users"]["totalCount"], 4);
}

#[tokio::test]
async fn a_tampered_cursor_or_id_is_bad_user_input() {
    let app = spawn_app().await;
    let team = team(&app).await;

    let cursor = app
        .gql(
            USERS,
            json!({ "after": "dGFtcGVyZWQ" }),
            Some(&team.admin.access),
        )
        .await;
    let id = app
        .gql(DEACTIVATE, json!({ "id": "42" }), Some(&team.admin.access))
        .await;

    assert_eq!(error_code(&cursor), "BAD_USER_INPUT");
    assert_eq!(cursor["errors"][0]["extensions"]["field"], "after");
    assert_eq!(error_code(&id), "BAD_USER_INPUT");
}

#[tokio::test]
async fn creating_a_user_with_a_taken_email_is_a_conflict_and_bad_input_names_the_field() {
    let app = spawn_app().await;
    let team = team(&app).await;

    let taken = app
        .gql(
            CREATE,
            new_user("REP@example.com"),
            Some(&team.admin.access),
        )
        .await;
    let bad = app.gql(CREATE, json!({ "input": { "email": "x@example.com", "fullName": "  ", "role": "MANAGER", "password": "a good password" } }), Some(&team.admin.access)).await;
    let unknown_role = app.gql(CREATE, json!({ "input": { "email": "x@example.com", "fullName": "X", "role": "OWNER", "password": "a good password" } }), Some(&team.admin.access)).await;

    assert_eq!(error_code(&taken), "CONFLICT");
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "input.fullName");
    assert_eq!(error_code(&unknown_role), "BAD_USER_INPUT");
}

#[tokio::test]
async fn me_shows_a_profile_change_at_once_though_the_token_check_is_remembered() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let me = "{ me { fullName email } }";
    // Twice: the second is answered from what the token check remembered.
    for _ in 0..2 {
        assert_ok(&app.gql(me, json!({}), Some(&team.rep.access)).await);
    }
    let renamed = app
        .gql(
            UPDATE,
            json!({ "id": team.rep.user_id, "input": { "fullName": "Renamed Rep", "email": "renamed@example.com" } }),
            Some(&team.admin.access),
        )
        .await;
    assert_ok(&renamed);
    let after = app.gql(me, json!({}), Some(&team.rep.access)).await;
    assert_eq!(
        after["data"]["me"],
        json!({ "fullName": "Renamed Rep", "email": "renamed@example.com" })
    );
}
