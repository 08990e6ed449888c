use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationKind {
    #[sea_orm(string_value = "LEAD_ASSIGNED")]
    LeadAssigned,
    #[sea_orm(string_value = "LEAD_TRANSFERRED")]
    LeadTransferred,
    #[sea_orm(string_value = "ASSIGNMENT_COMPLETED")]
    AssignmentCompleted,
    #[sea_orm(string_value = "LEAD_BECAME_HOT")]
    LeadBecameHot,
    #[sea_orm(string_value = "NOTE_ADDED")]
    NoteAdded,
    /// To admins: the active scoring model's live figures fell.
    #[sea_orm(string_value = "MODEL_DRIFT")]
    ModelDrift,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub lead_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
