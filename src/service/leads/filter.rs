//! Which leads a list, a count or a job means: the filter clients send, as
//! a condition on the leads table. Visibility is added by the caller.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, Condition,
};
use uuid::Uuid;

use super::visibility::{actively_assigned_to, unassigned};
use crate::{
    entity::{
        lead::{Column, LeadSource, LeadStatus},
        lead_score::Classification,
    },
    service::search::contains,
    values::Text,
};

/// A free-text search term: part of a name, email, company or phone.
pub type SearchTerm = Text<100>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    User(Uuid),
    Unassigned,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadFilter {
    pub statuses: Vec<LeadStatus>,
    pub source: Option<LeadSource>,
    pub classification: Option<Classification>,
    pub score_min: Option<i32>,
    pub score_max: Option<i32>,
    pub assignee: Option<AssigneeFilter>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Case-insensitive part of the name, email, company or phone.
    pub search: Option<SearchTerm>,
}

impl LeadFilter {
    /// The leads this filter selects, whoever asks.
    pub fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if !self.statuses.is_empty() {
            c = c.add(Column::Status.is_in(self.statuses.clone()));
        }
        if let Some(source) = self.source {
            c = c.add(Column::Source.eq(source));
        }
        if let Some(class) = self.classification {
            c = c.add(Column::Classification.eq(class));
        }
        if let Some(min) = self.score_min {
            c = c.add(Column::Score.gte(min));
        }
        if let Some(max) = self.score_max {
            c = c.add(Column::Score.lte(max));
        }
        match self.assignee {
            Some(AssigneeFilter::User(id)) => c = c.add(actively_assigned_to(id)),
            Some(AssigneeFilter::Unassigned) => c = c.add(unassigned()),
            None => {}
        }
        for (column, bound, after) in [
            (Column::CreatedAt, self.created_after, true),
            (Column::CreatedAt, self.created_before, false),
            (Column::UpdatedAt, self.updated_after, true),
            (Column::UpdatedAt, self.updated_before, false),
        ] {
            if let Some(at) = bound {
                c = c.add(if after { column.gte(at) } else { column.lt(at) });
            }
        }
        if let Some(term) = &self.search {
            c = c.add(Expr::col(Column::SearchText).like(contains(term.as_str())));
        }
        c
    }
}
