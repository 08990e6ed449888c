//! Documents built to crash or freeze the server: each is refused quickly,
//! over POST, GET and websocket alike, and the server keeps answering.
use std::time::{Duration, Instant};

use reqwest::header;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::{
    helpers::{error_code, spawn_app, TestApp},
    live::Live,
};

fn nested_list(depth: usize) -> String {
    format!(
        "{{ __typename(x: {}1{}) }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

fn nested_object(depth: usize) -> String {
    let filter = format!("{}\"x\"{}", "{search: ".repeat(depth), "}".repeat(depth));
    format!("{{ leads(filter: {filter}) {{ totalCount }} }}")
}

/// `fragment F1 on Query { ...F0 ...F0 }` up to `levels`: 2^levels walks
/// for a naive validator.
fn doubling_fragments(levels: usize) -> String {
    let mut query = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for level in 1..=levels {
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{prev} ...F{prev} }}\n",
            prev = level - 1
        ));
    }
    query
}

async fn get(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", query)])
        .send()
        .await
        .expect("GET answered");
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn post(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app.post(json!({ "query": query }), None).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn assert_alive(app: &TestApp) {
    let started = Instant::now();
    let live = app
        .client
        .get(format!("{}/livez", app.address))
        .send()
        .await
        .expect("the server still answers");
    assert_eq!(live.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn deeply_nested_literals_are_refused_over_post_and_get_and_the_server_lives() {
    let app = spawn_app().await;
    for query in [
        nested_list(2_000),
        nested_list(5_000),
        nested_object(2_000),
        nested_list(41),
    ] {
        for (method, (status, body)) in [
            ("POST", post(&app, &query).await),
            ("GET", get(&app, &query).await),
        ] {
            assert_eq!(status, 400, "{method} {}", &query[..40]);
            assert_eq!(error_code(&body), "BAD_USER_INPUT");
            assert!(body.get("data").is_none(), "{body}");
            assert!(body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("40 levels"));
        }
    }
    let (status, body) = post(&app, &nested_list(30)).await;
    assert_eq!(status, 200, "{body}");
    assert_alive(&app).await;
}

#[tokio::test]
async fn doubling_fragments_are_refused_in_milliseconds_and_do_not_slow_others() {
    let app = spawn_app().await;
    for levels in [25, 29] {
        let query = doubling_fragments(levels);
        let started = Instant::now();
        let (post_status, post_body) = post(&app, &query).await;
        let (get_status, _) = get(&app, &query).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(post_status, 400, "{post_body}");
        assert_eq!(get_status, 400);
        assert_eq!(error_code(&post_body), "BAD_USER_INPUT");
        assert!(post_body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expands"));
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn hostile_subscriptions_are_refused_on_the_websocket_which_stays_usable() {
    let app = spawn_app().await;
    let rep = app
        .signed_in("rep@example.com", leadscore::entity::user::Role::SalesRep)
        .await;
    let mut live = Live::connect(app.port, &rep.access).await;

    for (id, query) in [
        ("deep", nested_list(3_000)),
        ("fragments", doubling_fragments(27)),
        (
            "aliases",
            format!(
                "subscription {{ {} }}",
                (0..31)
                    .map(|i| format!("a{i}: unreadNotificationCountChanged"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ),
    ] {
        live.subscribe(id, &query, json!({})).await;
        let answer = live.next().await;
        assert_eq!(answer["type"], "error", "{id}: {answer}");
        assert_eq!(answer["id"], id);
        assert_eq!(answer["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    live.subscribe(
        "fine",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    assert_eq!(
        live.data().await["data"]["unreadNotificationCountChanged"],
        0
    );
    assert_alive(&app).await;
}

#[tokio::test]
async fn many_aliases_and_many_root_mutations_are_refused() {
    let app = spawn_app().await;
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let registers: String = (0..200)
        .map(|i| format!("r{i}: register(input: {{email: \"u{i}@example.com\", password: \"long enough pass\", fullName: \"U {i}\"}}) {{ accessToken }} "))
        .collect();
    let logouts: String = (0..11)
        .map(|i| format!("l{i}: logout(refreshToken: \"x\") "))
        .collect();

    let (alias_status, alias_body) = post(&app, &format!("{{ {aliases} }}")).await;
    let (register_status, register_body) = post(&app, &format!("mutation {{ {registers} }}")).await;
    let (logout_status, logout_body) = post(&app, &format!("mutation {{ {logouts} }}")).await;

    assert_eq!(alias_status, 400);
    assert!(alias_body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("aliases"));
    assert_eq!(register_status, 400);
    assert_eq!(error_code(&register_body), "BAD_USER_INPUT");
    assert_eq!(logout_status, 400);
    assert!(logout_body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("root fields"));
    let users = leadscore::entity::user::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(users.is_empty(), "nothing was registered");
}

#[tokio::test]
async fn list_sizes_count_toward_the_complexity_limit() {
    let app = spawn_app().await;
    let rep = app
        .signed_in("rep@example.com", leadscore::entity::user::Role::SalesRep)
        .await;
    let heavy = "leads(first: 100) { edges { node { id score { total } notes(first: 20) { edges { node { body } } } activities(first: 20) { edges { node { summary } } } } } }";
    let aliased: String = (0..30).map(|i| format!("a{i}: {heavy} ")).collect();
    let light = "leads(first: 50) { edges { node { id fullName company status score { total classification } assignee { fullName } } } }";

    let started = Instant::now();
    let refused = app
        .gql(&format!("{{ {aliased} }}"), json!({}), Some(&rep.access))
        .await;
    let single = app
        .gql(&format!("{{ {heavy} }}"), json!({}), Some(&rep.access))
        .await;
    let fits = app
        .gql(&format!("{{ {light} }}"), json!({}), Some(&rep.access))
        .await;

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(error_code(&single), "BAD_USER_INPUT");
    assert!(single["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("complex"));
    assert!(fits.get("errors").is_none(), "{fits}");
}

#[tokio::test]
async fn suggestions_are_not_offered_when_introspection_is_off() {
    let app = crate::helpers::spawn_app_with(|s| s.enable_introspection = Some(false)).await;
    let body = app.gql("{ leadz { totalCount } }", json!({}), None).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let introspection = app
        .gql("{ __schema { types { name } } }", json!({}), None)
        .await;
    assert!(
        introspection["data"]["__schema"].is_null(),
        "{introspection}"
    );
}

#[tokio::test]
async fn a_huge_document_of_unknown_fields_gets_a_small_answer() {
    let app = crate::helpers::spawn_app_with(|s| s.max_body_bytes = 2 * 1024 * 1024).await;
    let fields: String = (0..60_000).map(|i| format!("f{i} ")).collect();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(header::CONTENT_TYPE, "application/json")
        .body(json!({ "query": format!("{{ {fields} }}") }).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(status, 400);
    assert!(bytes.len() < 20_000, "{} bytes", bytes.len());
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}
