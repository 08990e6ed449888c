use async_graphql::Enum;

use crate::entity::assignment::AssignmentStatus as Entity;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "AssignmentStatus", remote = "Entity")]
pub enum AssignmentStatus {
    Active,
    Transferred,
    Completed,
}
