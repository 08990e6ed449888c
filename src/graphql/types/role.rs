use async_graphql::Enum;

use crate::entity::user::Role as EntityRole;

/// What a user may do: ADMIN manages users and everything else, MANAGER sees
/// and routes every lead, SALES_REP works the leads assigned to them.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "Role", remote = "EntityRole")]
pub enum Role {
    Admin,
    Manager,
    SalesRep,
}
