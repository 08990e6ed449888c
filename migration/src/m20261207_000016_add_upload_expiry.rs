//! Staged uploads expire: after `IMPORT_UPLOAD_TTL_HOURS` an upload's rows
//! (most of its size) are removed and the upload is marked `purged_at`,
//! so abandoned files do not keep the database large for good. The upload
//! row stays, because the imports that read it (and their errors) keep
//! their history.
use sea_orm_migration::prelude::*;

use crate::columns::{at_null, exec, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("lead_import_uploads")
                    .add_column(at_null("purged_at"))
                    .take(),
            )
            .await?;
        index(manager, "lead_import_uploads", &["purged_at", "created_at"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "DROP INDEX ix_lead_import_uploads_purged_at_created_at",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("lead_import_uploads")
                    .drop_column("purged_at")
                    .take(),
            )
            .await
    }
}
