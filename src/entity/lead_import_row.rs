use sea_orm::entity::prelude::*;

/// One data row of an upload: its cells as a JSON array of strings, and its
/// line in the file's numbering (the header is row 1, so the first data row
/// is row 2, as a spreadsheet shows it).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_import_rows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub upload_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub row_number: i64,
    pub cells: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
