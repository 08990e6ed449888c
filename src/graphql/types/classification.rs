use async_graphql::Enum;

use crate::entity::lead_score::Classification as Stored;

/// How warm a lead is, from its score.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "Stored")]
pub enum Classification {
    Hot,
    Warm,
    Cold,
}
