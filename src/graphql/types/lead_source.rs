use async_graphql::Enum;

use crate::entity::lead::LeadSource as Entity;

/// How the lead reached us.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "LeadSource", remote = "Entity")]
pub enum LeadSource {
    Website,
    Referral,
    WalkIn,
    Phone,
    EmailCampaign,
    SocialMedia,
    TradeShow,
    Partner,
    Other,
}
