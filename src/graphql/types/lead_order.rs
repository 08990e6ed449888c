use async_graphql::{Enum, InputObject};

use crate::service::leads::{LeadOrder as ServiceOrder, LeadOrderField as ServiceField};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "LeadOrderField", remote = "ServiceField")]
pub enum LeadOrderField {
    Score,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
    Name,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

/// Leads without a value for the field (no score yet, no activity) come last
/// either way; ties are broken by id, so pages never overlap.
#[derive(InputObject, Clone, Copy)]
#[graphql(name = "LeadOrder")]
pub struct LeadOrderInput {
    pub field: LeadOrderField,
    #[graphql(default)]
    pub direction: SortDirection,
}

impl From<LeadOrderInput> for ServiceOrder {
    fn from(order: LeadOrderInput) -> Self {
        Self {
            field: order.field.into(),
            descending: order.direction == SortDirection::Desc,
        }
    }
}
