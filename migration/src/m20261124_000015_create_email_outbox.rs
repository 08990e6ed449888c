//! Email: an outbox written in the transaction of the notification it
//! mails (sent by a worker, retried with backoff, dead-lettered when the
//! server refuses for good), each user's delivery preference per kind, and
//! the time zone their daily digest is timed in.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{at, at_null, drop_tables, fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(string_len("time_zone", 64).default("UTC"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notification_preferences")
                    .col(uuid("user_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("delivery", 16))
                    .primary_key(Index::create().col("user_id").col("kind"))
                    .foreign_key(&mut fk(
                        "notification_preferences",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("email_outbox")
                    .col(id())
                    .col(uuid("user_id"))
                    .col(string_len("kind", 32))
                    // One message per key, whoever writes it (a digest per
                    // user and local day, a notification once).
                    .col(string_len("dedupe_key", 128).unique_key())
                    .col(uuid_null("lead_id"))
                    .col(text("subject"))
                    .col(text("text_body"))
                    .col(text("html_body"))
                    .col(string_len("status", 16))
                    .col(integer("attempts"))
                    .col(at("next_attempt_at"))
                    .col(at_null("locked_until"))
                    .col(text_null("last_error"))
                    .col(at("created_at"))
                    .col(at_null("sent_at"))
                    .foreign_key(&mut fk(
                        "email_outbox",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "email_outbox", &["status", "next_attempt_at"]).await?;
        index(manager, "email_outbox", &["user_id", "created_at"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["email_outbox", "notification_preferences"]).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("time_zone")
                    .take(),
            )
            .await
    }
}
