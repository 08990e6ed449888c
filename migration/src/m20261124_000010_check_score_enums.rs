//! Score enums are read through typed mappings from now on: an unknown
//! value is an error, never silently coerced. This migration converts what
//! can be converted (factor categories were stored as Rust `Debug` names,
//! "BuyingSignals"; they become "BUYING_SIGNALS" like every other enum) and
//! refuses to run, naming the column and the count, when any other stored
//! value is outside its enum, so nothing is read wrongly after it.
use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

use crate::columns::exec;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each enum column and the values it may hold (NULL is allowed where the
/// column is nullable).
const CHECKS: &[(&str, &str, &[&str])] = &[
    ("lead_scores", "classification", &["HOT", "WARM", "COLD"]),
    (
        "lead_scores",
        "priority_tier",
        &["P1", "P2", "P3", "P4", "NONE"],
    ),
    (
        "lead_scores",
        "confidence_level",
        &["LOW", "MEDIUM", "HIGH"],
    ),
    ("leads", "classification", &["HOT", "WARM", "COLD"]),
    ("leads", "priority_tier", &["P1", "P2", "P3", "P4"]),
    (
        "lead_insights",
        "kind",
        &["TALKING_POINT", "CONCERN", "OPPORTUNITY"],
    ),
    (
        "notifications",
        "kind",
        &[
            "LEAD_ASSIGNED",
            "LEAD_TRANSFERRED",
            "ASSIGNMENT_COMPLETED",
            "LEAD_BECAME_HOT",
            "NOTE_ADDED",
        ],
    ),
];

const CATEGORIES: &[(&str, &str)] = &[
    ("Engagement", "ENGAGEMENT"),
    ("BuyingSignals", "BUYING_SIGNALS"),
    ("DemographicFit", "DEMOGRAPHIC_FIT"),
];

async fn rename_categories(manager: &SchemaManager<'_>, to_new: bool) -> Result<(), DbErr> {
    let postgres =
        manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres;
    for (old, new) in CATEGORIES {
        let (from, to) = if to_new { (old, new) } else { (new, old) };
        // serde_json writes `"category":"X"` with no space; both backends keep the text.
        let sql = if postgres {
            format!(
                "UPDATE lead_scores SET factors = replace(factors::text, '\"category\":\"{from}\"', '\"category\":\"{to}\"')::json"
            )
        } else {
            format!(
                "UPDATE lead_scores SET factors = replace(factors, '\"category\":\"{from}\"', '\"category\":\"{to}\"')"
            )
        };
        exec(manager, &sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for (table, column, allowed) in CHECKS {
            let list = allowed
                .iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE {column} IS NOT NULL AND {column} NOT IN ({list})"
            );
            let row = db
                .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                    backend, sql,
                ))
                .await?;
            let bad: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
            if bad > 0 {
                return Err(DbErr::Migration(format!(
                    "{bad} rows of {table}.{column} hold a value outside {list}: fix or delete them, then migrate again"
                )));
            }
        }
        rename_categories(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename_categories(manager, false).await
    }
}
