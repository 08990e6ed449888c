use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_insights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lead_id: Uuid,
    pub score_id: Uuid,
    /// TALKING_POINT, CONCERN or OPPORTUNITY.
    pub kind: String,
    pub text: String,
    pub evidence: Json,
    /// Order within its score, strongest first.
    pub position: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
