//! The notification bell: one row per user per notification, read or not.
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
                    .table("notifications")
                    .col(id())
                    .col(uuid("user_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("title", 200))
                    .col(text("body"))
                    .col(uuid_null("lead_id"))
                    .col(at("created_at"))
                    .col(at_null("read_at"))
                    .foreign_key(&mut fk(
                        "notifications",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "notifications",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "notifications", &["user_id", "id"]).await?;
        index(manager, "notifications", &["user_id", "read_at"]).await?;
        index(manager, "notifications", &["lead_id"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["notifications"]).await
    }
}
