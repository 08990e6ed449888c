use sea_orm::entity::prelude::*;

/// A CSV file as uploaded, decoded and split into rows of cells
/// (`lead_import_rows`); imports read it from there.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_import_uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub uploaded_by: Option<Uuid>,
    pub file_name: Option<String>,
    /// The encoding the file was read as (`UTF-8`, `UTF-16LE`, `windows-1252`...).
    pub encoding: String,
    /// The delimiter found: `,`, `;`, `\t` or `|`.
    pub delimiter: String,
    /// The header row's cells: a JSON array of strings.
    pub columns: Json,
    /// Data rows, the header not counted.
    pub total_rows: i64,
    pub size_bytes: i64,
    pub created_at: DateTimeUtc,
    /// When its rows were removed (it expired): no import can start from it.
    pub purged_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
