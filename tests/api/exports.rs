//! `GET /exports/leads.csv`: what a caller may see, as CSV, safe to open in
//! a spreadsheet, audited.
use leadscore::entity::{audit_log, user::Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn export(app: &TestApp, token: Option<&str>, query: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(format!("{}/exports/leads.csv", app.address))
        .query(query);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent")
}

async fn rows(response: reqwest::Response) -> Vec<Vec<String>> {
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let body = response.bytes().await.unwrap();
    csv::Reader::from_reader(&body[..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn a_manager_exports_every_lead_with_chosen_columns_and_a_rep_only_their_own() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
    let mine = app
        .create_lead(
            &manager.access,
            json!({ "lastName": "Formula", "company": formula, "attributes": { "plan": "pro", "seats": 12 } }),
        )
        .await;
    app.create_lead(
        &manager.access,
        json!({ "lastName": "Plain, \"quoted\"\nline" }),
    )
    .await;
    app.create_lead(&manager.access, json!({ "lastName": "Third" }))
        .await;
    app.assign(&manager.access, &mine, &rep.user_id).await;
    let columns = "id,lastName,company,score,assignee,attributes.plan,attributes.seats";

    let all = rows(export(&app, Some(&manager.access), &[("columns", columns)]).await).await;
    assert_eq!(all.len(), 3);
    let formula_row = all
        .iter()
        .find(|r| r[0] == mine)
        .expect("the assigned lead");
    assert_eq!(formula_row[2], format!("'{formula}"), "neutralised");
    assert!(formula_row[3].parse::<i32>().is_ok(), "{formula_row:?}");
    assert_eq!(formula_row[4], "rep@example.com");
    assert_eq!(formula_row[5..], ["pro", "12"]);
    assert!(
        all.iter().any(|r| r[1] == "Plain, \"quoted\"\nline"),
        "quoted back intact"
    );

    let own = rows(export(&app, Some(&rep.access), &[("columns", columns)]).await).await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0][0], mine);

    let filtered = rows(
        export(
            &app,
            Some(&manager.access),
            &[
                ("filter", r#"{"search": "third"}"#),
                ("columns", "lastName"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(filtered, [["Third"]]);

    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("leads.exported"))
        .all(app.core.db())
        .await
        .unwrap();
    let counts: Vec<Value> = audited
        .iter()
        .map(|a| {
            a.details
                .as_ref()
                .map(|d| d["rows"].clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(counts.len(), 3, "one entry per export");
    assert!(counts.contains(&json!(3)) && counts.contains(&json!(1)));
}

#[tokio::test]
async fn an_export_refuses_the_anonymous_and_names_a_bad_filter_or_column() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let token = Some(manager.access.as_str());
    // (token, query, status, code, field)
    type Case<'a> = (
        Option<&'a str>,
        Vec<(&'a str, &'a str)>,
        u16,
        &'a str,
        Option<&'a str>,
    );
    let cases: [Case; 7] = [
        (None, vec![], 401, "UNAUTHENTICATED", None),
        (Some("not-a-token"), vec![], 401, "UNAUTHENTICATED", None),
        (
            token,
            vec![("filter", "{not json")],
            400,
            "BAD_USER_INPUT",
            Some("filter"),
        ),
        (
            token,
            vec![("filter", r#"{"status": ["SOLD"]}"#)],
            400,
            "BAD_USER_INPUT",
            Some("filter"),
        ),
        (
            token,
            vec![("filter", r#"{"deleted": true}"#)],
            400,
            "BAD_USER_INPUT",
            Some("filter"),
        ),
        (
            token,
            vec![("filter", "[1, 2]")],
            400,
            "BAD_USER_INPUT",
            Some("filter"),
        ),
        (
            token,
            vec![("columns", "email,passwordHash")],
            400,
            "BAD_USER_INPUT",
            Some("columns"),
        ),
    ];
    for (token, query, status, code, field) in cases {
        let response = export(&app, token, &query).await;
        assert_eq!(response.status(), status, "{query:?}");
        let body: Value = response.json().await.unwrap();
        let extensions = &body["errors"][0]["extensions"];
        assert_eq!(extensions["code"], code, "{body}");
        if let Some(field) = field {
            assert_eq!(extensions["field"], field, "{body}");
        }
    }
}

async fn export_as_key(app: &TestApp, secret: &str, query: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/exports/leads.csv", app.address))
        .query(query)
        .header("Authorization", format!("ApiKey {secret}"))
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn a_leads_read_key_gets_every_row_it_may_read_or_a_refusal_before_the_first_byte() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let lead = app
        .create_lead(&admin.access, json!({ "lastName": "Keyed" }))
        .await;
    app.assign(&admin.access, &lead, &rep.user_id).await;
    app.create_lead(&admin.access, json!({ "lastName": "Other" }))
        .await;
    let reader = app.api_key(&admin.access, &["LEADS_READ"]).await;
    let writer = app.api_key(&admin.access, &["LEADS_WRITE"]).await;

    let defaults = rows(export_as_key(&app, &reader, &[]).await).await;
    let chosen = rows(export_as_key(&app, &reader, &[("columns", "id,lastName")]).await).await;
    let assignee = export_as_key(&app, &reader, &[("columns", "id,assignee")]).await;
    let unscoped = export_as_key(&app, &writer, &[]).await;

    assert_eq!(defaults.len(), 2, "every lead, whole: {defaults:?}");
    assert!(
        defaults
            .iter()
            .all(|r| !r.contains(&"rep@example.com".to_string())),
        "no assignee among a key's default columns"
    );
    assert_eq!(chosen.len(), 2);
    assert_eq!(assignee.status(), 403);
    let body: Value = assignee.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("assignee"),
        "{body}"
    );
    assert_eq!(unscoped.status(), 403);
}
