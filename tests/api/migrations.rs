use migration::{Migrator, MigratorTrait};

use crate::helpers::TestDb;

#[tokio::test]
async fn every_migration_goes_down_and_up_again() {
    let test_db = TestDb::new().await;
    let db = sea_orm::Database::connect(&test_db.url).await.unwrap();

    Migrator::up(&db, None).await.unwrap();
    Migrator::down(&db, None).await.unwrap();
    assert!(Migrator::get_applied_migrations(&db)
        .await
        .unwrap()
        .is_empty());
    Migrator::up(&db, None).await.unwrap();

    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        0
    );
    db.close().await.unwrap();
}

/// Requests' statements are cancelled after the request timeout; a
/// migration building an index on a large table must not be.
#[tokio::test]
#[cfg_attr(not(lane_postgres), ignore = "statement_timeout is PostgreSQL's")]
async fn migrations_run_without_the_request_statement_timeout_that_requests_get() {
    use sea_orm::{ConnectionTrait, Statement};
    let test_db = TestDb::new().await;
    let settings = crate::helpers::test_settings(&test_db.url);
    let timeout = |db: sea_orm::DatabaseConnection| async move {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SHOW statement_timeout",
            ))
            .await
            .unwrap()
            .unwrap();
        let value: String = row.try_get("", "statement_timeout").unwrap();
        db.close().await.unwrap();
        value
    };

    let pooled = leadscore::app::connect(&settings, true).await.unwrap();
    let unlimited = leadscore::db::for_migrations(&settings)
        .await
        .unwrap()
        .expect("a connection on PostgreSQL");

    assert_eq!(
        timeout(pooled).await,
        format!("{}s", settings.request_timeout().as_secs())
    );
    assert_eq!(timeout(unlimited).await, "0");
}
