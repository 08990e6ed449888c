//! Lead imports: a file uploaded over HTTP, mapped and imported over
//! GraphQL, watched live, its bad rows explained, resumable after a crash.
use std::time::Duration;

use chrono::Utc;
use leadscore::{
    entity::{audit_log, lead, lead_import, lead_status_change, user::Role},
    service::imports::{self, run, ColumnRequest, ImportRequest},
};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::{
    helpers::{assert_ok, error_code, spawn_app, spawn_app_with, TestApp},
    live::Live,
};

const LEADS_CSV: &str = "../shared/data/leads-x-education/Leads.csv";

const CREATE: &str = "mutation($input: CreateLeadImportInput!) {
    createLeadImport(input: $input) { id status totalRows dryRun } }";
const JOB: &str = "query($id: ID!) { leadImport(id: $id) {
    status totalRows processedRows created updated skipped failed error startedAt finishedAt errorCount } }";
const ERRORS: &str = "query($id: ID!, $first: Int, $after: String) { leadImport(id: $id) {
    errors(first: $first, after: $after) { cursor row column field code message } } }";

/// `POST /imports` with `body` as `content_type`; the status and the JSON answer.
pub(crate) async fn upload(
    app: &TestApp,
    token: Option<&str>,
    body: Vec<u8>,
    content_type: &str,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/imports?fileName=leads.csv", app.address))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn uploaded(app: &TestApp, token: &str, csv: &str) -> String {
    let (status, body) = upload(app, Some(token), csv.as_bytes().to_vec(), "text/csv").await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

pub(crate) async fn start(app: &TestApp, token: &str, input: Value) -> String {
    let body = app
        .gql(CREATE, json!({ "input": input }), Some(token))
        .await;
    assert_ok(&body);
    body["data"]["createLeadImport"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Polls the import until it ends (60 s at most).
pub(crate) async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let body = app.gql(JOB, json!({ "id": id }), Some(token)).await;
        assert_ok(&body);
        let job = body["data"]["leadImport"].clone();
        if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish");
}

pub(crate) fn column(column: &str, field: &str) -> Value {
    json!({ "column": column, "field": field })
}

pub(crate) async fn errors_csv(app: &TestApp, token: &str, id: &str) -> Vec<Vec<String>> {
    let response = app
        .client
        .get(format!("{}/imports/{id}/errors.csv", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn a_manager_imports_the_x_education_file_and_watches_it_live() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let file = std::fs::read(LEADS_CSV).expect("the shared data set beside the repo");
    let (status, staged) = upload(&app, Some(&manager.access), file, "text/csv").await;
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["totalRows"], 9237);
    assert_eq!(staged["columns"].as_array().unwrap().len(), 37);
    assert_eq!(staged["delimiter"], ",");
    let suggested = staged["suggestedMapping"].as_array().unwrap();
    assert!(suggested.contains(&json!({ "column": "Lead Source", "field": "source" })));
    assert!(suggested.contains(&json!({ "column": "City", "field": "city" })));

    let input = json!({
        "uploadId": staged["id"],
        "mapping": [
            column("Prospect ID", "externalId"),
            column("Lead Number", "lastName"),
            { "column": "Lead Source", "field": "source",
              "values": [{ "from": "Reference", "to": "REFERRAL" },
                         { "from": "Welingak Website", "to": "WEBSITE" },
                         { "from": "Referral Sites", "to": "REFERRAL" }],
              "otherwise": "OTHER" },
            { "column": "Converted", "field": "status",
              "values": [{ "from": "1", "to": "WON" }, { "from": "0", "to": "NEW" }] },
            column("Country", "country"),
            column("City", "city"),
            { "column": "TotalVisits", "field": "attributes.totalVisits", "attributeType": "NUMBER" },
            { "column": "Do Not Email", "field": "attributes.doNotEmail", "attributeType": "BOOLEAN" },
            column("Tags", "attributes.tags"),
        ],
        "defaults": [{ "field": "firstName", "value": "Lead" }],
        "dedupe": { "by": "EXTERNAL_ID", "onMatch": "SKIP" },
        "defaultAssigneeId": rep.user_id,
    });
    let id = start(&app, &manager.access, input.clone()).await;
    let mut live = Live::connect(app.port, &manager.access).await;
    live.subscribe(
        "progress",
        "subscription($id: ID!) { leadImportProgress(id: $id) { status processedRows created } }",
        json!({ "id": id }),
    )
    .await;
    let mut last = Value::Null;
    let mut seen = 0;
    while last["status"] != "SUCCEEDED" {
        let payload = live.data().await;
        assert!(payload.get("errors").is_none(), "{payload}");
        let item = payload["data"]["leadImportProgress"].clone();
        if !last.is_null() {
            assert!(
                item["processedRows"].as_i64() >= last["processedRows"].as_i64(),
                "{item}"
            );
        }
        last = item;
        seen += 1;
        assert!(last["status"] != "FAILED", "{last}");
    }
    assert!(seen >= 2, "progress arrives as the import works");
    let done = finished(&app, &manager.access, &id).await;
    assert_eq!(done["processedRows"], 9237, "{done}");
    assert_eq!(done["created"], 9237, "{done}");
    assert_eq!(done["failed"], 0, "{done}");
    assert_eq!(
        lead::Entity::find()
            .filter(lead::Column::ExternalId.eq("7927b2df-8bba-4d29-b9a2-b6e0beafe620"))
            .one(&app.db)
            .await
            .unwrap()
            .map(|l| (
                l.first_name,
                l.last_name,
                l.source,
                l.attributes["totalVisits"].clone()
            )),
        Some((
            "Lead".into(),
            "660737".into(),
            lead::LeadSource::Other,
            json!(0.0)
        ))
    );
    let won = lead::Entity::find()
        .filter(lead::Column::Status.eq(lead::LeadStatus::Won))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(won, 3559, "Leads.csv has 3,559 converted leads");
    let unscored = lead::Entity::find()
        .filter(lead::Column::ScoredAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(unscored, 0, "every imported lead is scored");

    // One summary notification for the rep, not one per lead.
    let bell = app
        .gql(
            "{ notifications(first: 10) { edges { node { title body } } } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert_ok(&bell);
    let notes = bell["data"]["notifications"]["edges"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{bell}");
    assert!(
        notes[0]["node"]["body"].as_str().unwrap().contains("9237"),
        "{bell}"
    );

    // The same file again: every row matches its lead by external id.
    let again = start(&app, &manager.access, input).await;
    let done = finished(&app, &manager.access, &again).await;
    assert_eq!(
        (done["created"].clone(), done["skipped"].clone()),
        (json!(0), json!(9237))
    );
    let chunks = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("leads.imported"))
        .count(&app.db)
        .await
        .unwrap();
    assert!(
        chunks >= 2 * 19,
        "one audit entry per chunk of 500 rows: {chunks}"
    );
}

#[tokio::test]
async fn bad_rows_are_explained_with_create_lead_codes_and_never_stop_the_import() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    app.create_lead(&manager.access, json!({ "email": "taken@example.com" }))
        .await;
    // Windows-1252, semicolons, a quoted line break, a ragged row.
    let text = "First;Last;E-mail;Budget\n\
        Zoë;Müller;zoe@example.com;1200\n\
        Bad;Email;not-an-email;5\n\
        Ragged;Row\n\
        ;NoFirst;nofirst@example.com;1\n\
        \"Multi\nLine\";Name;multi@example.com;\n\
        Again;Zoë;ZOE@example.com;7\n\
        Taken;Lead;taken@example.com;3\n\
        Cheap;Big;cheap@example.com;lots\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let (status, staged) = upload(&app, Some(&manager.access), bytes.to_vec(), "text/csv").await;
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["encoding"], "windows-1252");
    assert_eq!(staged["delimiter"], ";");
    assert_eq!(staged["totalRows"], 8);
    let mapping = json!([
        column("First", "firstName"),
        column("Last", "lastName"),
        column("E-mail", "email"),
        column("Budget", "budgetMin"),
    ]);

    let preview = app
        .gql(
            "query($u: ID!, $m: [ImportColumnInput!]!) { previewLeadImport(uploadId: $u, mapping: $m) {
                row values { column field value } errors { field code } } }",
            json!({ "u": staged["id"], "m": mapping }),
            Some(&manager.access),
        )
        .await;
    assert_ok(&preview);
    let rows = preview["data"]["previewLeadImport"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    assert_eq!(
        rows[0]["values"][0],
        json!({ "column": "First", "field": "firstName", "value": "Zoë" })
    );
    assert_eq!(
        rows[1]["errors"][0],
        json!({ "field": "email", "code": "BAD_USER_INPUT" })
    );

    let dry = start(
        &app,
        &manager.access,
        json!({ "uploadId": staged["id"], "mapping": mapping, "dryRun": true,
                "dedupe": { "by": "EMAIL", "onMatch": "SKIP" } }),
    )
    .await;
    let dry = finished(&app, &manager.access, &dry).await;
    let real = start(
        &app,
        &manager.access,
        json!({ "uploadId": staged["id"], "mapping": mapping,
                "dedupe": { "by": "EMAIL", "onMatch": "SKIP" } }),
    )
    .await;
    let real_job = finished(&app, &manager.access, &real).await;
    for job in [&dry, &real_job] {
        assert_eq!(job["status"], "SUCCEEDED", "{job}");
        // Zoë and the multi-line row are created; Zoë's repeat and the taken
        // email are skipped; four rows fail.
        assert_eq!(
            [&job["created"], &job["skipped"], &job["failed"]],
            [&json!(2), &json!(2), &json!(4)],
            "{job}"
        );
    }
    assert_eq!(
        lead::Entity::find()
            .filter(lead::Column::Email.is_in(["zoe@example.com", "multi@example.com"]))
            .count(&app.db)
            .await
            .unwrap(),
        2,
        "the dry run wrote nothing; the import wrote each once"
    );
    let multi = lead::Entity::find()
        .filter(lead::Column::Email.eq("multi@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(multi.first_name, "Multi\nLine");

    // Errors page by cursor, in row order.
    let first = app
        .gql(
            ERRORS,
            json!({ "id": real, "first": 2 }),
            Some(&manager.access),
        )
        .await;
    assert_ok(&first);
    let page = first["data"]["leadImport"]["errors"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(page.len(), 2);
    let rest = app
        .gql(
            ERRORS,
            json!({ "id": real, "first": 10, "after": page[1]["cursor"] }),
            Some(&manager.access),
        )
        .await;
    let mut all = page;
    all.extend(
        rest["data"]["leadImport"]["errors"]
            .as_array()
            .unwrap()
            .clone(),
    );
    let summary: Vec<(i64, String, String)> = all
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap_or("").to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (3, "email".to_string(), "BAD_USER_INPUT".to_string()),
            (4, String::new(), "BAD_USER_INPUT".to_string()),
            (5, "firstName".to_string(), "BAD_USER_INPUT".to_string()),
            (9, "budgetMin".to_string(), "BAD_USER_INPUT".to_string()),
        ]
    );
    assert_eq!(all[0]["column"], "E-mail");

    let csv = errors_csv(&app, &manager.access, &real).await;
    assert_eq!(csv[0], ["row", "column", "field", "code", "message"]);
    assert_eq!(csv.len(), 5);
    assert_eq!(csv[1][0], "3");
    assert!(csv[2][4].contains("2 cells"), "{csv:?}");
}

#[tokio::test]
async fn an_export_imported_back_with_update_changes_nothing_and_mapped_changes_apply() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    for (n, company) in ["=HYPERLINK(\"x\")", "Acme, \"Inc\"", "-minus"]
        .iter()
        .enumerate()
    {
        app.create_lead(
            &manager.access,
            json!({ "email": format!("lead{n}@example.com"), "company": company,
                    "phone": "+44 20 7946 0958", "budgetMin": 1234.56, "budgetMax": 2000,
                    "status": "QUALIFIED", "attributes": { "plan": "pro", "seats": 12 },
                    "externalId": format!("crm-{n}") }),
        )
        .await;
    }
    let before = lead::Entity::find()
        .order_by_asc(lead::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let exported = app
        .client
        .get(format!("{}/exports/leads.csv", app.address))
        .query(&[("columns", "id,firstName,lastName,email,phone,company,status,budgetMin,budgetMax,currency,isRepeatCustomer,externalId,score,attributes.plan,createdAt")])
        .bearer_auth(&manager.access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (status, staged) = upload(
        &app,
        Some(&manager.access),
        exported.clone().into_bytes(),
        "text/csv",
    )
    .await;
    assert_eq!(status, 201, "{staged}");
    let mapping: Vec<Value> = staged["suggestedMapping"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| column(s["column"].as_str().unwrap(), s["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        mapping.len(),
        12,
        "every writable column, none of id, score or createdAt: {mapping:?}"
    );
    let id = start(
        &app,
        &manager.access,
        json!({ "uploadId": staged["id"], "mapping": mapping, "dedupe": { "by": "EMAIL", "onMatch": "UPDATE" } }),
    )
    .await;
    let job = finished(&app, &manager.access, &id).await;
    assert_eq!(
        (job["updated"].clone(), job["skipped"].clone()),
        (json!(0), json!(3)),
        "{job}"
    );
    let after = lead::Entity::find()
        .order_by_asc(lead::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(before, after, "the round trip changed nothing");

    // Now a real change through the external id: only mapped columns move.
    let id = uploaded(
        &app,
        &manager.access,
        "ID,Status,Plan\ncrm-1,WON,enterprise\ncrm-2,,\n",
    )
    .await;
    let job = start(
        &app,
        &manager.access,
        json!({ "uploadId": id, "mapping": [column("ID", "externalId"), column("Status", "status"),
                 column("Plan", "attributes.plan")],
                "defaults": [{ "field": "firstName", "value": "New" }, { "field": "lastName", "value": "Lead" }],
                "dedupe": { "by": "EXTERNAL_ID", "onMatch": "UPDATE" } }),
    )
    .await;
    let job = finished(&app, &manager.access, &job).await;
    assert_eq!(job["updated"], 2, "{job}");
    let changed = lead::Entity::find()
        .filter(lead::Column::ExternalId.eq("crm-1"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.status, lead::LeadStatus::Won);
    assert_eq!(
        changed.attributes,
        json!({ "plan": "enterprise", "seats": 12 })
    );
    assert_eq!(
        changed.company.as_deref(),
        Some("Acme, \"Inc\""),
        "unmapped columns stay"
    );
    let cleared = lead::Entity::find()
        .filter(lead::Column::ExternalId.eq("crm-2"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        cleared.status,
        lead::LeadStatus::Qualified,
        "a blank status is left alone"
    );
    assert_eq!(
        cleared.attributes,
        json!({ "seats": 12 }),
        "a blank attribute is removed"
    );
    let history = lead_status_change::Entity::find()
        .filter(lead_status_change::Column::LeadId.eq(changed.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(history, 2, "created, then won");
}

#[tokio::test]
async fn uploads_and_imports_refuse_what_they_cannot_take_with_clear_codes() {
    let app = spawn_app_with(|s| s.import_max_bytes = 1_000).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let csv = "First,Last\nA,B\n".as_bytes().to_vec();

    let (status, body) = upload(&app, None, csv.clone(), "text/csv").await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    let (status, body) = upload(&app, Some(&manager.access), vec![b'a'; 2_000], "text/csv").await;
    assert_eq!(status, 413, "{body}");
    let (status, _) = upload(&app, Some(&manager.access), csv.clone(), "application/json").await;
    assert_eq!(status, 415);
    let (status, body) = upload(&app, Some(&manager.access), Vec::new(), "text/csv").await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("BAD_USER_INPUT"))
    );

    // A browser's form works too.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.clone()).file_name("team.csv"),
    );
    let response = app
        .client
        .post(format!("{}/imports", app.address))
        .bearer_auth(&manager.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let staged: Value = response.json().await.unwrap();
    assert_eq!(staged["fileName"], "team.csv");
    assert_eq!(staged["totalRows"], 1);

    let bad = |mapping: Value| json!({ "uploadId": staged["id"], "mapping": mapping });
    let body = app
        .gql(
            CREATE,
            json!({ "input": bad(json!([column("Nope", "firstName")])) }),
            Some(&manager.access),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "mapping[0].column"
    );
    let body = app
        .gql(
            CREATE,
            json!({ "input": bad(json!([column("First", "password")])) }),
            Some(&manager.access),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "mapping[0].field");
    let body = app
        .gql(
            CREATE,
            json!({ "input": bad(json!([column("First", "firstName")])) }),
            Some(&manager.access),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "mapping");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("lastName"),
        "{body}"
    );

    // Someone else's upload and import do not exist for a rep.
    let body = app
        .gql(
            CREATE,
            json!({ "input": bad(json!([column("First", "firstName"), column("Last", "lastName")])) }),
            Some(&rep.access),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let id = start(
        &app,
        &manager.access,
        bad(json!([
            column("First", "firstName"),
            column("Last", "lastName")
        ])),
    )
    .await;
    finished(&app, &manager.access, &id).await;
    let body = app.gql(JOB, json!({ "id": id }), Some(&rep.access)).await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let response = app
        .client
        .get(format!("{}/imports/{id}/errors.csv", app.address))
        .bearer_auth(&rep.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body = app
        .gql(
            "mutation($id: ID!) { cancelLeadImport(id: $id) { status } }",
            json!({ "id": id }),
            Some(&manager.access),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "CONFLICT",
        "a finished import cannot be cancelled"
    );
}

#[tokio::test]
async fn a_rep_imports_for_themselves_and_a_lead_out_of_sight_is_as_if_it_did_not_exist() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    app.create_lead(
        &manager.access,
        json!({ "email": "managers@example.com", "company": "Theirs" }),
    )
    .await;
    let id = uploaded(
        &app,
        &rep.access,
        "First,Last,Email,Company\nA,B,managers@example.com,Mine now\nC,D,mine@example.com,Mine\n",
    )
    .await;
    let mapping = json!([
        column("First", "firstName"),
        column("Last", "lastName"),
        column("Email", "email"),
        column("Company", "company")
    ]);
    let body = app
        .gql(
            CREATE,
            json!({ "input": { "uploadId": id, "mapping": mapping, "defaultAssigneeId": manager.user_id } }),
            Some(&rep.access),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "FORBIDDEN",
        "a rep assigns to no one else"
    );
    let job = start(
        &app,
        &rep.access,
        json!({ "uploadId": id, "mapping": mapping, "dedupe": { "by": "EMAIL", "onMatch": "UPDATE" } }),
    )
    .await;
    let job = finished(&app, &rep.access, &job).await;
    // A row matching a lead the rep may not see neither changes it nor
    // fails with a CONFLICT that would tell them it exists: it creates
    // the rep's own lead, as createLead does.
    assert_eq!(
        [&job["created"], &job["updated"], &job["failed"]],
        [&json!(2), &json!(0), &json!(0)],
        "{job}"
    );
    let theirs = lead::Entity::find()
        .filter(lead::Column::Email.eq("managers@example.com"))
        .filter(lead::Column::Company.eq("Theirs"))
        .one(&app.db)
        .await
        .unwrap();
    assert!(theirs.is_some(), "the manager's lead is untouched");
    let mine = app
        .gql(
            "{ myLeads(first: 10, orderBy: { field: NAME, direction: ASC }) { edges { node { email company } } } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert_ok(&mine);
    let emails: Vec<&str> = mine["data"]["myLeads"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 2, "{mine}");
    assert!(emails.contains(&"mine@example.com") && emails.contains(&"managers@example.com"));
}

/// Starts a 600-row import on a second server and kills that server once
/// a few chunks are in; returns the import's id.
async fn killed_mid_way(app: &TestApp, manager: &crate::helpers::Tokens) -> uuid::Uuid {
    let mut csv = String::from("First,Last,Email\n");
    for n in 0..600 {
        csv.push_str(&format!("Lead,{n},lead{n}@example.com\n"));
    }
    let upload_id = uploaded(app, &manager.access, &csv).await;
    let (_, replica) = app.replica().await;
    let actor = app.actor(&manager.user_id).await;
    let request = ImportRequest {
        upload_id: uuid::Uuid::parse_str(&upload_id).unwrap(),
        columns: ["First", "Last", "Email"]
            .iter()
            .zip(["firstName", "lastName", "email"])
            .map(|(c, f)| ColumnRequest {
                column: c.to_string(),
                field: Some(f.to_string()),
                ..Default::default()
            })
            .collect(),
        dedupe_key: Some(lead_import::DedupeKey::Email),
        chunk_rows: Some(25),
        ..Default::default()
    };
    let job = imports::start(&replica, &actor, request).await.unwrap();
    loop {
        let now = lead_import::Entity::find_by_id(job.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if now.processed_rows >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    replica.tasks().shutdown(Duration::ZERO).await;
    let stopped = lead_import::Entity::find_by_id(job.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stopped.processed_rows < 600,
        "killed mid-way: {}",
        stopped.processed_rows
    );
    assert_eq!(stopped.status, lead_import::ImportStatus::Running);
    job.id
}

/// What an uninterrupted import of [`killed_mid_way`]'s file leaves.
async fn ends_as_if_uninterrupted(app: &TestApp, manager: &crate::helpers::Tokens, id: uuid::Uuid) {
    let done = finished(app, &manager.access, &id.to_string()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(
        [&done["created"], &done["processedRows"]],
        [&json!(600), &json!(600)],
        "{done}"
    );
    let leads = lead::Entity::find().all(&app.db).await.unwrap();
    let mut emails: Vec<String> = leads.iter().filter_map(|l| l.email.clone()).collect();
    emails.sort();
    emails.dedup();
    assert_eq!(
        (leads.len(), emails.len()),
        (600, 600),
        "no row twice, none missed"
    );
    let created = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("lead.created"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(created, 600);
    let history = lead_status_change::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(history, 600);
}

#[tokio::test]
async fn an_import_killed_mid_way_is_taken_over_and_ends_as_an_uninterrupted_one_would() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let id = killed_mid_way(&app, &manager).await;
    // The test plays the servers that look (the app's own watch looks
    // again only after its interval).
    lead_import::Entity::update_many()
        .col_expr(
            lead_import::Column::HeartbeatAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(10)),
        )
        .exec(&app.db)
        .await
        .unwrap();

    run::resume_abandoned(&app.core).await;
    // A second server looking at the same moment finds nothing to claim.
    run::resume_abandoned(&app.core).await;
    ends_as_if_uninterrupted(&app, &manager, id).await;
}

#[tokio::test]
async fn an_import_killed_mid_way_resumes_by_itself_with_the_sweep_off_once_its_lease_runs_out() {
    let app = spawn_app_with(|s| s.score_sweep_interval_secs = 0).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let id = killed_mid_way(&app, &manager).await;

    // The lease (2 minutes) runs out; nobody but the server's own watch
    // looks. Resumed within the lease plus one look (30 s): the clock is
    // moved by that much, not slept.
    app.core
        .clock()
        .advance(chrono::Duration::seconds(120 + 30));

    ends_as_if_uninterrupted(&app, &manager, id).await;
}

#[tokio::test]
async fn the_list_of_imports_takes_the_one_paging_rule() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;

    for first in [0, -1, 101] {
        let body = app
            .gql(
                "query($n: Int!) { leadImports(first: $n) { id } }",
                json!({ "n": first }),
                Some(&manager.access),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{first}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "first");
        assert!(body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("100"));
    }
    let fine = app
        .gql(
            "{ leadImports(first: 100) { id } }",
            json!({}),
            Some(&manager.access),
        )
        .await;
    assert_ok(&fine);
}
