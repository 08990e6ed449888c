//! Lead imports. A lead gains `external_id` (the id another system gave it)
//! and `phone_key` (its phone's digits), so an import finds the lead a row
//! means by an index. An uploaded file is staged as rows of cells
//! (`lead_import_rows`), so any server can run or resume the import that
//! reads it; `lead_imports` is the job (mapping, progress, heartbeat) and
//! `lead_import_errors` every row it could not take, and why.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::columns::{at, at_null, drop_tables, exec, fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null("external_id", 200),
            string_len_null("phone_key", 40),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("leads")
                        .add_column(column.to_owned())
                        .take(),
                )
                .await?;
        }
        let digits = if manager.get_database_backend() == DatabaseBackend::Postgres {
            "regexp_replace(phone, '[^0-9]', '', 'g')".to_string()
        } else {
            ["+", "-", " ", "(", ")", ".", "e", "x", "t"]
                .iter()
                .fold("phone".to_string(), |sql, c| {
                    format!("replace({sql}, '{c}', '')")
                })
        };
        exec(
            manager,
            &format!("UPDATE leads SET phone_key = {digits} WHERE phone IS NOT NULL"),
        )
        .await?;
        exec(
            manager,
            "CREATE INDEX ix_leads_external_id ON leads (external_id) WHERE external_id IS NOT NULL",
        )
        .await?;
        exec(
            manager,
            "CREATE INDEX ix_leads_phone_key ON leads (phone_key) WHERE phone_key IS NOT NULL",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("lead_import_uploads")
                    .col(id())
                    .col(uuid_null("uploaded_by"))
                    .col(string_len_null("file_name", 255))
                    .col(string_len("encoding", 32))
                    .col(string_len("delimiter", 4))
                    .col(json("columns"))
                    .col(big_integer("total_rows"))
                    .col(big_integer("size_bytes"))
                    .col(at("created_at"))
                    .foreign_key(&mut fk(
                        "lead_import_uploads",
                        "uploaded_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "lead_import_uploads",
            &["uploaded_by", "created_at"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("lead_import_rows")
                    .col(uuid("upload_id"))
                    .col(big_integer("row_number"))
                    .col(json("cells"))
                    .primary_key(Index::create().col("upload_id").col("row_number"))
                    .foreign_key(&mut fk(
                        "lead_import_rows",
                        "upload_id",
                        "lead_import_uploads",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("lead_imports")
                    .col(id())
                    .col(uuid("upload_id"))
                    .col(uuid_null("requested_by"))
                    .col(string_len("status", 16))
                    .col(json("settings"))
                    .col(boolean("dry_run"))
                    .col(big_integer("total_rows"))
                    .col(big_integer("processed_rows"))
                    .col(big_integer("last_row"))
                    .col(big_integer("created"))
                    .col(big_integer("updated"))
                    .col(big_integer("skipped"))
                    .col(big_integer("failed"))
                    .col(json("assigned"))
                    .col(text_null("error"))
                    .col(at("created_at"))
                    .col(at_null("started_at"))
                    .col(at_null("finished_at"))
                    .col(at_null("heartbeat_at"))
                    .foreign_key(&mut fk(
                        "lead_imports",
                        "upload_id",
                        "lead_import_uploads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "lead_imports",
                        "requested_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "lead_imports", &["status", "heartbeat_at"]).await?;
        index(manager, "lead_imports", &["upload_id"]).await?;
        index(manager, "lead_imports", &["requested_by", "created_at"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("lead_import_errors")
                    .col(id())
                    .col(uuid("import_id"))
                    .col(big_integer("row_number"))
                    .col(string_len_null("column_name", 255))
                    .col(string_len_null("field", 100))
                    .col(string_len("code", 32))
                    .col(text("message"))
                    .foreign_key(&mut fk(
                        "lead_import_errors",
                        "import_id",
                        "lead_imports",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "lead_import_errors",
            &["import_id", "row_number", "id"],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "lead_import_errors",
                "lead_imports",
                "lead_import_rows",
                "lead_import_uploads",
            ],
        )
        .await?;
        exec(manager, "DROP INDEX IF EXISTS ix_leads_phone_key").await?;
        exec(manager, "DROP INDEX IF EXISTS ix_leads_external_id").await?;
        for column in ["phone_key", "external_id"] {
            manager
                .alter_table(Table::alter().table("leads").drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
