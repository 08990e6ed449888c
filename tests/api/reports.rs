//! Reports through GraphQL: what a manager and a rep see after real
//! writes through the API, what bad arguments get, and the complexity
//! limit. The numbers themselves are checked against an oracle in the
//! service tests.
use leadscore::entity::user::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, TestApp, Tokens};

const ALL: &str = r#"query($from: DateTime!, $to: DateTime!) { reports {
  pipelineSummary { coverage { from to computedAt } total { count budgets { currency leads minTotal maxTotal } }
    open { count } closed { count } byStatus { status count } byClassification { classification count }
    byPriorityTier { priorityTier count } bySource { source count } }
  funnel { leads lost stages { status reached conversionToNext lost exited medianHours p90Hours } }
  repPerformance { untouchedHours rows { rep { email } assigned contacted firstResponseP50Minutes won lost winRate openP1 untouchedP1 } }
  sourceEffectiveness { rows { source leads won lost winRate meanScore medianDaysToWin } }
  scoreCalibration { horizonDays bands { low high leads won lost winRate } byClassification { classification leads } unscored auc brier }
  timeSeries(metric: LEADS_CREATED, granularity: DAY, timeZone: "Europe/Paris", from: $from, to: $to) { timeZone total points { start end count } }
  scoreDistribution(bucketWidth: 25) { bands { low high leads } unscored meanScore }
} }"#;

struct Team {
    app: TestApp,
    manager: Tokens,
    rep: Tokens,
}

/// Three leads: two for the rep (one won after a call), one for nobody.
async fn team() -> Team {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;
    let budget = json!({ "budgetMin": 1000.0, "budgetMax": 2500.5, "source": "REFERRAL" });
    let won = app.create_lead(&manager.access, budget.clone()).await;
    let open = app
        .create_lead(&manager.access, json!({ "source": "WEBSITE" }))
        .await;
    app.create_lead(&manager.access, budget).await;
    for lead in [&won, &open] {
        assert_ok(&app.assign(&manager.access, lead, &rep.user_id).await);
    }
    let call = app
        .gql(
            "mutation($l: ID!) { logActivity(input: {leadId: $l, kind: CALL, summary: \"Intro call\"}) { id } }",
            json!({ "l": won }),
            Some(&rep.access),
        )
        .await;
    assert_ok(&call);
    let status = app
        .gql(
            "mutation($l: ID!) { updateLead(id: $l, input: {status: WON}) { status } }",
            json!({ "l": won }),
            Some(&rep.access),
        )
        .await;
    assert_ok(&status);
    Team { app, manager, rep }
}

async fn all(t: &Team, token: &str) -> Value {
    let now = chrono::Utc::now();
    let body = t
        .app
        .gql(
            ALL,
            json!({ "from": now - chrono::Duration::days(2), "to": now + chrono::Duration::hours(1) }),
            Some(token),
        )
        .await;
    assert_ok(&body);
    body["data"]["reports"].clone()
}

fn count_of(list: &Value, key: &str, value: &str) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|g| g[key] == value)
        .unwrap_or_else(|| panic!("no {key} {value} in {list}"))["count"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_manager_sees_the_whole_team_and_a_rep_only_their_own_leads() {
    let t = team().await;
    let m = all(&t, &t.manager.access).await;
    let p = &m["pipelineSummary"];
    assert_eq!(p["total"]["count"], 3);
    assert_eq!(
        (p["open"]["count"].as_i64(), p["closed"]["count"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(count_of(&p["byStatus"], "status", "WON"), 1);
    assert_eq!(
        count_of(&p["byStatus"], "status", "LOST"),
        0,
        "every status is listed"
    );
    assert_eq!(count_of(&p["bySource"], "source", "REFERRAL"), 2);
    assert_eq!(
        p["total"]["budgets"],
        json!([{ "currency": "USD", "leads": 2, "minTotal": 2000.0, "maxTotal": 5001.0 }])
    );
    assert!(p["coverage"]["computedAt"].is_string());

    let stages = m["funnel"]["stages"].as_array().unwrap();
    assert_eq!(m["funnel"]["leads"], 3);
    assert_eq!(stages[0]["reached"], 3);
    assert_eq!(stages[5]["status"], "WON");
    assert_eq!(stages[5]["reached"], 1, "a win skipping stages reaches WON");
    assert_eq!(stages[4]["reached"], 1, "and every stage before it");

    let rows = m["repPerformance"]["rows"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["rep"]["email"] == "rep@example.com")
        .unwrap();
    assert_eq!(
        (row["assigned"].as_i64(), row["contacted"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (row["won"].as_i64(), row["winRate"].as_f64()),
        (Some(1), Some(1.0))
    );
    assert!(row["firstResponseP50Minutes"].as_f64().unwrap() >= 0.0);

    let sources = m["sourceEffectiveness"]["rows"].as_array().unwrap();
    let referral = sources.iter().find(|r| r["source"] == "REFERRAL").unwrap();
    assert_eq!(
        (referral["leads"].as_i64(), referral["won"].as_i64()),
        (Some(2), Some(1))
    );
    assert!(referral["medianDaysToWin"].as_f64().unwrap() < 1.0);

    let series = &m["timeSeries"];
    assert_eq!(
        (series["total"].as_i64(), series["timeZone"].as_str()),
        (Some(3), Some("Europe/Paris"))
    );
    assert!(
        series["points"].as_array().unwrap().len() >= 3,
        "gap-filled days: {series}"
    );
    let bands = m["scoreDistribution"]["bands"].as_array().unwrap();
    assert_eq!(bands.len(), 4);
    assert_eq!(
        bands[3],
        json!({ "low": 75, "high": 100, "leads": bands[3]["leads"] })
    );
    let scored: i64 = bands.iter().map(|b| b["leads"].as_i64().unwrap()).sum();
    assert_eq!(
        scored + m["scoreDistribution"]["unscored"].as_i64().unwrap(),
        3
    );

    let r = all(&t, &t.rep.access).await;
    assert_eq!(
        r["pipelineSummary"]["total"]["count"], 2,
        "the unassigned lead is not the rep's"
    );
    assert_eq!(r["funnel"]["leads"], 2);
    assert_eq!(r["funnel"]["stages"][5]["reached"], 1);
    let rows = r["repPerformance"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["rep"]["email"], "rep@example.com");
    assert_eq!(r["timeSeries"]["total"], r["funnel"]["leads"]);
}

#[tokio::test]
async fn bad_report_arguments_are_bad_user_input_naming_the_argument() {
    let t = team().await;
    let cases = [
        ("{ reports { timeSeries(metric: WON, granularity: DAY, timeZone: \"Mars/Base\", from: \"2026-01-01T00:00:00Z\", to: \"2026-01-02T00:00:00Z\") { total } } }", "timeZone"),
        ("{ reports { timeSeries(metric: WON, granularity: DAY, from: \"2026-02-01T00:00:00Z\", to: \"2026-01-02T00:00:00Z\") { total } } }", "from"),
        ("{ reports { timeSeries(metric: WON, granularity: DAY, from: \"2024-01-01T00:00:00Z\", to: \"2026-01-02T00:00:00Z\") { total } } }", "to"),
        ("{ reports { scoreDistribution(bucketWidth: 51) { unscored } } }", "bucketWidth"),
        ("{ reports { scoreCalibration(bucketWidth: 0) { auc } } }", "bucketWidth"),
        ("{ reports { funnel(cohort: {createdFrom: \"2026-02-01T00:00:00Z\", createdTo: \"2026-01-01T00:00:00Z\"}) { leads } } }", "cohort.from"),
        ("{ reports { repPerformance(period: {from: \"2026-02-01T00:00:00Z\", to: \"2026-01-01T00:00:00Z\"}) { untouchedHours } } }", "period.from"),
    ];
    for (query, field) in cases {
        let body = t.app.gql(query, json!({}), Some(&t.manager.access)).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{query}: {body}"
        );
    }
    let anonymous = t
        .app
        .gql(
            "{ reports { scoreDistribution { unscored } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn reports_count_toward_the_complexity_limit() {
    let t = team().await;
    let one = "pipelineSummary { total { count } }";
    let many: String = (0..12).map(|i| format!("r{i}: {one} ")).collect();
    let refused = t
        .app
        .gql(
            &format!("{{ reports {{ {many} }} }}"),
            json!({}),
            Some(&t.manager.access),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("complex"));
    let few: String = (0..3).map(|i| format!("r{i}: {one} ")).collect();
    let fits = t
        .app
        .gql(
            &format!("{{ reports {{ {few} }} }}"),
            json!({}),
            Some(&t.manager.access),
        )
        .await;
    assert_ok(&fits);
}
