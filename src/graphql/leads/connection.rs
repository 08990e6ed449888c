//! A page of leads as a Relay connection, with the relations the query
//! selects loaded for the whole page up front.
use std::collections::HashSet;

use async_graphql::{
    connection::{Connection, Edge},
    Context, Object, Result, SelectionField,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::lead,
    graphql::{
        context::ContextExt,
        cursor,
        loaders::{
            ActivitiesOf, AssigneeOf, AssignmentsOf, HistoryOf, InsightsOf, NotesOf, ScoreOf,
            UserId,
        },
        paging,
        types::{Lead, LeadOrderInput, LeadScore},
    },
    service::{
        leads::{self, LeadFilter, LeadKey, LeadPageRequest},
        page::PageRequest,
    },
};

/// `totalCount` is counted only when asked for.
pub struct LeadConnectionFields {
    actor: Actor,
    filter: LeadFilter,
}

#[Object]
impl LeadConnectionFields {
    /// How many leads match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(leads::count(ctx.core(), &self.actor, &self.filter).await?)
    }
}

pub type LeadConnection = Connection<String, Lead, LeadConnectionFields>;

/// The page arguments of `leads` and `myLeads`.
pub struct PageArgs {
    pub order: Option<LeadOrderInput>,
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

pub async fn lead_page(
    ctx: &Context<'_>,
    filter: LeadFilter,
    args: PageArgs,
) -> Result<LeadConnection> {
    let actor = ctx.actor()?.clone();
    let order: leads::LeadOrder = args.order.map(Into::into).unwrap_or_default();
    let request = LeadPageRequest {
        first: paging::size("first", args.first)?,
        after: args
            .after
            .as_deref()
            .map(|c| cursor::decode_lead("after", c))
            .transpose()?,
        last: paging::size("last", args.last)?,
        before: args
            .before
            .as_deref()
            .map(|c| cursor::decode_lead("before", c))
            .transpose()?,
    };
    let page = leads::list(ctx.core(), &actor, &filter, order, request).await?;
    prime(ctx, &page.leads).await?;
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        LeadConnectionFields { actor, filter },
    );
    connection.edges.extend(
        page.leads
            .into_iter()
            .map(|l| Edge::new(cursor::encode_lead(&LeadKey::of(&l, order.field)), Lead(l))),
    );
    Ok(connection)
}

/// The page size a nested connection (`notes(first: 3)`) asks for, if it
/// starts from the top (`after` set means it is paging on its own).
fn first_page(field: &SelectionField<'_>) -> Result<Option<u64>> {
    let arguments = field.arguments()?;
    let argument = |name: &str| {
        arguments
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v.clone())
    };
    if argument("after").is_some_and(|v| v != async_graphql::Value::Null) {
        return Ok(None);
    }
    let first = match argument("first") {
        Some(async_graphql::Value::Number(n)) => n.as_i64().map(|n| n.max(0) as u64),
        _ => None,
    };
    Ok(Some(PageRequest { first, after: None }.limit()))
}

/// Loads the relations the query selects on a page of leads, one statement
/// per relation, into the request's DataLoader cache. Left to the field
/// resolvers, DataLoader's batch window could split a batch in two on a
/// slow machine; primed here, a page of 50 costs exactly what a page of 5
/// does.
async fn prime(ctx: &Context<'_>, page: &[lead::Model]) -> Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    if page.is_empty() || !node.exists() {
        return Ok(());
    }
    let loaders = ctx.loaders()?;
    let ids: Vec<Uuid> = page.iter().map(|l| l.id).collect();
    let mut users: HashSet<Uuid> = HashSet::new();
    if node.field("createdBy").exists() {
        users.extend(page.iter().filter_map(|l| l.created_by));
    }
    if node.field("assignee").exists() {
        loaders
            .load_many(ids.iter().copied().map(AssigneeOf))
            .await?;
    }
    if node.field("assignments").exists() {
        let all = loaders
            .load_many(ids.iter().copied().map(AssignmentsOf))
            .await?;
        if node.field("assignments").field("assignee").exists()
            || node.field("assignments").field("assignedBy").exists()
        {
            users.extend(
                all.values()
                    .flatten()
                    .flat_map(|a| [Some(a.assignee_id), a.assigned_by])
                    .flatten(),
            );
        }
    }
    let full_score = node
        .field("score")
        .selection_fields()
        .iter()
        .any(|score| !LeadScore::headline_answers(score));
    if full_score || node.field("insights").exists() {
        let current = loaders.load_many(ids.iter().copied().map(ScoreOf)).await?;
        if node.field("score").field("insights").exists() || node.field("insights").exists() {
            loaders
                .load_many(
                    current
                        .values()
                        .flatten()
                        .map(|s| InsightsOf(s.lead_id, s.id)),
                )
                .await?;
        }
    }
    for notes in node.field("notes").selection_fields() {
        if let Some(limit) = first_page(&notes)? {
            // The same key `Lead.notes` asks for: the page size plus one.
            let loaded = loaders
                .load_many(ids.iter().map(|id| NotesOf(*id, limit + 1)))
                .await?;
            if node
                .field("notes")
                .field("edges")
                .field("node")
                .field("author")
                .exists()
            {
                users.extend(loaded.values().flatten().filter_map(|n| n.author_id));
            }
        }
    }
    for activities in node.field("activities").selection_fields() {
        if let Some(limit) = first_page(&activities)? {
            loaders
                .load_many(ids.iter().map(|id| ActivitiesOf(*id, limit + 1)))
                .await?;
        }
    }
    for history in node.field("scoreHistory").selection_fields() {
        if let Some(limit) = first_page(&history)? {
            loaders
                .load_many(ids.iter().map(|id| HistoryOf(*id, limit + 1)))
                .await?;
        }
    }
    if !users.is_empty() {
        loaders.load_many(users.into_iter().map(UserId)).await?;
    }
    Ok(())
}
