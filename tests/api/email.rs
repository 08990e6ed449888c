//! Email through a real SMTP server (aiosmtpd, see tests/support/smtp_sink.rs):
//! instant mail on assignment, preferences, redaction at send time, retries
//! after a transient failure, dead letters, the unsubscribe link, and no
//! credentials in logs.
use std::time::Duration;

use chrono::Utc;
use leadscore::entity::{
    email_outbox::{self, EmailStatus},
    user::Role,
};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{spawn_app_with, TestApp, Tokens};

#[path = "../support/smtp_sink.rs"]
mod smtp_sink;
use smtp_sink::{header, Sink};

const SINK: &str =
    "needs python3-aiosmtpd: SMTP_SINK=/usr/bin/python3 cargo test (.ci/run sets it)";

async fn app_mailing_to(sink: &Sink) -> TestApp {
    let url = sink.url();
    spawn_app_with(move |s| {
        s.smtp_url = Some(url.into());
        s.email_from = "leadscore <noreply@leadscore.test>".into();
        s.public_url = Some("https://app.leadscore.test".into());
    })
    .await
}

/// A manager, a rep, and a lead with a name the rep's mail will show.
async fn team(app: &TestApp, rep_email: &str) -> (Tokens, Tokens, String) {
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in(rep_email, Role::SalesRep).await;
    let lead = app
        .create_lead(
            &manager.access,
            json!({ "firstName": "Casey", "lastName": "Quill", "company": "Acme" }),
        )
        .await;
    (manager, rep, lead)
}

/// The text of a message with quoted-printable soft breaks and `=3D` undone.
fn text(message: &str) -> String {
    message
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

async fn outbox(app: &TestApp) -> Vec<email_outbox::Model> {
    email_outbox::Entity::find().all(&app.db).await.unwrap()
}

/// Waits until every outbox row is in `status`.
async fn until_all(app: &TestApp, status: EmailStatus) -> Vec<email_outbox::Model> {
    let started = std::time::Instant::now();
    loop {
        let rows = outbox(app).await;
        if !rows.is_empty() && rows.iter().all(|r| r.status == status) {
            return rows;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the first outbox row has spent one attempt (the server was
/// down); that row.
async fn first_attempt_failed(app: &TestApp) -> email_outbox::Model {
    let started = std::time::Instant::now();
    loop {
        let rows = outbox(app).await;
        if rows.first().is_some_and(|r| r.attempts == 1) {
            return rows[0].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The retry would come a minute later: bring it forward.
async fn time_passes(app: &TestApp) {
    email_outbox::Entity::update_many()
        .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(email_outbox::Column::Status.eq(EmailStatus::Pending))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn an_assignment_is_mailed_at_once_with_a_link_and_an_unsubscribe_link() {
    let _ = SINK;
    let sink = Sink::start().await;
    let app = app_mailing_to(&sink).await;
    let (manager, rep, lead) = team(&app, "rep@example.com").await;

    app.assign(&manager.access, &lead, &rep.user_id).await;
    let messages = sink.until(1, Duration::from_secs(15)).await;

    let message = &messages[0];
    let body = text(message);
    assert_eq!(
        header(message, "To")
            .as_deref()
            .map(|t| t.contains("rep@example.com")),
        Some(true),
        "{message}"
    );
    assert!(header(message, "From")
        .unwrap()
        .contains("noreply@leadscore.test"));
    let rows = until_all(&app, EmailStatus::Sent).await;
    assert_eq!(
        header(message, "Message-ID").unwrap(),
        format!("<{}@leadscore.test>", rows[0].id),
        "the outbox row is the Message-ID"
    );
    assert!(header(message, "Content-Type")
        .unwrap()
        .contains("multipart/alternative"));
    assert!(message.contains("text/plain") && message.contains("text/html"));
    assert!(body.contains("Casey Quill"), "{body}");
    assert!(
        body.contains(&format!("https://app.leadscore.test/leads/{lead}")),
        "{body}"
    );
    assert!(
        body.contains("https://app.leadscore.test/email/unsubscribe?token="),
        "{body}"
    );
    assert!(header(message, "List-Unsubscribe")
        .unwrap()
        .contains("/email/unsubscribe?token="));
    assert_eq!(
        header(message, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(sink.messages().len(), 1, "exactly once");
    assert_eq!(rows[0].attempts, 1);
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn a_kind_turned_off_is_not_mailed_and_defaults_are_instant_for_the_urgent_kinds() {
    let sink = Sink::start().await;
    let app = app_mailing_to(&sink).await;
    let (manager, rep, lead) = team(&app, "rep@example.com").await;

    let defaults = app
        .gql(
            "{ myNotificationPreferences { kind delivery } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    let listed = defaults["data"]["myNotificationPreferences"]
        .as_array()
        .unwrap()
        .clone();
    let delivery =
        |kind: &str| listed.iter().find(|p| p["kind"] == kind).unwrap()["delivery"].clone();
    assert_eq!(delivery("LEAD_ASSIGNED"), "INSTANT");
    assert_eq!(delivery("LEAD_BECAME_HOT"), "INSTANT");
    assert_eq!(delivery("NOTE_ADDED"), "DAILY_DIGEST");

    let off = app
        .gql(
            "mutation { updateNotificationPreferences(preferences: [{ kind: LEAD_ASSIGNED, delivery: OFF }]) { kind delivery } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert!(off.get("errors").is_none(), "{off}");
    let twice = app
        .gql(
            "mutation { updateNotificationPreferences(preferences: [{ kind: NOTE_ADDED, delivery: OFF }, { kind: NOTE_ADDED, delivery: INSTANT }]) { kind } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert_eq!(
        twice["errors"][0]["extensions"]["field"], "preferences[1].kind",
        "{twice}"
    );

    app.assign(&manager.access, &lead, &rep.user_id).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(sink.messages().is_empty());
    assert!(outbox(&app).await.is_empty(), "nothing was even queued");
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn a_transient_failure_is_retried_and_a_lead_out_of_sight_is_not_named() {
    let mut sink = Sink::start().await;
    let app = app_mailing_to(&sink).await;
    let (manager, rep, lead) = team(&app, "rep@example.com").await;
    let other = app.create_user("rep2@example.com", Role::SalesRep).await;
    sink.pause();

    app.assign(&manager.access, &lead, &rep.user_id).await;
    let failed = first_attempt_failed(&app).await;
    assert_eq!(failed.status, EmailStatus::Pending);
    assert!(failed.last_error.is_some());
    let wait = failed.next_attempt_at - Utc::now();
    assert!(
        wait > chrono::Duration::seconds(50) && wait <= chrono::Duration::seconds(60),
        "{wait}"
    );

    // Before the retry the lead moves to another rep: the first may no
    // longer see it, so the message must not name it.
    let moved = app
        .gql(
            "mutation($l: ID!, $u: ID!) { transferLead(leadId: $l, toUserId: $u) { id } }",
            json!({ "l": lead, "u": other }),
            Some(&manager.access),
        )
        .await;
    assert!(moved.get("errors").is_none(), "{moved}");
    sink.resume().await;
    time_passes(&app).await;
    let rows = until_all(&app, EmailStatus::Sent).await;
    let mine = rows.iter().find(|r| r.id == failed.id).unwrap();
    assert_eq!(mine.attempts, 2);
    let messages = sink.until(1, Duration::from_secs(10)).await;
    let to_rep: Vec<String> = messages
        .iter()
        .filter(|m| header(m, "To").is_some_and(|t| t.contains("rep@example.com")))
        .map(|m| text(m))
        .collect();
    assert_eq!(to_rep.len(), 1, "{messages:?}");
    assert!(!to_rep[0].contains("Casey"), "{}", to_rep[0]);
    assert!(
        !to_rep[0].contains(&format!("/leads/{lead}")),
        "{}",
        to_rep[0]
    );
    assert!(to_rep[0].contains("no longer have access"), "{}", to_rep[0]);
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn while_the_server_is_unreachable_queued_mail_waits_unspent_and_goes_when_it_returns() {
    let mut sink = Sink::start().await;
    let app = app_mailing_to(&sink).await;
    let (manager, rep, first) = team(&app, "rep@example.com").await;
    sink.pause();

    app.assign(&manager.access, &first, &rep.user_id).await;
    first_attempt_failed(&app).await;
    let mut later = Vec::new();
    for name in ["Dana", "Eli"] {
        let lead = app
            .create_lead(
                &manager.access,
                json!({ "firstName": name, "lastName": "Wait" }),
            )
            .await;
        app.assign(&manager.access, &lead, &rep.user_id).await;
        later.push(lead);
    }
    // Several probes of the unreachable server go by.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = outbox(&app).await;
    assert_eq!(waiting.len(), 3, "{waiting:?}");
    for row in waiting.iter().filter(|r| r.attempts == 0) {
        assert_eq!(row.status, EmailStatus::Pending);
    }
    assert_eq!(
        waiting.iter().filter(|r| r.attempts == 0).count(),
        2,
        "mail written while the server was down spent no attempt: {waiting:?}"
    );

    sink.resume().await;
    let messages = sink.until(2, Duration::from_secs(15)).await;
    for lead in &later {
        assert!(
            messages
                .iter()
                .any(|m| text(m).contains(&format!("/leads/{lead}"))),
            "{messages:?}"
        );
    }
    let rows = outbox(&app).await;
    let failed = rows
        .iter()
        .find(|r| r.lead_id.map(|l| l.to_string()) == Some(first.clone()));
    let failed = failed.expect("the first row");
    assert_eq!(
        failed.status,
        EmailStatus::Pending,
        "its retry is a minute away"
    );
    assert_eq!(failed.attempts, 1);
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn instant_mail_goes_ahead_of_a_backlog_of_digests() {
    let sink = Sink::start().await;
    let app = app_mailing_to(&sink).await;
    let rep = app.create_user("rep@example.com", Role::SalesRep).await;
    let rep = Uuid::parse_str(&rep).unwrap();
    let row = |kind: &str, subject: String, due: chrono::DateTime<Utc>| email_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(rep),
        kind: Set(kind.into()),
        dedupe_key: Set(Uuid::now_v7().to_string()),
        lead_id: Set(None),
        subject: Set(subject.clone()),
        text_body: Set(subject.clone()),
        html_body: Set(format!("<p>{subject}</p>")),
        status: Set(EmailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(due),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(due),
        sent_at: Set(None),
    };
    // A digest hour's burst, due before the instant message, written at once.
    let earlier = Utc::now() - chrono::Duration::minutes(1);
    let mut rows: Vec<_> = (0..100)
        .map(|i| row("DIGEST", format!("Digest {i}"), earlier))
        .collect();
    rows.push(row("LEAD_ASSIGNED", "Instant news".into(), Utc::now()));
    email_outbox::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .unwrap();

    sink.until(101, Duration::from_secs(30)).await;
    let received = sink.received();
    let instant = received
        .iter()
        .find(|(m, _)| header(m, "Subject").is_some_and(|s| s.contains("Instant news")))
        .map(|(_, at)| *at)
        .expect("the instant message");
    let digests_after = received
        .iter()
        .filter(|(m, at)| {
            header(m, "Subject").is_some_and(|s| s.contains("Digest")) && *at > instant
        })
        .count();
    // One pass takes 64 rows, the instant one first: the digests of the
    // next pass at least arrive after it.
    assert!(digests_after >= 30, "only {digests_after} digests after");
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn a_permanent_refusal_is_dead_lettered_after_one_attempt() {
    let sink = Sink::start().await;
    let app = app_mailing_to(&sink).await;
    let (manager, rep, lead) = team(&app, "refused.rep@example.com").await;

    app.assign(&manager.access, &lead, &rep.user_id).await;
    let rows = until_all(&app, EmailStatus::Dead).await;

    assert_eq!(rows[0].attempts, 1);
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550"),
        "{rows:?}"
    );
    assert!(sink.messages().is_empty());
    let health = app.health_json().await.1;
    assert_eq!(health["email"]["dead"], 1, "{health}");

    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let listed = app
        .gql(
            "{ emailOutbox(status: DEAD) { edges { node { id status attempts lastError } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let dead = &listed["data"]["emailOutbox"]["edges"];
    assert_eq!(dead.as_array().map(Vec::len), Some(1), "{listed}");
    let id = dead[0]["node"]["id"].as_str().unwrap().to_string();
    let as_rep = app
        .gql(
            "{ emailOutbox { edges { node { id } } } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&as_rep), "FORBIDDEN");
    let retried = app
        .gql(
            "mutation($id: ID!) { retryEmail(id: $id) { status attempts } }",
            json!({ "id": id }),
            Some(&admin.access),
        )
        .await;
    assert!(retried.get("errors").is_none(), "{retried}");
    let again = until_all(&app, EmailStatus::Dead).await;
    assert_eq!(again[0].attempts, 1, "refused again, from a fresh count");
    let pending = app
        .gql(
            "mutation($id: ID!) { retryEmail(id: $id) { status } }",
            json!({ "id": Uuid::now_v7().to_string() }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&pending), "NOT_FOUND");
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn the_unsubscribe_link_asks_then_turns_the_kind_off_without_a_sign_in() {
    let sink = Sink::start().await;
    let app = app_mailing_to(&sink).await;
    let (manager, rep, lead) = team(&app, "rep@example.com").await;
    app.assign(&manager.access, &lead, &rep.user_id).await;
    let message = text(&sink.until(1, Duration::from_secs(15)).await[0]);
    let token = message
        .split("/email/unsubscribe?token=")
        .nth(1)
        .unwrap()
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap()
        .to_string();

    let asked = app.get(&format!("/email/unsubscribe?token={token}")).await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("method=\"post\""));
    let still = app
        .gql(
            "{ myNotificationPreferences { kind delivery } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert!(
        still
            .to_string()
            .contains("\"LEAD_ASSIGNED\",\"delivery\":\"INSTANT\"")
            || still
                .to_string()
                .contains("\"delivery\":\"INSTANT\",\"kind\":\"LEAD_ASSIGNED\""),
        "a GET changes nothing: {still}"
    );

    let done = app
        .client
        .post(format!("{}/email/unsubscribe", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let after = app
        .gql(
            "{ myNotificationPreferences { kind delivery } }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    let assigned = after["data"]["myNotificationPreferences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "LEAD_ASSIGNED")
        .unwrap()
        .clone();
    assert_eq!(assigned["delivery"], "OFF");

    let forged = app
        .client
        .post(format!("{}/email/unsubscribe", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let access_token = app
        .get(&format!("/email/unsubscribe?token={}", rep.access))
        .await;
    assert_eq!(
        access_token.status(),
        400,
        "an access token is no unsubscribe token"
    );
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn smtp_credentials_appear_in_no_log_and_no_health_figure() {
    let sink = Sink::start().await;
    let url = format!(
        "smtp://mailuser:hunter2-smtp-secret@127.0.0.1:{}",
        sink.port
    );
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/m.db?mode=rwc", dir.path().display()),
        )
        .env("SECRET_KEY", crate::helpers::TEST_SECRET)
        .env("LEADSCORE_BIND", format!("127.0.0.1:{port}"))
        .env("SMTP_URL", &url)
        .env("METRICS_TOKEN", crate::helpers::METRICS_TOKEN)
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut health = None;
    for _ in 0..100 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/health.json"))
            .bearer_auth(crate::helpers::METRICS_TOKEN)
            .send()
            .await
        {
            health = Some(r.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let health = health.expect("the server answered");

    assert!(logs.contains("email on"), "{logs}");
    assert!(!logs.contains("hunter2-smtp-secret"), "{logs}");
    assert!(!health.contains("hunter2-smtp-secret"), "{health}");
    assert!(health.contains("mailuser:[redacted]"), "{health}");
}

#[tokio::test]
#[cfg_attr(not(smtp_sink), ignore = "needs python3-aiosmtpd (SMTP_SINK)")]
async fn the_daily_digest_lists_what_is_unread_and_the_call_list_once_per_local_day() {
    let sink = Sink::start().await;
    let url = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(url.into());
        s.public_url = Some("https://app.leadscore.test".into());
        s.digest_hour = 7;
    })
    .await;
    let (manager, rep, lead) = team(&app, "rep@example.com").await;
    app.assign(&manager.access, &lead, &rep.user_id).await;
    sink.until(1, Duration::from_secs(15)).await;
    let zone = app
        .gql(
            "mutation { updateMyTimeZone(timeZone: \"Asia/Kathmandu\") }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert_eq!(zone["data"]["updateMyTimeZone"], "Asia/Kathmandu", "{zone}");
    let bad = app
        .gql(
            "mutation { updateMyTimeZone(timeZone: \"Mars/Olympus\") }",
            json!({}),
            Some(&rep.access),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "timeZone", "{bad}");
    // A note by the manager: NOTE_ADDED goes to the digest by default.
    let note = app
        .gql(
            "mutation($l: ID!) { addNote(leadId: $l, body: \"Called back: wants a quote\") { id } }",
            json!({ "l": lead }),
            Some(&manager.access),
        )
        .await;
    assert!(note.get("errors").is_none(), "{note}");

    let mailer = app.core.email().unwrap().clone();
    // 01:00 UTC is 06:45 in Kathmandu: before the hour, nothing.
    let early = chrono::DateTime::parse_from_rfc3339("2030-03-04T01:00:00Z")
        .unwrap()
        .to_utc();
    let written = leadscore::service::email::digest::run_due(&app.core, &mailer, early)
        .await
        .unwrap();
    let digests = |rows: &[email_outbox::Model]| rows.iter().filter(|r| r.kind == "DIGEST").count();
    assert_eq!(digests(&outbox(&app).await), 0, "{written}");
    // 01:30 UTC is 07:15 there: due, once, however often it is asked.
    let due = early + chrono::Duration::minutes(30);
    for _ in 0..3 {
        leadscore::service::email::digest::run_due(&app.core, &mailer, due)
            .await
            .unwrap();
    }
    assert_eq!(digests(&outbox(&app).await), 1);
    let messages = sink.until(2, Duration::from_secs(15)).await;
    let digest = messages
        .iter()
        .map(|m| text(m))
        .find(|m| header(m, "Subject").is_some_and(|s| s.contains("digest")))
        .expect("the digest");
    assert!(
        header(&digest, "Subject").unwrap().contains("2030-03-04"),
        "{digest}"
    );
    assert!(
        digest.contains("Called back: wants a quote") || digest.contains("note"),
        "{digest}"
    );
    assert!(
        digest.contains("Call next") && digest.contains("Casey Quill"),
        "{digest}"
    );
    // The next local day brings the next one.
    leadscore::service::email::digest::run_due(&app.core, &mailer, due + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(digests(&outbox(&app).await), 2);
}
