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
