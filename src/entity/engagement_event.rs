use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_engagement_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lead_id: Uuid,
    /// EMAIL_OPENED, PRICING_VIEW, ... (the scoring issue owns the list).
    pub event_type: String,
    pub occurred_at: DateTimeUtc,
    /// The sender's id for this event; a retried delivery carries it again.
    pub external_id: Option<String>,
    pub metadata: Json,
    pub api_key_id: Option<Uuid>,
    /// The user who sent it (for a key, the admin it acts for).
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
