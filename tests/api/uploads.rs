//! Hostile and careless uploads: whatever arrives at `POST /imports` gets a
//! 4xx with a code (never a 500), the server answers the next request
//! normally, files a spreadsheet would run come back neutralised, and a
//! user's staged uploads are bounded in size and in time.
use std::time::{Duration, Instant};

use leadscore::entity::{lead_import_row, lead_import_upload, user::Role};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    helpers::{assert_ok, error_code, spawn_app, spawn_app_with, TestApp},
    imports::{column, errors_csv, finished, start, upload, uploaded},
};

/// `POST /imports?fileName=<name>` with a CSV body.
async fn upload_named(app: &TestApp, token: &str, name: &str, body: &[u8]) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/imports", app.address))
        .query(&[("fileName", name)])
        .header("content-type", "text/csv")
        .bearer_auth(token)
        .body(body.to_vec())
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The server still answers a signed-in request.
async fn still_answers(app: &TestApp, token: &str) {
    let me = app.gql("{ me { email } }", json!({}), Some(token)).await;
    assert_ok(&me);
}

#[tokio::test]
async fn control_characters_binary_files_and_utf32_are_refused_by_name_on_every_backend() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let utf32: Vec<u8> = "Name,Email\nAda,ada@example.com\n"
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    let mut marked_utf32 = vec![0xFF, 0xFE, 0, 0];
    marked_utf32.extend(&utf32);
    let binary: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    // (what, file name, body, words the refusal must hold)
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "a NUL in a cell",
            "leads.csv",
            b"Name,Email\nAda,ada@example.com\nBob,b\0b@example.com\n".to_vec(),
            "row 3, column 2 (\"Email\")",
        ),
        (
            "a NUL in the header",
            "leads.csv",
            b"Name,E\0mail\nAda,ada@example.com\n".to_vec(),
            "row 1 (the header), column 2",
        ),
        (
            "a NUL in the file name",
            "lea\0ds.csv",
            b"Name,Email\nAda,ada@example.com\n".to_vec(),
            "U+0000",
        ),
        ("binary data", "leads.csv", binary, "binary"),
        ("UTF-32 with a mark", "leads.csv", marked_utf32, "UTF-32"),
        ("UTF-32 without one", "leads.csv", utf32, "UTF-32"),
        (
            "an Excel workbook",
            "leads.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec(),
            "Excel workbook",
        ),
    ];

    for (what, name, body, words) in cases {
        let (status, answer) = upload_named(&app, &manager.access, name, &body).await;

        assert_eq!(status, 400, "{what}: {answer}");
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{what}: {answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{what}: {message}");
        still_answers(&app, &manager.access).await;
    }
    let staged = lead_import_upload::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(staged, 0, "nothing half-staged is left behind");
}

/// Sends `head` and then `body`, and reads the answer (10 s at most).
async fn raw_upload(app: &TestApp, head: String, body: &[u8]) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(body).await;
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    (
        String::from_utf8_lossy(&answer[..read]).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_declared_gigabyte_is_refused_at_once_and_a_stalled_upload_is_stopped() {
    let app = spawn_app_with(|s| s.import_idle_timeout_secs = 1).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let head = |length: u64| {
        format!(
            "POST /imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: text/csv\r\nContent-Length: {length}\r\n\r\n",
            manager.access
        )
    };

    let (huge, huge_took) = raw_upload(&app, head(1 << 30), b"Name,Email\n").await;
    let (stalled, stalled_took) = raw_upload(&app, head(10_000), b"Name,Email\nAda,").await;

    assert!(huge.starts_with("HTTP/1.1 413"), "{huge}");
    assert!(huge.contains("PAYLOAD_TOO_LARGE"), "{huge}");
    assert!(
        huge_took < Duration::from_secs(2),
        "refused at once: {huge_took:?}"
    );
    assert!(stalled.starts_with("HTTP/1.1 408"), "{stalled}");
    assert!(stalled.contains("\"code\":\"TIMEOUT\""), "{stalled}");
    assert!(stalled_took < Duration::from_secs(5), "{stalled_took:?}");
    still_answers(&app, &manager.access).await;
}

#[tokio::test]
async fn an_error_file_neutralises_cells_a_spreadsheet_would_run() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let csv = format!(
        "Last,\"{}\"\nLovelace,not-an-email\n",
        formula.replace('"', "\"\"")
    );
    let upload_id = uploaded(&app, &manager.access, &csv).await;
    let id = start(
        &app,
        &manager.access,
        json!({ "uploadId": upload_id, "mapping": [column("Last", "lastName"), column(formula, "email")],
                "defaults": [{ "field": "firstName", "value": "Ada" }] }),
    )
    .await;
    let done = finished(&app, &manager.access, &id).await;
    assert_eq!(done["failed"], 1, "{done}");

    let rows = errors_csv(&app, &manager.access, &id).await;

    assert_eq!(rows[1][1], format!("'{formula}"), "{rows:?}");
    assert!(rows.iter().flatten().all(|cell| !cell.starts_with('=')));
}

#[tokio::test]
async fn a_users_staged_uploads_are_bounded_and_expire_when_their_time_is_up() {
    let app = spawn_app_with(|s| s.import_quota_bytes = 1_000).await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let other = app.signed_in("other@example.com", Role::Manager).await;
    let csv = |n: usize| {
        let mut text = String::from("First,Last\n");
        while text.len() < n {
            text.push_str("Ada,Lovelace\n");
        }
        text.into_bytes()
    };
    let (first, staged) = upload(&app, Some(&manager.access), csv(600), "text/csv").await;
    assert_eq!(first, 201, "{staged}");

    let (over, refused) = upload(&app, Some(&manager.access), csv(600), "text/csv").await;
    let (theirs, _) = upload(&app, Some(&other.access), csv(600), "text/csv").await;

    assert_eq!(over, 429, "{refused}");
    assert_eq!(error_code(&refused), "TOO_MANY_REQUESTS");
    let wait = refused["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!(
        (86_000..=86_400).contains(&wait),
        "until the first expires: {wait}"
    );
    assert_eq!(theirs, 201, "a quota is per user");

    // A day passes: the watch purges the staged rows by itself.
    app.core.clock().advance(chrono::Duration::hours(25));
    let upload_id = uuid::Uuid::parse_str(staged["id"].as_str().unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let purged = lead_import_upload::Entity::find_by_id(upload_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .purged_at;
        if purged.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the upload was never purged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = lead_import_row::Entity::find()
        .filter(lead_import_row::Column::UploadId.eq(upload_id))
        .count(&app.db)
        .await
        .unwrap();
    let (again, _) = upload(&app, Some(&manager.access), csv(600), "text/csv").await;
    let expired = app
        .gql(
            "mutation($input: CreateLeadImportInput!) { createLeadImport(input: $input) { id } }",
            json!({ "input": { "uploadId": upload_id.to_string(),
                    "mapping": [column("First", "firstName"), column("Last", "lastName")] } }),
            Some(&manager.access),
        )
        .await;

    assert_eq!(rows, 0, "its rows are gone");
    assert_eq!(again, 201, "the quota is free again");
    assert_eq!(error_code(&expired), "CONFLICT", "{expired}");
    assert!(expired["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}
