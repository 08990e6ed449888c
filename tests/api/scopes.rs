//! API-key scopes, walked over the whole schema: every query, mutation and
//! subscription is sent by a key of each scope and by a key with none, and
//! each answer must match the field's decision in
//! `leadscore::graphql::access::DECISIONS`. A field with no decision fails
//! the walk, so a new field is never open to keys by accident.
use std::time::Duration;

use leadscore::{
    auth::Scope,
    entity::{
        api_key,
        email_outbox::{self, EmailStatus},
        lead,
        user::Role,
    },
    graphql::access::{self, Access, Root},
};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};

use crate::{
    helpers::{assert_ok, error_code, spawn_app, TestApp},
    live::Live,
};

const SCOPES: [Scope; 4] = [
    Scope::EventsWrite,
    Scope::LeadsWrite,
    Scope::LeadsRead,
    Scope::ReportsRead,
];

/// A key holding `scopes` (none: a key whose scopes were all taken away),
/// created by `admin`; returns its secret.
async fn key_with(app: &TestApp, admin: &str, scopes: &[Scope]) -> String {
    let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let asked = if names.is_empty() {
        vec!["EVENTS_WRITE"]
    } else {
        names.clone()
    };
    let body = app
        .gql(
            "mutation($s: [ApiKeyScope!]!) { createApiKey(name: \"walk\", scopes: $s) { secret apiKey { id } } }",
            json!({ "s": asked }),
            Some(admin),
        )
        .await;
    assert_ok(&body);
    let created = &body["data"]["createApiKey"];
    if names.is_empty() {
        let id = uuid::Uuid::parse_str(created["apiKey"]["id"].as_str().unwrap()).unwrap();
        api_key::ActiveModel {
            id: Set(id),
            scopes: Set(json!([])),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .unwrap();
    }
    created["secret"].as_str().unwrap().to_string()
}

const INTROSPECTION: &str = "{ __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { name kind
      fields { name args { name defaultValue type { ...T } } type { ...T } }
      inputFields { name defaultValue type { ...T } }
      enumValues { name } } } }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// The schema as introspection tells it: types by name.
struct Schema(Value);

impl Schema {
    fn ty(&self, name: &str) -> &Value {
        self.0["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no type {name}"))
    }

    fn root_fields(&self, root: Root) -> Vec<Value> {
        self.ty(root.name())["fields"].as_array().unwrap().clone()
    }

    /// A literal of type `ty` that passes validation: every required field
    /// and argument filled, the first value of an enum.
    fn literal(&self, ty: &Value) -> String {
        match ty["kind"].as_str().unwrap() {
            "NON_NULL" => self.literal(&ty["ofType"]),
            "LIST" => format!("[{}]", self.literal(&ty["ofType"])),
            "ENUM" => self.ty(ty["name"].as_str().unwrap())["enumValues"][0]["name"]
                .as_str()
                .unwrap()
                .to_string(),
            "INPUT_OBJECT" => {
                let input = self.ty(ty["name"].as_str().unwrap());
                let fields: Vec<String> = input["inputFields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| required(f))
                    .map(|f| {
                        format!(
                            "{}: {}",
                            f["name"].as_str().unwrap(),
                            self.literal(&f["type"])
                        )
                    })
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            _ => match ty["name"].as_str().unwrap() {
                "ID" => "\"0193a0c0-0000-7000-8000-000000000001\"".into(),
                "Int" => "1".into(),
                "Float" => "1.5".into(),
                "Boolean" => "false".into(),
                "DateTime" => "\"2026-01-01T00:00:00Z\"".into(),
                "JSON" => "{}".into(),
                _ => "\"x\"".into(),
            },
        }
    }

    /// The smallest document that selects `field` of `root`.
    fn document(&self, root: Root, field: &Value) -> String {
        let args: Vec<String> = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| required(a))
            .map(|a| {
                format!(
                    "{}: {}",
                    a["name"].as_str().unwrap(),
                    self.literal(&a["type"])
                )
            })
            .collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let selection = match named(&field["type"])["kind"].as_str().unwrap() {
            "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
            _ => "",
        };
        let keyword = match root {
            Root::Query => "query",
            Root::Mutation => "mutation",
            Root::Subscription => "subscription",
        };
        format!(
            "{keyword} {{ {}{args}{selection} }}",
            field["name"].as_str().unwrap()
        )
    }
}

/// The first error's code, or "" for an answer without errors.
fn first_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

fn required(input: &Value) -> bool {
    input["type"]["kind"] == "NON_NULL" && input["defaultValue"].is_null()
}

fn named(ty: &Value) -> &Value {
    match ty["kind"].as_str() {
        Some("NON_NULL") | Some("LIST") => named(&ty["ofType"]),
        _ => ty,
    }
}

/// Why an answer does not fit the decision, if it does not.
fn misfit(answer: &Value, access: Option<Access>, scopes: &[Scope]) -> Option<String> {
    let refused_by_scope = answer["errors"].as_array().into_iter().flatten().any(|e| {
        e["extensions"]["code"] == "FORBIDDEN"
            && e["message"].as_str().unwrap_or_default().contains("scope")
    });
    match access {
        None => Some("no decision: add it to access::DECISIONS".into()),
        Some(Access::Key(scope)) if scopes.contains(&scope) => refused_by_scope.then(|| {
            format!(
                "refused although the key holds {}: {answer}",
                scope.as_str()
            )
        }),
        Some(Access::Key(scope)) => {
            let named = answer["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(scope.as_str());
            (first_code(answer) != "FORBIDDEN" || !named || !answer["data"].is_null())
                .then(|| format!("not refused naming {}: {answer}", scope.as_str()))
        }
        Some(Access::People) => {
            let named = answer["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("no API-key scope");
            (first_code(answer) != "FORBIDDEN" || !named || !answer["data"].is_null())
                .then(|| format!("not refused as a people-only field: {answer}"))
        }
    }
}

#[tokio::test]
async fn every_field_of_the_schema_is_reached_by_a_key_only_through_the_scope_it_names() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let introspected = app.gql(INTROSPECTION, json!({}), Some(&admin.access)).await;
    assert_ok(&introspected);
    let schema = Schema(introspected["data"]["__schema"].clone());
    let mut keys: Vec<(Vec<Scope>, String)> = Vec::new();
    for scope in SCOPES {
        keys.push((vec![scope], key_with(&app, &admin.access, &[scope]).await));
    }
    keys.push((vec![], key_with(&app, &admin.access, &[]).await));

    let mut misfits = Vec::new();
    let mut walked = 0;
    for root in [Root::Query, Root::Mutation] {
        for field in schema.root_fields(root) {
            let name = field["name"].as_str().unwrap();
            let document = schema.document(root, &field);
            let access = access::decision(root, name);
            for (scopes, secret) in &keys {
                let answer = app.gql_as_key(&document, json!({}), secret).await;
                if let Some(why) = misfit(&answer, access, scopes) {
                    misfits.push(format!("{}.{name} with {scopes:?}: {why}", root.name()));
                }
                walked += 1;
            }
        }
    }
    // Keys never open the websocket: every subscription is refused at
    // `connection_init`, whatever the field, and each is decided for people.
    for field in schema.root_fields(Root::Subscription) {
        let name = field["name"].as_str().unwrap();
        if access::decision(Root::Subscription, name) != Some(Access::People) {
            misfits.push(format!("Subscription.{name}: decide it for people"));
        }
        let document = schema.document(Root::Subscription, &field);
        for (scopes, secret) in &keys {
            let mut socket = Live::open(app.port).await;
            socket
                .send(json!({ "type": "connection_init", "payload": { "authorization": format!("ApiKey {secret}") } }))
                .await;
            socket
                .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": document } }))
                .await;
            let code = socket.close_code(Duration::from_secs(5)).await;
            if code != 4403 {
                misfits.push(format!(
                    "Subscription.{name} with {scopes:?}: closed with {code}, not 4403"
                ));
            }
            walked += 1;
        }
    }

    assert!(
        walked > 300,
        "the walk covered the schema: {walked} requests"
    );
    assert!(misfits.is_empty(), "{}", misfits.join("\n"));
}

#[tokio::test]
async fn a_key_without_the_scope_changes_nothing_on_the_admin_surfaces() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let events = key_with(&app, &admin.access, &[Scope::EventsWrite]).await;
    let writer = key_with(&app, &admin.access, &[Scope::LeadsWrite]).await;
    let lead_id = app
        .create_lead(
            &admin.access,
            json!({ "firstName": "Ada", "lastName": "Lovelace" }),
        )
        .await;
    let dead = email_outbox::Entity::insert(email_outbox::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        user_id: Set(uuid::Uuid::parse_str(&admin.user_id).unwrap()),
        kind: Set("LEAD_ASSIGNED".into()),
        dedupe_key: Set("walk".into()),
        lead_id: Set(None),
        subject: Set("s".into()),
        text_body: Set("t".into()),
        html_body: Set("h".into()),
        status: Set(EmailStatus::Dead),
        attempts: Set(5),
        next_attempt_at: Set(chrono::Utc::now()),
        locked_until: Set(None),
        last_error: Set(Some("550".into())),
        sent_at: Set(None),
        created_at: Set(chrono::Utc::now()),
    })
    .exec_with_returning(&app.db)
    .await
    .unwrap();

    let retried = app
        .gql_as_key(
            "mutation($id: ID!) { retryEmail(id: $id) { status } }",
            json!({ "id": dead.id.to_string() }),
            &events,
        )
        .await;
    let outbox = app
        .gql_as_key(
            "{ emailOutbox { edges { node { id } } } }",
            json!({}),
            &events,
        )
        .await;
    let reports = app
        .gql_as_key(
            "{ reports { pipelineSummary { total { count } } } }",
            json!({}),
            &events,
        )
        .await;
    let bulk = app
        .gql_as_key(
            "mutation($ids: [ID!]!) { bulkUpdateLeadStatus(leadIds: $ids, status: WON) { changed } }",
            json!({ "ids": [lead_id] }),
            &writer,
        )
        .await;

    for answer in [&retried, &outbox, &reports, &bulk] {
        assert_eq!(error_code(answer), "FORBIDDEN", "{answer}");
    }
    assert!(reports["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("REPORTS_READ"));
    let still = email_outbox::Entity::find_by_id(dead.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, EmailStatus::Dead, "the message stays dead");
    let lead = lead::Entity::find_by_id(uuid::Uuid::parse_str(&lead_id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        lead.status,
        lead::LeadStatus::New,
        "the lead keeps its status"
    );
}

#[tokio::test]
async fn a_reports_key_reads_every_report_with_its_reps_and_nothing_else() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let lead_id = app
        .create_lead(
            &admin.access,
            json!({ "firstName": "Ada", "lastName": "Lovelace" }),
        )
        .await;
    assert_ok(&app.assign(&admin.access, &lead_id, &rep.user_id).await);
    let reports = key_with(&app, &admin.access, &[Scope::ReportsRead]).await;

    let answer = app
        .gql_as_key(
            "{ reports {
                pipelineSummary { total { count } }
                funnel { stages { status reached } }
                repPerformance { rows { rep { fullName email } assigned } }
                sourceEffectiveness { rows { source } }
                scoreCalibration { unscored }
                timeSeries(metric: LEADS_CREATED, granularity: DAY, from: \"2026-01-01T00:00:00Z\", to: \"2026-02-01T00:00:00Z\") { points { count } }
                scoreDistribution { unscored }
            } }",
            json!({}),
            &reports,
        )
        .await;
    let leads = app
        .gql_as_key("{ leads { totalCount } }", json!({}), &reports)
        .await;

    assert_ok(&answer);
    assert_eq!(
        answer["data"]["reports"]["pipelineSummary"]["total"]["count"],
        1
    );
    assert_eq!(
        answer["data"]["reports"]["repPerformance"]["rows"][0]["rep"]["email"], "rep@example.com",
        "{answer}"
    );
    assert_eq!(error_code(&leads), "FORBIDDEN");
    assert!(leads["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("LEADS_READ"));
}
