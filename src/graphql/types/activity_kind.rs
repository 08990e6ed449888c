use async_graphql::Enum;

use crate::entity::lead_activity::{ActivityKind as EntityKind, Direction as EntityDirection};

/// CALL, EMAIL, MEETING, SMS and OTHER are logged by people; the rest are
/// written by the system when a lead changes status or hands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ActivityKind", remote = "EntityKind")]
pub enum ActivityKind {
    Call,
    Email,
    Meeting,
    Sms,
    Other,
    StatusChange,
    Assignment,
    Transfer,
    Completion,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ActivityDirection", remote = "EntityDirection")]
pub enum ActivityDirection {
    Inbound,
    Outbound,
}
