use leadscore::{
    demo::{self, Outcome},
    entity::{assignment, lead, lead_activity, user},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use serde_json::json;

use crate::helpers::{assert_ok, error_code, spawn_app};

#[tokio::test]
async fn demo_data_is_seeded_once_and_its_admin_can_sign_in() {
    let app = spawn_app().await;

    let first = demo::seed(&app.core, false, demo::DEFAULT_LEADS)
        .await
        .unwrap();
    let counts = (
        user::Entity::find().count(&app.db).await.unwrap(),
        lead::Entity::find().count(&app.db).await.unwrap(),
        lead_activity::Entity::find().count(&app.db).await.unwrap(),
        assignment::Entity::find().count(&app.db).await.unwrap(),
    );
    let second = demo::seed(&app.core, false, demo::DEFAULT_LEADS)
        .await
        .unwrap();

    assert_eq!(
        first,
        Outcome::Seeded {
            users: 4,
            leads: demo::DEFAULT_LEADS
        }
    );
    assert_eq!(second, Outcome::AlreadyHasUsers);
    assert_eq!(counts.0, 4);
    assert_eq!(counts.1, demo::DEFAULT_LEADS as u64);
    assert!(counts.2 > 100 && counts.3 > 100, "{counts:?}");
    assert_eq!(
        lead::Entity::find().count(&app.db).await.unwrap(),
        demo::DEFAULT_LEADS as u64
    );
    let unscored = lead::Entity::find()
        .filter(lead::Column::Score.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(unscored, 0, "demo leads are scored while seeding");
    assert_ok(&app.login("admin@example.com", demo::DEMO_PASSWORD).await);
    assert_ok(&app.login("rep2@example.com", demo::DEMO_PASSWORD).await);
}

#[tokio::test]
async fn demo_data_is_refused_in_production() {
    let app = spawn_app().await;

    let refused = demo::seed(&app.core, true, demo::DEFAULT_LEADS).await;

    assert!(refused.is_err());
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        error_code(&app.login("admin@example.com", demo::DEMO_PASSWORD).await),
        "UNAUTHENTICATED"
    );
}

/// The demo's reports tell the story a manager expects: HOT leads convert
/// more than WARM and WARM more than COLD (by the score they had before
/// their outcome), and the fast rep answers sooner and wins more.
#[tokio::test]
async fn the_demo_reports_show_the_score_predicting_and_the_reps_differing() {
    let app = spawn_app().await;
    demo::seed(&app.core, false, demo::DEFAULT_LEADS)
        .await
        .unwrap();
    let login = app.login("manager@example.com", demo::DEMO_PASSWORD).await;
    let token = login["data"]["login"]["accessToken"].as_str().unwrap();
    let body = app
        .gql(
            "{ reports { scoreCalibration { auc byClassification { classification winRate } }
               repPerformance { rows { rep { email } firstResponseP50Minutes winRate } }
               funnel { stages { status reached } } } }",
            json!({}),
            Some(token),
        )
        .await;
    assert_ok(&body);
    let reports = &body["data"]["reports"];
    let rate = |class: &str| {
        reports["scoreCalibration"]["byClassification"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["classification"] == class)
            .and_then(|r| r["winRate"].as_f64())
            .unwrap()
    };
    assert!(
        rate("HOT") > rate("WARM") && rate("WARM") > rate("COLD"),
        "{reports}"
    );
    assert!(reports["scoreCalibration"]["auc"].as_f64().unwrap() > 0.6);
    let rows = reports["repPerformance"]["rows"].as_array().unwrap();
    let (fast, slow) = (&rows[0], &rows[1]);
    assert_eq!(fast["rep"]["email"], "rep1@example.com", "{reports}");
    let minutes = |r: &serde_json::Value| r["firstResponseP50Minutes"].as_f64().unwrap();
    assert!(minutes(fast) * 3.0 < minutes(slow), "{reports}");
    assert!(
        fast["winRate"].as_f64() > slow["winRate"].as_f64(),
        "{reports}"
    );
    let stages = reports["funnel"]["stages"].as_array().unwrap();
    let reached: Vec<i64> = stages
        .iter()
        .map(|s| s["reached"].as_i64().unwrap())
        .collect();
    assert!(
        reached.windows(2).all(|w| w[0] >= w[1]) && reached[5] > 0,
        "{reached:?}"
    );
}
