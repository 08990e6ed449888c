//! Column and index shapes shared by every table, so both backends get the
//! same types: UUID v7 keys made by the application, UTC timestamps with
//! time zone, and an index named after its table and columns.
use sea_orm_migration::{prelude::*, schema};

pub fn id() -> ColumnDef {
    schema::uuid("id").primary_key().take()
}

pub fn at(name: &'static str) -> ColumnDef {
    schema::timestamp_with_time_zone(name)
}

pub fn at_null(name: &'static str) -> ColumnDef {
    schema::timestamp_with_time_zone_null(name)
}

/// A foreign key from `table.column` to `target.id` with an explicit ON DELETE.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

pub async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        stmt.col(*column);
    }
    manager.create_index(stmt).await
}

/// Raw DDL that reads the same on SQLite and PostgreSQL (partial and
/// expression indexes, which the statement builder does not express).
pub async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}

pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).if_exists().take())
            .await?;
    }
    Ok(())
}
