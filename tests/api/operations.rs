//! What operators reach: `/metrics` (behind METRICS_TOKEN or on
//! ADMIN_BIND), `/health.json`'s figures and the `/health` dashboard.

use leadscore::entity::user::Role;
use reqwest::header;
use serde_json::json;

use crate::{
    helpers::{spawn_app, spawn_app_with, TestApp},
    live::Live,
};

const TOKEN: &str = "metrics-token-for-tests";

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Sample lines (not comments): one per series.
fn series(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
}

fn value(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} in {text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn metrics_need_the_token_and_are_not_served_without_one() {
    let closed = spawn_app_with(|s| s.metrics_token = None).await;
    assert_eq!(closed.get("/metrics").await.status(), 404);
    assert_eq!(closed.get("/health.json").await.status(), 404);

    let app = spawn_app_with(|s| s.metrics_token = Some(TOKEN.into())).await;
    for token in [None, Some("wrong"), Some("metrics-token-for-test")] {
        let mut request = app.client.get(format!("{}/metrics", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        assert_eq!(request.send().await.unwrap().status(), 401, "{token:?}");
    }
    let text = scrape(&app).await;
    assert!(text.contains("leadscore_db_pool_max"), "{text}");
    assert!(text.ends_with("# EOF\n"), "OpenMetrics text");
}

#[tokio::test]
async fn admin_bind_serves_metrics_without_a_token() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|s| {
        s.admin_bind = Some(([127, 0, 0, 1], port).into());
        s.metrics_token = None;
    })
    .await;
    let metrics = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .text()
        .await
        .unwrap()
        .contains("leadscore_uptime_seconds"));
    let health = app
        .client
        .get(format!("http://127.0.0.1:{port}/health.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let main = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        main.status(),
        404,
        "the main address still needs METRICS_TOKEN"
    );
}

#[tokio::test]
async fn requests_errors_and_sign_in_throttling_are_counted_by_kind_and_code() {
    let app = spawn_app_with(|s| s.metrics_token = Some(TOKEN.into())).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    app.gql("{ me { email } }", json!({}), Some(&rep.access))
        .await;
    app.gql("{ me { email } }", json!({}), None).await;
    app.gql("{ nope }", json!({}), None).await;
    app.gql(
        "mutation { createLead(input: { firstName: \"\", lastName: \"x\" }) { id } }",
        json!({}),
        Some(&rep.access),
    )
    .await;
    for _ in 0..6 {
        app.login("rep@example.com", "not the password").await;
    }

    let text = scrape(&app).await;
    assert!(
        value(
            &text,
            "leadscore_http_requests_total{operation=\"query\",outcome=\"ok\"}"
        ) >= 1.0
    );
    assert!(
        value(
            &text,
            "leadscore_http_requests_total{operation=\"query\",outcome=\"error\"}"
        ) >= 2.0
    );
    assert!(
        value(
            &text,
            "leadscore_http_requests_total{operation=\"mutation\",outcome=\"error\"}"
        ) >= 7.0
    );
    assert!(value(&text, "leadscore_errors_total{code=\"UNAUTHENTICATED\"}") >= 1.0);
    assert!(value(&text, "leadscore_errors_total{code=\"BAD_USER_INPUT\"}") >= 2.0);
    assert!(value(&text, "leadscore_throttled_total{limit=\"login\"}") >= 1.0);
    assert!(text.contains("leadscore_http_request_duration_seconds_bucket{le=\"0.005\",operation=\"query\",outcome=\"ok\"}")
        || text.contains("leadscore_http_request_duration_seconds_bucket{operation=\"query\",outcome=\"ok\",le=\"0.005\"}"), "{text}");
}

/// No label holds a user, lead or connection id: a thousand subscribers
/// change values, never the number of series.
#[tokio::test]
async fn a_thousand_subscribers_add_no_series() {
    let app = spawn_app_with(|s| s.metrics_token = Some(TOKEN.into())).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let lead = app
        .create_lead(
            &manager.access,
            json!({ "firstName": "Watched", "lastName": "Lead" }),
        )
        .await;
    // One request of each kind first, so every series that can exist does.
    app.gql("{ me { email } }", json!({}), Some(&manager.access))
        .await;
    let mut warm = Live::connect(app.port, &manager.access).await;
    warm.subscribe(
        "w",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    warm.data().await;
    let baseline = scrape(&app).await;

    let mut connections = Vec::new();
    for user in 0..20 {
        let rep = app
            .signed_in(&format!("manager{user}@example.com"), Role::Manager)
            .await;
        let mut live = Live::connect(app.port, &rep.access).await;
        for i in 0..50 {
            let (query, variables) = match i % 3 {
                0 => ("subscription { unreadNotificationCountChanged }", json!({})),
                1 => (
                    "subscription { notificationAdded { unreadCount } }",
                    json!({}),
                ),
                _ => (
                    "subscription($id: ID!) { leadScoreChanged(leadId: $id) { total } }",
                    json!({ "id": lead }),
                ),
            };
            live.subscribe(&format!("s{i}"), query, variables).await;
        }
        connections.push(live);
    }
    crate::helpers::until_subscribed(&app.core, 1_001).await;
    let loaded = scrape(&app).await;

    assert_eq!(value(&loaded, "leadscore_websocket_connections"), 21.0);
    let subscriptions: f64 = series(&loaded)
        .iter()
        .filter(|l| l.starts_with("leadscore_subscriptions{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(subscriptions, 1_001.0, "{loaded}");
    let names = |text: &str| -> Vec<String> {
        series(text)
            .iter()
            .map(|l| l.rsplit_once(' ').unwrap().0.to_string())
            .collect()
    };
    assert_eq!(
        names(&baseline),
        names(&loaded),
        "the same series before and after"
    );
    assert!(
        series(&loaded).len() < 150,
        "{} series",
        series(&loaded).len()
    );
    drop(connections);
}

#[tokio::test]
async fn health_json_keeps_its_shape_and_gains_the_dashboards_figures() {
    let app = spawn_app().await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let mut live = Live::connect(app.port, &rep.access).await;
    live.subscribe(
        "u",
        "subscription { unreadNotificationCountChanged }",
        json!({}),
    )
    .await;
    live.data().await;
    let (_, health) = app.health_json().await;

    for key in [
        "status",
        "version",
        "uptimeSecs",
        "database",
        "pool",
        "statements",
    ] {
        assert!(health.get(key).is_some(), "{key} kept: {health}");
    }
    assert_eq!(health["database"]["connected"], true);
    assert_eq!(health["circuit"]["state"], "closed");
    assert_eq!(health["live"]["websockets"], 1);
    assert_eq!(health["live"]["subscriptions"]["user"], 1);
    assert!(health["requests"]["total"].as_u64() >= Some(1), "{health}");
    assert!(health["poolAcquireMs"].is_number(), "{health}");
    assert!(health["jobs"]["rescoreJobs"].is_number(), "{health}");
    let levels: Vec<&str> = health["urgency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["level"].as_str().unwrap())
        .collect();
    assert!(levels.iter().all(|l| *l == "low"), "{health}");
    let listener = if cfg!(lane_postgres) {
        "connected"
    } else {
        "none"
    };
    assert_eq!(health["events"]["listener"], listener);
}

#[tokio::test]
async fn the_dashboard_is_served_whole_from_this_origin() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|s| s.admin_bind = Some(([127, 0, 0, 1], port).into())).await;
    let admin = |path: &str| {
        app.client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .send()
    };
    let page = admin("/health").await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("http"), "no absolute URL: {html}");
    for file in ["/health/dashboard.js", "/health/dashboard.css"] {
        assert!(html.contains(file), "{file}");
        let asset = admin(file).await.unwrap();
        assert_eq!(asset.status(), 200, "{file}");
        assert!(asset.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/"));
    }
}
