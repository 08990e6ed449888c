//! Reports. "The score a lead had before its outcome" is a lookup of its
//! latest score row before a time: the (lead, scored_at, id) index now also
//! carries the figures calibration reads (total, classification,
//! probability), so that lookup never visits the wide score rows and their
//! JSON factors. It replaces the narrower index with the same key.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::columns::{exec, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COVERING: &str = "ix_lead_scores_as_of";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = if manager.get_database_backend() == DatabaseBackend::Postgres {
            format!(
                "CREATE INDEX {COVERING} ON lead_scores (lead_id, scored_at, id) \
                 INCLUDE (total, classification, conversion_probability)"
            )
        } else {
            format!(
                "CREATE INDEX {COVERING} ON lead_scores \
                 (lead_id, scored_at, id, total, classification, conversion_probability)"
            )
        };
        exec(manager, &sql).await?;
        exec(manager, "DROP INDEX ix_lead_scores_lead_id_scored_at_id").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(manager, "lead_scores", &["lead_id", "scored_at", "id"]).await?;
        exec(manager, &format!("DROP INDEX {COVERING}")).await
    }
}
