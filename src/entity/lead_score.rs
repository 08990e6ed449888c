use sea_orm::entity::prelude::*;

/// One scoring of one lead; rows are never updated, so history is kept.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lead_id: Uuid,
    pub total: i32,
    pub engagement_score: f64,
    pub buying_signal_score: f64,
    pub demographic_score: f64,
    pub confidence: f64,
    pub confidence_level: String,
    pub classification: String,
    pub priority_tier: String,
    /// Every factor with its points, cap and evidence.
    pub factors: Json,
    /// What the model lacked ("no budget", ...).
    pub missing: Json,
    pub model_version: String,
    pub scored_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
