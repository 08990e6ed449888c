use futures_util::{SinkExt, StreamExt};
use leadscore::entity::user::Role;
use reqwest::header;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use crate::helpers::{error_code, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_query_works_over_get_and_a_mutation_over_get_is_405() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);

    let query = app
        .client
        .get(&url)
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .unwrap();
    let mutation = app
        .client
        .get(&url)
        .query(&[("query", "mutation { logout(refreshToken: \"x\") }")])
        .send()
        .await
        .unwrap();

    assert_eq!(query.status(), 200);
    assert_eq!(
        query.json::<Value>().await.unwrap()["data"]["__typename"],
        "Query"
    );
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()[header::ALLOW], "POST");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|s| s.max_body_bytes = 2048).await;
    let padding = "x".repeat(4096);

    let response = app
        .post(
            json!({ "query": format!("{{ __typename }} # {padding}") }),
            None,
        )
        .await;

    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn graphql_response_json_is_honoured_with_400_for_a_bad_query() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(header::ACCEPT, "application/graphql-response+json")
        .json(&json!({ "query": "{ noSuchField }" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/graphql-response+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn every_error_carries_a_code_even_syntax_and_limit_errors() {
    let app = spawn_app().await;
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(20),
        "} ".repeat(20)
    );

    for query in [
        "{ me { id ",
        "{ noSuchField }",
        &deep,
        "query($n: Int!) { __typename }",
    ] {
        let body = app.gql(query, json!({}), None).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}");
    }
}

#[tokio::test]
async fn responses_carry_security_headers_and_graphiql_is_served() {
    let app = spawn_app().await;

    let graphiql = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap();
    let negotiated = app
        .client
        .get(format!("{}/graphql", app.address))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();

    assert_eq!(graphiql.status(), 200);
    let headers = graphiql.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(headers.contains_key("referrer-policy"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        !csp.contains("http") && !csp.contains("ws:"),
        "no other origin: {csp}"
    );
    let html = graphiql.text().await.unwrap();
    assert!(
        html.contains("/graphql/ws"),
        "GraphiQL knows the subscription endpoint"
    );
    assert!(!html.contains("//"), "every file from this origin: {html}");
    assert_eq!(negotiated.status(), 200);
    assert!(negotiated.text().await.unwrap().contains("graphiql"));
}

/// The page's scripts and styles are the binary's own, so GraphiQL works
/// on a machine without internet access.
#[tokio::test]
async fn graphiql_files_are_served_from_the_binary() {
    let app = spawn_app().await;
    let html = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let files: Vec<&str> = html
        .split('"')
        .filter(|part| part.starts_with("/graphiql/assets/"))
        .collect();
    assert_eq!(files.len(), 5, "{html}");
    for file in files {
        let response = app
            .client
            .get(format!("{}{file}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(content_type.starts_with("text/"), "{file}: {content_type}");
        assert!(response.bytes().await.unwrap().len() > 100, "{file}");
    }
    let missing = app
        .client
        .get(format!("{}/graphiql/assets/..%2Fsecret", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn graphiql_and_introspection_can_be_switched_off() {
    let app = spawn_app_with(|s| {
        s.enable_graphiql = Some(false);
        s.enable_introspection = Some(false);
    })
    .await;

    let graphiql = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap();
    let introspection = app
        .gql("{ __schema { queryType { name } } }", json!({}), None)
        .await;

    assert_eq!(graphiql.status(), 404);
    assert!(
        introspection.get("errors").is_some() || introspection["data"]["__schema"].is_null(),
        "{introspection}"
    );
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = spawn_app_with(|s| s.allowed_origins = vec!["https://app.example.com".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .send()
    };

    let allowed = preflight("https://app.example.com").await.unwrap();
    let refused = preflight("https://evil.example.net").await.unwrap();

    assert_eq!(
        allowed.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    assert!(!refused
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn anyone_reads_liveness_and_bare_readiness_and_only_monitoring_the_health_document() {
    let app = spawn_app().await;
    let anonymous = |path: &str| app.client.get(format!("{}{path}", app.address)).send();

    let live = anonymous("/livez").await.unwrap();
    let ready = anonymous("/readyz").await.unwrap();
    let ready_status = ready.status();
    let ready_body: Value = ready.json().await.unwrap();
    let health_anonymous = anonymous("/health.json").await.unwrap();
    let dashboard = anonymous("/health").await.unwrap();
    let (status, body) = app.health_json().await;

    assert_eq!(live.status(), 200);
    assert_eq!(ready_status, 200);
    assert_eq!(ready_body, json!({ "status": "ready" }), "nothing more");
    assert_eq!(
        health_anonymous.status(),
        401,
        "the detail needs the metrics token"
    );
    assert_eq!(dashboard.status(), 404, "the dashboard is ADMIN_BIND's");
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert!(body["version"].is_string() && body["uptimeSecs"].is_u64());
    assert!(body["pool"]["size"].is_u64(), "{body}");
    let text = body.to_string();
    assert!(
        !text.contains(&app.test_db.url) && !text.contains("secret"),
        "{text}"
    );
}

#[tokio::test]
async fn the_websocket_endpoint_acknowledges_a_signed_in_connection_and_refuses_a_bad_token() {
    let app = spawn_app().await;
    let tokens = app.signed_in("rep@example.com", Role::SalesRep).await;
    let connect = || async {
        let mut request = format!("ws://127.0.0.1:{}/graphql/ws", app.port)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects")
            .0
    };

    let mut good = connect().await;
    good.send(Message::text(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", tokens.access) } }).to_string())).await.unwrap();
    let ack = good.next().await.unwrap().unwrap();
    let mut bad = connect().await;
    bad.send(Message::text(
        json!({ "type": "connection_init", "payload": { "authorization": "Bearer forged" } })
            .to_string(),
    ))
    .await
    .unwrap();
    let refusal = bad.next().await;

    assert_eq!(
        serde_json::from_str::<Value>(ack.to_text().unwrap()).unwrap()["type"],
        "connection_ack"
    );
    assert!(
        matches!(refusal, Some(Ok(Message::Close(_))) | None | Some(Err(_))),
        "{refusal:?}"
    );
}

#[tokio::test]
async fn a_request_past_the_timeout_gets_a_clear_504() {
    use axum::{middleware, routing::get, Router};
    // The server's timeout middleware in front of a handler slower than the limit.
    let slow = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "too late"
            }),
        )
        .layer(middleware::from_fn_with_state(
            std::time::Duration::from_millis(200),
            leadscore::http::limits::timeout,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, slow).await });

    let response = reqwest::get(format!("http://{addr}/slow")).await.unwrap();

    assert_eq!(response.status(), 504);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "TIMEOUT");
}

/// What GraphiQL and code generators send to load the schema: graphql-js's
/// `getIntrospectionQuery()`, with its defaults and with every option on.
#[tokio::test]
async fn the_standard_introspection_query_loads_the_whole_schema() {
    let app = spawn_app_with(|s| s.enable_introspection = Some(true)).await;
    for query in [
        include_str!("fixtures/introspection_default.graphql"),
        include_str!("fixtures/introspection_all_options.graphql"),
    ] {
        let body = app.gql(query, json!({}), None).await;
        assert!(body.get("errors").is_none(), "{body}");
        let types = body["data"]["__schema"]["types"].as_array().expect("types");
        assert!(types.iter().any(|t| t["name"] == "Lead"), "{body}");
    }
    let too_deep = app
        .gql(
            "{ leads { edges { node { assignments { lead { assignments { lead { assignments { lead { assignments { lead { assignments { id } } } } } } } } } } } } }",
            json!({}),
            None,
        )
        .await;
    assert!(too_deep.get("data").is_none(), "{too_deep}");
    assert!(
        too_deep["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("13 deep")),
        "{too_deep}"
    );
}
