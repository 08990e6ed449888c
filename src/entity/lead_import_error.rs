use sea_orm::entity::prelude::*;

/// Why an import did not take one row (a row may have several).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_import_errors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub import_id: Uuid,
    /// The row's number in the file (the header is row 1).
    pub row_number: i64,
    /// The file's column, as its header names it; none for the whole row.
    pub column_name: Option<String>,
    /// The lead field, as clients name it.
    pub field: Option<String>,
    /// The error code `createLead` would give (`BAD_USER_INPUT`, `CONFLICT`...).
    pub code: String,
    pub message: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
