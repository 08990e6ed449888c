//! An API key stops working when its admin is demoted or deactivated, and
//! stays off after a re-promotion until an admin enables it again
//! (`api_keys.disabled_at`). An event remembers the user who sent it
//! (`lead_engagement_events.recorded_by`), so a reused `externalId` is a
//! replay only for the sender that first used it.
use sea_orm_migration::{prelude::*, schema::uuid_null};

use crate::columns::at_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    .add_column(at_null("disabled_at"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("lead_engagement_events")
                    .add_column(uuid_null("recorded_by"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("lead_engagement_events")
                    .drop_column("recorded_by")
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    .drop_column("disabled_at")
                    .take(),
            )
            .await
    }
}
