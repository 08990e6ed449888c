use async_graphql::SimpleObject;

use super::{Lead, LeadScore};

/// One line of the call list.
#[derive(SimpleObject)]
pub struct PrioritizedLead {
    /// 1 is the lead to call first.
    pub rank: i32,
    pub lead: Lead,
    pub score: LeadScore,
    /// The evidence behind the rank, strongest first.
    pub reasons: Vec<String>,
    /// What to say: the score's talking points and opportunities.
    pub talking_points: Vec<String>,
}
