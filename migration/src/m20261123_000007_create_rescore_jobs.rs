//! Rescore jobs: an admin's request to rescore a set of leads, with progress
//! a client can poll and a heartbeat, so another server takes over a job whose
//! server stopped.
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
                    .table("rescore_jobs")
                    .col(id())
                    .col(string_len("status", 16))
                    .col(json("filter"))
                    .col(big_integer("total"))
                    .col(big_integer("processed"))
                    .col(text_null("error"))
                    .col(uuid_null("requested_by"))
                    .col(at("created_at"))
                    .col(at_null("started_at"))
                    .col(at_null("finished_at"))
                    .col(at_null("heartbeat_at"))
                    .foreign_key(&mut fk(
                        "rescore_jobs",
                        "requested_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "rescore_jobs", &["status", "heartbeat_at"]).await?;
        index(manager, "rescore_jobs", &["requested_by"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["rescore_jobs"]).await
    }
}
