//! Indexes that serve the lead list's orders exactly as the API sorts them:
//! live leads only, NULLs last in both directions (a btree scanned backwards
//! would put NULLs first, so DESC orders need their own index).
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::columns::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 4] = [
    (
        "ix_leads_live_score_desc",
        "(score DESC NULLS LAST, id DESC)",
    ),
    (
        "ix_leads_live_last_activity_desc",
        "(last_activity_at DESC NULLS LAST, id DESC)",
    ),
    ("ix_leads_live_created_desc", "(created_at DESC, id DESC)"),
    ("ix_leads_live_updated_desc", "(updated_at DESC, id DESC)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (name, columns) in INDEXES {
            // SQLite sorts NULLs first ascending, so its DESC order already puts them last.
            let columns = if postgres {
                columns.to_string()
            } else {
                columns.replace(" NULLS LAST", "")
            };
            exec(
                manager,
                &format!("CREATE INDEX {name} ON leads {columns} WHERE deleted_at IS NULL"),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            exec(manager, &format!("DROP INDEX IF EXISTS {name}")).await?;
        }
        Ok(())
    }
}
