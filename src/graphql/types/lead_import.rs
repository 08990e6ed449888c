use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::{
    entity::{
        lead_import::{
            self, AttributeType as EntityAttributeType, DedupeKey as EntityKey,
            ImportStatus as EntityStatus, OnMatch as EntityOnMatch,
        },
        lead_import_error, lead_import_upload,
    },
    graphql::context::ContextExt,
    service::imports::{self, upload, PreviewRow, RowError},
};

/// Where a background task (an import, a bulk job) is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "EntityStatus")]
pub enum TaskStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// How an attribute column's cells are typed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "EntityAttributeType")]
pub enum AttributeType {
    Text,
    Number,
    Boolean,
}

/// Which value finds the lead a row means.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "EntityKey")]
pub enum DedupeKey {
    /// The email, ignoring case.
    Email,
    /// The `externalId` field.
    ExternalId,
    /// The phone's digits, however punctuated.
    Phone,
}

/// What a row whose key matches a live lead does.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "EntityOnMatch")]
pub enum OnMatch {
    /// Leave the lead alone.
    Skip,
    /// Change the mapped fields only.
    Update,
    /// Create another lead anyway.
    Create,
}

/// A header and the field it seems to mean.
#[derive(SimpleObject)]
pub struct ImportColumnSuggestion {
    pub column: String,
    pub field: String,
}

/// A CSV file uploaded with `POST /imports`, ready to import.
pub struct LeadImportUpload(pub lead_import_upload::Model);

#[Object]
impl LeadImportUpload {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn file_name(&self) -> Option<&str> {
        self.0.file_name.as_deref()
    }
    /// How the file was read: `UTF-8`, `UTF-16LE`, `UTF-16BE` or `windows-1252`.
    async fn encoding(&self) -> &str {
        &self.0.encoding
    }
    /// `,`, `;`, `\t` or `|`.
    async fn delimiter(&self) -> &str {
        &self.0.delimiter
    }
    /// The header row.
    async fn columns(&self) -> Vec<String> {
        upload::columns(&self.0)
    }
    /// Data rows (blank lines not counted).
    async fn total_rows(&self) -> i64 {
        self.0.total_rows
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Fields the headers seem to mean (case, spaces and punctuation ignored).
    async fn suggested_mapping(&self) -> Vec<ImportColumnSuggestion> {
        imports::suggest(&upload::columns(&self.0))
            .into_iter()
            .map(|(column, field)| ImportColumnSuggestion { column, field })
            .collect()
    }
}

/// Why a row was not imported.
#[derive(SimpleObject)]
pub struct LeadImportError {
    /// Pass as `after` to read on.
    pub cursor: Option<String>,
    /// The row's number in the file; the header is row 1.
    pub row: i64,
    /// The file's column, by its header; none when the whole row is at fault.
    pub column: Option<String>,
    /// The lead field, as `createLead` names it.
    pub field: Option<String>,
    /// What `createLead` would answer: BAD_USER_INPUT or CONFLICT.
    pub code: String,
    pub message: String,
}

impl From<lead_import_error::Model> for LeadImportError {
    fn from(e: lead_import_error::Model) -> Self {
        Self {
            cursor: Some(format!("{}:{}", e.row_number, e.id)),
            row: e.row_number,
            column: e.column_name,
            field: e.field,
            code: e.code,
            message: e.message,
        }
    }
}

impl LeadImportError {
    pub fn of_row(row: i64, e: RowError) -> Self {
        Self {
            cursor: None,
            row,
            column: e.column,
            field: e.field,
            code: e.code.to_string(),
            message: e.message,
        }
    }
}

/// A mapped cell of a preview.
#[derive(SimpleObject)]
pub struct ImportPreviewValue {
    pub column: String,
    pub field: String,
    /// After the value map.
    pub value: String,
}

/// A row as an import would read it.
#[derive(SimpleObject)]
pub struct LeadImportPreviewRow {
    pub row: i64,
    pub values: Vec<ImportPreviewValue>,
    /// Empty when the row would create a lead.
    pub errors: Vec<LeadImportError>,
}

impl From<PreviewRow> for LeadImportPreviewRow {
    fn from(row: PreviewRow) -> Self {
        Self {
            row: row.row,
            values: row
                .values
                .into_iter()
                .map(|(column, field, value)| ImportPreviewValue {
                    column,
                    field,
                    value,
                })
                .collect(),
            errors: row
                .errors
                .into_iter()
                .map(|e| LeadImportError::of_row(row.row, e))
                .collect(),
        }
    }
}

/// An import of an uploaded file (see `createLeadImport`).
pub struct LeadImport(pub lead_import::Model);

impl LeadImport {
    pub fn new(model: lead_import::Model) -> Self {
        Self(model)
    }
}

/// The most errors one page gives.
const MAX_ERRORS_PAGE: i32 = 500;

#[Object]
impl LeadImport {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
    /// Validated and counted; no lead written.
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }
    async fn total_rows(&self) -> i64 {
        self.0.total_rows
    }
    async fn processed_rows(&self) -> i64 {
        self.0.processed_rows
    }
    /// Leads created (in a dry run: that would be).
    async fn created(&self) -> i64 {
        self.0.created
    }
    /// Leads changed.
    async fn updated(&self) -> i64 {
        self.0.updated
    }
    /// Rows that matched a lead and changed nothing (SKIP, or UPDATE with
    /// the values the lead has).
    async fn skipped(&self) -> i64 {
        self.0.skipped
    }
    /// Rows not imported: see `errors`.
    async fn failed(&self) -> i64 {
        self.0.failed
    }
    /// Why a FAILED import failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// The rows not imported and why, by row; also as CSV at
    /// `GET /imports/{id}/errors.csv`.
    async fn errors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most 500; 100 unless given.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<LeadImportError>> {
        let first = first.unwrap_or(100);
        if !(1..=MAX_ERRORS_PAGE).contains(&first) {
            return Err(crate::error::AppError::bad_input(
                "first",
                format!("first must be 1 to {MAX_ERRORS_PAGE}"),
            )
            .into());
        }
        let after = after
            .map(|cursor| {
                cursor
                    .split_once(':')
                    .and_then(|(row, id)| {
                        Some((row.parse().ok()?, uuid::Uuid::parse_str(id).ok()?))
                    })
                    .ok_or_else(|| {
                        crate::error::AppError::bad_input("after", "not a cursor of these errors")
                    })
            })
            .transpose()?;
        // The import was read through its access check: its errors are the reader's.
        let errors =
            imports::control::errors_after(ctx.core(), self.0.id, after, first as u64).await?;
        Ok(errors.into_iter().map(Into::into).collect())
    }
    /// How many error entries the import recorded (a row may have several).
    async fn error_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(imports::control::error_count(ctx.core(), self.0.id).await?)
    }
    /// The file it reads.
    async fn upload(&self, ctx: &Context<'_>) -> Result<LeadImportUpload> {
        let upload = upload::get(ctx.core(), ctx.actor()?, self.0.upload_id).await?;
        Ok(LeadImportUpload(upload))
    }
}
