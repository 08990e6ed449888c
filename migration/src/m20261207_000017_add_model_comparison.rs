//! Fair model choice and drift: each model keeps `data_mark` (a UUID v7
//! taken when its training read the outcomes: a status change recorded
//! after it is one the model never learned from), the `comparison` that
//! decided whether it replaced the model scoring then, and, while active,
//! its `live` figures on the outcomes that arrived since.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 3] = ["data_mark", "comparison", "live"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            uuid_null("data_mark"),
            json_null("comparison"),
            json_null("live"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("scoring_models")
                        .add_column(column.to_owned())
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("scoring_models")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
