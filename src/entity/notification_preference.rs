//! How a user wants each kind of notification mailed. No row: the kind's
//! default ([`Delivery::default_for`]).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::notification::NotificationKind;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Delivery {
    /// A message of its own, as soon as the worker sends it.
    #[sea_orm(string_value = "INSTANT")]
    Instant,
    /// In the next daily digest.
    #[sea_orm(string_value = "DAILY_DIGEST")]
    DailyDigest,
    /// Never by email (the bell still has it).
    #[sea_orm(string_value = "OFF")]
    Off,
}

impl Delivery {
    /// What a rep on the road must not wait for is instant; the rest waits
    /// for the digest.
    pub fn default_for(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::LeadAssigned | NotificationKind::LeadBecameHot => Delivery::Instant,
            _ => Delivery::DailyDigest,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: NotificationKind,
    pub delivery: Delivery,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
