use leadscore::{
    demo::{self, Outcome},
    entity::{assignment, lead, lead_activity, user},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

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
            leads: 200
        }
    );
    assert_eq!(second, Outcome::AlreadyHasUsers);
    assert_eq!(counts.0, 4);
    assert_eq!(counts.1, 200);
    assert!(counts.2 > 100 && counts.3 > 100, "{counts:?}");
    assert_eq!(lead::Entity::find().count(&app.db).await.unwrap(), 200);
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
