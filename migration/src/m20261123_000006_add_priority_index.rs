//! The call list (`prioritizedLeads`) reads live, prioritized leads by tier,
//! then score: this index serves it in that order.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::columns::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let nulls_last = if manager.get_database_backend() == DatabaseBackend::Postgres {
            " NULLS LAST"
        } else {
            ""
        };
        exec(
            manager,
            &format!(
                "CREATE INDEX ix_leads_live_priority ON leads (priority_tier, score DESC{nulls_last}, id DESC) \
                 WHERE deleted_at IS NULL AND priority_tier IS NOT NULL"
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, "DROP INDEX IF EXISTS ix_leads_live_priority").await
    }
}
