//! Learned scoring. `lead_status_changes` records every status a lead takes,
//! with when and by whom: a lead's outcome is its status becoming WON or
//! LOST, and training reads only what was known before that moment. It is
//! backfilled from the audit log (each `lead.updated` that changed the
//! status; a lead's first status dated at its creation). `scoring_models`
//! keeps every trained model, versioned, with its measurements, so every
//! replica scores with the same active one. A score keeps the conversion
//! probability and what it was based on; a lead gains `country` and `city`.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};
use uuid::Uuid;

use crate::columns::{at, at_null, drop_tables, exec, fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows per backfill insert, far below both backends' bind limits.
const ROWS_PER_INSERT: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("lead_status_changes")
                    .col(id())
                    .col(uuid("lead_id"))
                    .col(string_len_null("from_status", 16))
                    .col(string_len("to_status", 16))
                    .col(at("changed_at"))
                    .col(uuid_null("changed_by"))
                    .foreign_key(&mut fk(
                        "lead_status_changes",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "lead_status_changes",
                        "changed_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "lead_status_changes", &["lead_id", "changed_at"]).await?;
        index(manager, "lead_status_changes", &["to_status", "changed_at"]).await?;
        backfill_status_changes(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table("scoring_models")
                    .col(id())
                    .col(integer("version").unique_key())
                    .col(string_len("kind", 32))
                    .col(string_len("status", 16))
                    .col(string_len("trigger", 16))
                    .col(uuid_null("requested_by"))
                    .col(at("created_at"))
                    .col(at_null("started_at"))
                    .col(at_null("finished_at"))
                    .col(at_null("heartbeat_at"))
                    .col(at_null("activated_at"))
                    .col(big_integer("total"))
                    .col(big_integer("processed"))
                    .col(text_null("error"))
                    .col(integer("labelled_leads"))
                    .col(integer("won"))
                    .col(integer("lost"))
                    .col(json("excluded_features"))
                    .col(json("features"))
                    .col(json_null("metrics"))
                    .col(json_null("params"))
                    .foreign_key(&mut fk(
                        "scoring_models",
                        "requested_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        // One active model and one training at a time, whatever the timing.
        exec(
            manager,
            "CREATE UNIQUE INDEX ux_scoring_models_active ON scoring_models (status) \
             WHERE status = 'ACTIVE'",
        )
        .await?;
        exec(
            manager,
            "CREATE UNIQUE INDEX ux_scoring_models_training ON scoring_models (status) \
             WHERE status = 'TRAINING'",
        )
        .await?;
        index(manager, "scoring_models", &["created_at"]).await?;

        for column in [double_null("conversion_probability"), json_null("basis")] {
            manager
                .alter_table(
                    Table::alter()
                        .table("lead_scores")
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        for column in [
            string_len_null("country", 100),
            string_len_null("city", 100),
        ] {
            manager
                .alter_table(Table::alter().table("leads").add_column(column).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["city", "country"] {
            manager
                .alter_table(Table::alter().table("leads").drop_column(column).take())
                .await?;
        }
        for column in ["basis", "conversion_probability"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("lead_scores")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        exec(manager, "DROP INDEX IF EXISTS ux_scoring_models_training").await?;
        exec(manager, "DROP INDEX IF EXISTS ux_scoring_models_active").await?;
        drop_tables(manager, &["scoring_models", "lead_status_changes"]).await
    }
}

struct Change {
    lead_id: Uuid,
    from: Option<String>,
    to: String,
    at: DateTime<Utc>,
    by: Option<Uuid>,
}

/// Each lead's statuses from the audit log: its first status at creation
/// (the `before` of its first change, or its status now), then each change.
async fn backfill_status_changes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let read = |sql: &str| Statement::from_string(backend, sql.to_string());
    let mut changed: HashMap<Uuid, Vec<Change>> = HashMap::new();
    let updates = db
        .query_all_raw(read(
            "SELECT entity_id, occurred_at, actor_id, details FROM audit_log \
             WHERE action = 'lead.updated' AND entity_type = 'lead' AND entity_id IS NOT NULL \
             ORDER BY occurred_at, id",
        ))
        .await?;
    for row in updates {
        let details: Option<serde_json::Value> = row.try_get("", "details")?;
        let Some(status) = details.as_ref().and_then(|d| d.get("status")) else {
            continue;
        };
        let (Some(from), Some(to)) = (status["before"].as_str(), status["after"].as_str()) else {
            continue;
        };
        let lead_id: Uuid = row.try_get("", "entity_id")?;
        changed.entry(lead_id).or_default().push(Change {
            lead_id,
            from: Some(from.to_string()),
            to: to.to_string(),
            at: row.try_get("", "occurred_at")?,
            by: row.try_get("", "actor_id")?,
        });
    }
    let leads = db
        .query_all_raw(read(
            "SELECT id, status, created_at, created_by FROM leads ORDER BY id",
        ))
        .await?;
    let mut rows = Vec::new();
    for lead in leads {
        let lead_id: Uuid = lead.try_get("", "id")?;
        let changes = changed.remove(&lead_id).unwrap_or_default();
        let first = match changes.first() {
            Some(change) => change.from.clone().unwrap_or_default(),
            None => lead.try_get("", "status")?,
        };
        rows.push(Change {
            lead_id,
            from: None,
            to: first,
            at: lead.try_get("", "created_at")?,
            by: lead.try_get("", "created_by")?,
        });
        rows.extend(changes);
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert();
        insert.into_table("lead_status_changes").columns([
            "id",
            "lead_id",
            "from_status",
            "to_status",
            "changed_at",
            "changed_by",
        ]);
        for change in chunk {
            insert
                .values([
                    Uuid::now_v7().into(),
                    change.lead_id.into(),
                    change.from.clone().into(),
                    change.to.clone().into(),
                    change.at.into(),
                    change.by.into(),
                ])
                .map_err(|e| DbErr::Custom(format!("status history backfill: {e}")))?;
        }
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}
