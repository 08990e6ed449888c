use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// Who did it; none for anonymous attempts such as a failed login.
    pub actor_id: Option<Uuid>,
    /// Dotted verb, e.g. `login.failed`, `user.updated`, `lead.deleted`.
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    /// The account an attempt named (the email tried at login), lower-cased.
    pub subject: Option<String>,
    pub ip: Option<String>,
    /// What changed: `{"field": {"before": .., "after": ..}}` or other context.
    pub details: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
