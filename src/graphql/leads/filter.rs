//! The lead filter clients send, parsed into the service's filter.
use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};

use crate::{
    error::AppResult,
    graphql::{
        types::{Classification, LeadSource, LeadStatus},
        users::parse_id,
        wire::parse_optional,
    },
    service::leads::{AssigneeFilter, LeadFilter, SearchTerm},
};

#[derive(InputObject, Default)]
#[graphql(name = "LeadFilter")]
pub struct LeadFilterInput {
    /// Any of these statuses.
    pub status: Option<Vec<LeadStatus>>,
    pub source: Option<LeadSource>,
    pub classification: Option<Classification>,
    pub score_min: Option<i32>,
    pub score_max: Option<i32>,
    /// Leads whose ACTIVE assignment is this user's.
    pub assignee_id: Option<ID>,
    /// Leads with no ACTIVE assignment.
    pub unassigned: Option<bool>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Case-insensitive part of the name, email, company or phone.
    pub search: Option<String>,
}

impl LeadFilterInput {
    pub fn parse(self) -> AppResult<LeadFilter> {
        let assignee = match (self.assignee_id, self.unassigned) {
            (Some(id), _) => Some(AssigneeFilter::User(parse_id("filter.assigneeId", &id)?)),
            (None, Some(true)) => Some(AssigneeFilter::Unassigned),
            _ => None,
        };
        Ok(LeadFilter {
            statuses: self
                .status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            source: self.source.map(Into::into),
            classification: self.classification.map(Into::into),
            score_min: self.score_min,
            score_max: self.score_max,
            assignee,
            created_after: self.created_after,
            created_before: self.created_before,
            updated_after: self.updated_after,
            updated_before: self.updated_before,
            search: parse_optional::<SearchTerm>("filter.search", self.search)?,
        })
    }
}
