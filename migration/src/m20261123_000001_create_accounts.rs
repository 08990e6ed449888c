//! Accounts: users, their refresh-token sessions, integration API keys and
//! the audit log (which also feeds login throttling).
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{at, at_null, drop_tables, exec, fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(id())
                    .col(string_len("email", 254))
                    .col(string_len("full_name", 200))
                    .col(string("password_hash"))
                    .col(string_len("role", 16))
                    .col(boolean("is_active").default(true))
                    .col(integer("token_version").default(0))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("last_login_at"))
                    .take(),
            )
            .await?;
        // Case-insensitive uniqueness: emails are also stored lower-cased.
        exec(
            manager,
            "CREATE UNIQUE INDEX ux_users_email_lower ON users (lower(email))",
        )
        .await?;
        index(manager, "users", &["role", "is_active"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(id())
                    .col(uuid("user_id"))
                    .col(uuid("family_id"))
                    .col(string_len_uniq("token_hash", 64))
                    .col(at("created_at"))
                    .col(at("expires_at"))
                    .col(at_null("used_at"))
                    .col(at_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "refresh_tokens",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "refresh_tokens", &["user_id"]).await?;
        index(manager, "refresh_tokens", &["family_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(id())
                    .col(string_len("name", 200))
                    .col(string_len("prefix", 16))
                    .col(string_len_uniq("secret_hash", 64))
                    .col(json("scopes"))
                    .col(uuid_null("created_by"))
                    .col(at("created_at"))
                    .col(at_null("last_used_at"))
                    .col(at_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "api_keys",
                        "created_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "api_keys", &["created_by"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(id())
                    .col(at("occurred_at"))
                    .col(uuid_null("actor_id"))
                    .col(string_len("action", 64))
                    .col(string_len_null("entity_type", 32))
                    .col(uuid_null("entity_id"))
                    .col(string_len_null("subject", 254))
                    .col(string_len_null("ip", 64))
                    .col(json_null("details"))
                    .foreign_key(&mut fk(
                        "audit_log",
                        "actor_id",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "audit_log", &["occurred_at"]).await?;
        index(manager, "audit_log", &["actor_id"]).await?;
        index(manager, "audit_log", &["entity_type", "entity_id"]).await?;
        // Login throttling counts recent failures per account and per client IP.
        index(manager, "audit_log", &["action", "subject", "occurred_at"]).await?;
        index(manager, "audit_log", &["action", "ip", "occurred_at"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["audit_log", "api_keys", "refresh_tokens", "users"],
        )
        .await
    }
}
