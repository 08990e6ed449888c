use sea_orm::entity::prelude::*;

use super::lead::LeadStatus;

/// One status a lead took: its first at creation (`from_status` none), then
/// every change. A lead's outcome is its newest change to WON or LOST.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_status_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lead_id: Uuid,
    pub from_status: Option<LeadStatus>,
    pub to_status: LeadStatus,
    pub changed_at: DateTimeUtc,
    pub changed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
