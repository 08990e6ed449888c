//! The CRM core: leads (with the score denormalised for sorting), inventory,
//! activities, notes and assignments.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::columns::{at, at_null, drop_tables, exec, fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("leads")
                    .col(id())
                    .col(string_len("first_name", 100))
                    .col(string_len("last_name", 100))
                    .col(string_len_null("email", 254))
                    .col(string_len_null("phone", 40))
                    .col(string_len_null("company", 200))
                    .col(string_len_null("job_title", 200))
                    .col(string_len("source", 32))
                    .col(string_len("status", 16))
                    // Money is kept in minor units (cents) to stay exact.
                    .col(big_integer_null("budget_min"))
                    .col(big_integer_null("budget_max"))
                    .col(string_len("currency", 3))
                    .col(string_len_null("product_interest", 200))
                    .col(string_len_null("purchase_timeline", 100))
                    .col(boolean("is_repeat_customer").default(false))
                    .col(json("attributes"))
                    // Lower-cased name, email, company and phone: one column to
                    // search, and on PostgreSQL one trigram index to search it.
                    .col(text("search_text"))
                    .col(integer_null("score"))
                    .col(string_len_null("classification", 8))
                    .col(string_len_null("priority_tier", 4))
                    .col(double_null("score_confidence"))
                    .col(at_null("scored_at"))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("last_activity_at"))
                    .col(uuid_null("created_by"))
                    .col(at_null("deleted_at"))
                    .foreign_key(&mut fk(
                        "leads",
                        "created_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        for columns in [
            &["status"][..],
            &["source"],
            &["classification"],
            &["score", "id"],
            &["created_at", "id"],
            &["updated_at", "id"],
            &["last_activity_at", "id"],
            &["last_name", "first_name", "id"],
            &["created_by"],
            &["deleted_at"],
        ] {
            index(manager, "leads", columns).await?;
        }
        exec(
            manager,
            "CREATE INDEX ix_leads_email_lower ON leads (lower(email))",
        )
        .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            exec(manager, "CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
            exec(
                manager,
                "CREATE INDEX ix_leads_search_text_trgm ON leads USING gin (search_text gin_trgm_ops)",
            )
            .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("inventory_items")
                    .col(id())
                    .col(string_len("name", 200))
                    .col(string_len("category", 100))
                    .col(big_integer("price"))
                    .col(string_len("currency", 3))
                    .col(integer("quantity_available"))
                    .col(json("attributes"))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("deleted_at"))
                    .take(),
            )
            .await?;
        index(manager, "inventory_items", &["category"]).await?;
        index(manager, "inventory_items", &["name"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("lead_activities")
                    .col(id())
                    .col(uuid("lead_id"))
                    .col(uuid_null("actor_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("direction", 16))
                    .col(text("summary"))
                    .col(at("occurred_at"))
                    .col(at("created_at"))
                    .foreign_key(&mut fk(
                        "lead_activities",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "lead_activities",
                        "actor_id",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "lead_activities",
            &["lead_id", "occurred_at", "id"],
        )
        .await?;
        index(manager, "lead_activities", &["actor_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("lead_notes")
                    .col(id())
                    .col(uuid("lead_id"))
                    .col(uuid_null("author_id"))
                    .col(text("body"))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("deleted_at"))
                    .foreign_key(&mut fk(
                        "lead_notes",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "lead_notes",
                        "author_id",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "lead_notes", &["lead_id", "created_at", "id"]).await?;
        index(manager, "lead_notes", &["author_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("assignments")
                    .col(id())
                    .col(uuid("lead_id"))
                    .col(uuid("assignee_id"))
                    .col(uuid_null("assigned_by"))
                    .col(string_len("status", 16))
                    .col(text_null("note"))
                    .col(at("assigned_at"))
                    .col(at_null("completed_at"))
                    .col(text_null("outcome"))
                    .foreign_key(&mut fk(
                        "assignments",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "assignments",
                        "assignee_id",
                        "users",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "assignments",
                        "assigned_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "assignments", &["lead_id", "assigned_at", "id"]).await?;
        index(manager, "assignments", &["assignee_id", "status"]).await?;
        index(manager, "assignments", &["assigned_by"]).await?;
        // The database, not the application, guarantees one ACTIVE assignment per lead.
        exec(
            manager,
            "CREATE UNIQUE INDEX ux_assignments_one_active_per_lead ON assignments (lead_id) WHERE status = 'ACTIVE'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "assignments",
                "lead_notes",
                "lead_activities",
                "inventory_items",
                "leads",
            ],
        )
        .await
    }
}
