use async_graphql::Enum;

use crate::entity::lead::LeadStatus as Entity;

/// Where a lead stands in the sales pipeline.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "LeadStatus", remote = "Entity")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Proposal,
    Negotiation,
    Won,
    Lost,
}
