use std::{
    net::SocketAddr,
    sync::{atomic::AtomicU64, Arc},
    time::Duration,
};

use leadscore::{
    app::Application,
    auth::password,
    config::Settings,
    core::Core,
    entity::user::Role,
    service::accounts::sessions::insert_user,
    values::{Email, FullName, Parse},
};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{json, Value};

/// The signing key tests use, so they can forge tokens that differ in one claim.
pub const TEST_SECRET: &str = "test-secret-key-that-is-at-least-32-bytes-long";
pub const PASSWORD: &str = "correct horse battery";
/// The metrics token tests run with: what `/health.json` and `/metrics`
/// need on the main address.
pub const METRICS_TOKEN: &str = "test-metrics-token";

#[path = "../support/test_db.rs"]
mod test_db;
pub use test_db::TestDb;

impl TestDb {
    /// The database of an app already running, for a second client of it
    /// (the command line): nothing is removed when this is dropped.
    pub fn borrowed(url: &str) -> Self {
        Self {
            url: url.to_string(),
            postgres: None,
            _dir: None,
        }
    }
}

pub fn test_settings(url: &str) -> Settings {
    let mut settings = Settings::with_database(url);
    settings.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.secret_key = Some(TEST_SECRET.into());
    settings.db_connect_retries = 0;
    settings.metrics_token = Some(METRICS_TOKEN.into());
    settings
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// The running server's core, for arranging data through services.
    pub core: Core,
    pub test_db: TestDb,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(configure).await
}

/// An app whose every SQL statement is counted, for N+1 tests.
pub async fn spawn_app_counting() -> (TestApp, Arc<AtomicU64>) {
    let app = spawn(|_| {}).await;
    let counter = app.core.statements().clone();
    (app, counter)
}

async fn spawn(configure: impl FnOnce(&mut Settings)) -> TestApp {
    // Server logs only when asked for: RUST_LOG=info cargo test -- --nocapture
    if std::env::var_os("RUST_LOG").is_some() {
        leadscore::telemetry::init(leadscore::config::LogFormat::Pretty);
    }
    let test_db = TestDb::new().await;
    let mut settings = test_settings(&test_db.url);
    configure(&mut settings);
    let db = leadscore::app::connect(&settings, true)
        .await
        .expect("database connects");
    let app = Application::with_connection(settings, db)
        .await
        .expect("application starts");
    let addr = app.local_addr();
    let db = app.db().clone();
    let core = app.core().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://{addr}"),
        port: addr.port(),
        core,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        db,
        test_db,
    }
}

/// Tokens of a signed-in user.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
}

impl TestApp {
    pub async fn post(&self, body: Value, token: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// Runs a GraphQL operation and returns the whole response body.
    /// `GET path` on this server.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("sent")
    }

    /// `GET /health.json` as monitoring reads it (with the metrics
    /// token), its status and its body.
    pub async fn health_json(&self) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}/health.json", self.address))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }

    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.post(json!({ "query": query, "variables": variables }), token)
            .await
            .json()
            .await
            .expect("JSON body")
    }

    /// Runs a GraphQL operation as an integration: `Authorization: ApiKey <secret>`.
    pub async fn gql_as_key(&self, query: &str, variables: Value, secret: &str) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("Authorization", format!("ApiKey {secret}"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON body")
    }

    /// A second server on the same database, as another replica would be;
    /// returns its port and its core.
    pub async fn replica(&self) -> (u16, Core) {
        let settings = test_settings(&self.test_db.url);
        let db = leadscore::app::connect(&settings, false)
            .await
            .expect("replica connects");
        let app = Application::with_connection(settings, db)
            .await
            .expect("replica starts");
        let port = app.local_addr().port();
        let core = app.core().clone();
        tokio::spawn(app.run_until_stopped());
        (port, core)
    }

    /// Waits until the server's bus holds at least `n` subscribers: the
    /// readiness of subscriptions just sent, instead of a guessed sleep.
    pub async fn until_subscribed(&self, n: usize) {
        until_subscribed(&self.core, n).await
    }

    /// Creates a user straight in the database (for arranging tests).
    pub async fn create_user(&self, email: &str, role: Role) -> String {
        let hash = password::hash(PASSWORD.into()).await.expect("hash");
        let user = insert_user(
            &self.db,
            Email::parse(email.into()).unwrap(),
            FullName::parse(format!("Test {email}")).unwrap(),
            role,
            hash,
        )
        .await
        .expect("insert user");
        user.id.to_string()
    }

    /// The service-layer identity of a user, for arranging data directly.
    pub async fn actor(&self, user_id: &str) -> leadscore::auth::Actor {
        let id = uuid::Uuid::parse_str(user_id).unwrap();
        let user = leadscore::entity::user::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        leadscore::auth::Actor::from_user(&user, None)
    }

    /// Creates a lead through the API and returns its id.
    pub async fn create_lead(&self, token: &str, input: Value) -> String {
        let mut full = json!({ "firstName": "Pat", "lastName": "Lead" });
        for (key, value) in input.as_object().unwrap() {
            full[key] = value.clone();
        }
        let body = self
            .gql(
                "mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }",
                json!({ "input": full }),
                Some(token),
            )
            .await;
        body["data"]["createLead"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createLead failed: {body}"))
            .to_string()
    }

    /// Creates an API key with `scopes` as the admin signed in with
    /// `admin_token`; returns its secret.
    pub async fn api_key(&self, admin_token: &str, scopes: &[&str]) -> String {
        let body = self
            .gql(
                "mutation($s: [ApiKeyScope!]!) { createApiKey(name: \"test\", scopes: $s) { secret } }",
                json!({ "s": scopes }),
                Some(admin_token),
            )
            .await;
        body["data"]["createApiKey"]["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("createApiKey failed: {body}"))
            .to_string()
    }

    pub async fn assign(&self, token: &str, lead_id: &str, user_id: &str) -> Value {
        self.gql(
            "mutation($l: ID!, $u: ID!) { assignLead(leadId: $l, userId: $u) { id status } }",
            json!({ "l": lead_id, "u": user_id }),
            Some(token),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(LOGIN, json!({ "email": email, "password": password }), None)
            .await
    }

    pub async fn signed_in(&self, email: &str, role: Role) -> Tokens {
        self.create_user(email, role).await;
        let body = self.login(email, PASSWORD).await;
        tokens(&body["data"]["login"])
    }
}

/// Waits until `core`'s bus holds at least `n` subscribers (10 s at most).
pub async fn until_subscribed(core: &Core, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while core.bus().subscribers() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} subscribers never registered"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

pub const LOGIN: &str = "mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken refreshToken expiresAt user { id email role isActive } }
}";

pub fn tokens(payload: &Value) -> Tokens {
    Tokens {
        access: payload["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("no accessToken in {payload}"))
            .to_string(),
        refresh: payload["refreshToken"]
            .as_str()
            .expect("refreshToken")
            .to_string(),
        user_id: payload["user"]["id"].as_str().expect("user.id").to_string(),
    }
}

/// The session (`sid`) an access token belongs to, read from its payload.
pub fn session_of(access_token: &str) -> uuid::Uuid {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let payload = access_token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    uuid::Uuid::parse_str(claims["sid"].as_str().unwrap()).unwrap()
}

/// The `extensions.code` of the first error, or panics with the body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {body}"))
}

pub fn assert_ok(body: &Value) {
    assert!(
        body.get("errors").is_none(),
        "expected no errors, got {body}"
    );
}
