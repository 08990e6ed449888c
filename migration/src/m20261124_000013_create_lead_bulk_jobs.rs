//! Bulk changes by filter: a manager reassigns, moves or deletes every lead
//! a filter selects (thousands) as a background job that walks the leads in
//! id order, a batch per transaction with its progress, so it resumes on
//! any server after a crash, and can be cancelled.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{at, at_null, drop_tables, fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("lead_bulk_jobs")
                    .col(id())
                    .col(string_len("action", 16))
                    .col(json("filter"))
                    .col(json("params"))
                    .col(string_len("status", 16))
                    .col(big_integer("total"))
                    .col(big_integer("processed"))
                    .col(big_integer("changed"))
                    .col(uuid_null("last_id"))
                    .col(uuid("max_id"))
                    .col(json("tallies"))
                    .col(text_null("error"))
                    .col(uuid_null("requested_by"))
                    .col(at("created_at"))
                    .col(at_null("started_at"))
                    .col(at_null("finished_at"))
                    .col(at_null("heartbeat_at"))
                    .foreign_key(&mut fk(
                        "lead_bulk_jobs",
                        "requested_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "lead_bulk_jobs", &["status", "heartbeat_at"]).await?;
        index(manager, "lead_bulk_jobs", &["requested_by", "created_at"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["lead_bulk_jobs"]).await
    }
}
