//! Every lead row is rewritten each time it is scored (the sweep rescores
//! all of them every interval). Leaving 15% of each page free lets
//! PostgreSQL update a row in place when no indexed column changed (a HOT
//! update), instead of writing a new entry into each of the table's indexes.
//! SQLite has no such setting; there this migration does nothing.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::columns::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        exec(manager, "ALTER TABLE leads SET (fillfactor = 85)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        exec(manager, "ALTER TABLE leads RESET (fillfactor)").await
    }
}
