//! The lead filter clients send, parsed into the service's filter.
use async_graphql::{registry::Registry, InputObject, InputType, ID};
use chrono::{DateTime, Utc};

use crate::{
    error::{AppError, AppResult},
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
    /// A filter sent as JSON outside GraphQL (the export's `filter`), read
    /// as strictly as GraphQL reads `leads(filter:)`: a key the type does
    /// not have is refused by name, not ignored (`{"deleted": true}` must
    /// not export every live lead).
    pub fn from_json(json: serde_json::Value) -> AppResult<LeadFilter> {
        let bad = |message: String| AppError::bad_input("filter", message);
        let serde_json::Value::Object(object) = &json else {
            return Err(bad(
                "the filter is a JSON object of LeadFilter's fields".into()
            ));
        };
        let known = Self::field_names();
        if let Some(unknown) = object.keys().find(|k| !known.contains(k)) {
            return Err(bad(format!(
                "LeadFilter has no field {unknown:?}; its fields are {}",
                known.join(", ")
            )));
        }
        let value = async_graphql::Value::from_json(json)
            .map_err(|e| bad(format!("filter is not a LeadFilter: {e}")))?;
        let input = <Self as InputType>::parse(Some(value)).map_err(|e| {
            let message = e.into_server_error(Default::default()).message;
            bad(format!("filter is not a LeadFilter: {message}"))
        })?;
        input.parse()
    }

    /// The type's field names as clients spell them, read from the type
    /// itself so a field added to it is known here too.
    fn field_names() -> Vec<String> {
        let mut registry = Registry::default();
        <Self as InputType>::create_type_info(&mut registry);
        match registry.types.get(&*<Self as InputType>::type_name()) {
            Some(async_graphql::registry::MetaType::InputObject { input_fields, .. }) => {
                input_fields.keys().cloned().collect()
            }
            _ => Vec::new(),
        }
    }

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
