//! Scoring inputs and outputs: engagement events, score history and insights.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{at, drop_tables, fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("lead_engagement_events")
                    .col(id())
                    .col(uuid("lead_id"))
                    .col(string_len("event_type", 32))
                    .col(at("occurred_at"))
                    // A retried delivery carries the same external id: unique makes it idempotent.
                    .col(string_len_null("external_id", 200).unique_key())
                    .col(json("metadata"))
                    .col(uuid_null("api_key_id"))
                    .col(at("created_at"))
                    .foreign_key(&mut fk(
                        "lead_engagement_events",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "lead_engagement_events",
                        "api_key_id",
                        "api_keys",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "lead_engagement_events",
            &["lead_id", "occurred_at"],
        )
        .await?;
        index(manager, "lead_engagement_events", &["api_key_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("lead_scores")
                    .col(id())
                    .col(uuid("lead_id"))
                    .col(integer("total"))
                    .col(double("engagement_score"))
                    .col(double("buying_signal_score"))
                    .col(double("demographic_score"))
                    .col(double("confidence"))
                    .col(string_len("confidence_level", 8))
                    .col(string_len("classification", 8))
                    .col(string_len("priority_tier", 4))
                    .col(json("factors"))
                    .col(json("missing"))
                    .col(string_len("model_version", 32))
                    .col(at("scored_at"))
                    .foreign_key(&mut fk(
                        "lead_scores",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "lead_scores", &["lead_id", "scored_at", "id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("lead_insights")
                    .col(id())
                    .col(uuid("lead_id"))
                    .col(uuid("score_id"))
                    .col(string_len("kind", 16))
                    .col(text("text"))
                    .col(json("evidence"))
                    .col(integer("position"))
                    .col(at("created_at"))
                    .foreign_key(&mut fk(
                        "lead_insights",
                        "lead_id",
                        "leads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "lead_insights",
                        "score_id",
                        "lead_scores",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "lead_insights", &["lead_id"]).await?;
        index(manager, "lead_insights", &["score_id", "position"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["lead_insights", "lead_scores", "lead_engagement_events"],
        )
        .await
    }
}
