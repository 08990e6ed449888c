//! Leads and the work on them: activity, notes and assignments.
use async_graphql::{
    connection::{Connection, Edge},
    Context, InputObject, Json, MaybeUndefined, Object, Result, ID,
};
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{
    context::ContextExt,
    cursor,
    types::{
        Activity, ActivityDirection, ActivityKind, Assignment, Classification, Lead,
        LeadOrderInput, LeadScore, LeadSource, LeadStatus, Note, PrioritizedLead,
    },
    users::parse_id,
};
use crate::{
    auth::Actor,
    entity::lead,
    error::AppResult,
    service::{
        activities::{self, LogActivity},
        api_keys::Scope,
        assignments,
        leads::{
            self, AssigneeFilter, CreateLead, LeadFilter, LeadKey, LeadPageRequest, UpdateLead,
        },
        notes,
        page::PageRequest,
        scores,
    },
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
    pub(super) fn parse(self) -> AppResult<LeadFilter> {
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
            classification: self.classification.map(|c| c.as_str().to_string()),
            score_min: self.score_min,
            score_max: self.score_max,
            assignee,
            created_after: self.created_after,
            created_before: self.created_before,
            updated_after: self.updated_after,
            updated_before: self.updated_before,
            search: self.search,
        })
    }
}

#[derive(InputObject)]
pub struct CreateLeadInput {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    /// Default OTHER.
    pub source: Option<LeadSource>,
    /// Default NEW.
    pub status: Option<LeadStatus>,
    /// In major units of `currency`.
    pub budget_min: Option<f64>,
    pub budget_max: Option<f64>,
    /// ISO 4217; default USD.
    pub currency: Option<String>,
    pub product_interest: Option<String>,
    pub purchase_timeline: Option<String>,
    pub is_repeat_customer: Option<bool>,
    /// A JSON object of custom fields (at most 16 KiB).
    pub attributes: Option<Json<Value>>,
    /// Create it even if a live lead has the same email.
    #[graphql(default)]
    pub allow_duplicate: bool,
}

/// Absent fields stay as they are; `null` clears a field that may be empty.
#[derive(InputObject)]
pub struct UpdateLeadInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub company: MaybeUndefined<String>,
    pub job_title: MaybeUndefined<String>,
    pub source: Option<LeadSource>,
    pub status: Option<LeadStatus>,
    pub budget_min: MaybeUndefined<f64>,
    pub budget_max: MaybeUndefined<f64>,
    pub currency: Option<String>,
    pub product_interest: MaybeUndefined<String>,
    pub purchase_timeline: MaybeUndefined<String>,
    pub is_repeat_customer: Option<bool>,
    pub attributes: Option<Json<Value>>,
}

fn patch<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(InputObject)]
pub struct LogActivityInput {
    pub lead_id: ID,
    /// CALL, EMAIL, MEETING, SMS or OTHER.
    pub kind: ActivityKind,
    pub direction: Option<ActivityDirection>,
    pub summary: String,
    /// Default: now. Not in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// `totalCount` is counted only when asked for.
pub struct LeadConnectionFields {
    actor: Actor,
    filter: LeadFilter,
}

#[Object]
impl LeadConnectionFields {
    /// How many leads match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(leads::count(&ctx.api().db, &self.actor, &self.filter).await?)
    }
}

pub type LeadConnection = Connection<String, Lead, LeadConnectionFields>;

#[allow(clippy::too_many_arguments)]
async fn lead_page(
    ctx: &Context<'_>,
    filter: LeadFilter,
    order: Option<LeadOrderInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<LeadConnection> {
    let actor = ctx.actor()?.clone();
    let order: leads::LeadOrder = order.map(Into::into).unwrap_or_default();
    let request = LeadPageRequest {
        first: first.map(|n| n.max(0) as u64),
        after: after
            .as_deref()
            .map(|c| cursor::decode_key::<LeadKey>("after", c))
            .transpose()?,
        last: last.map(|n| n.max(0) as u64),
        before: before
            .as_deref()
            .map(|c| cursor::decode_key::<LeadKey>("before", c))
            .transpose()?,
    };
    let page = leads::list(&ctx.api().db, &actor, &filter, order, request).await?;
    prime_relations(ctx, &page.leads).await?;
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        LeadConnectionFields { actor, filter },
    );
    connection.edges.extend(
        page.leads
            .into_iter()
            .map(|l| Edge::new(cursor::encode_key(&LeadKey::of(&l, order.field)), Lead(l))),
    );
    Ok(connection)
}

/// Loads the relations the query selects on a page of leads, one statement
/// per relation, into the request's DataLoader cache. Left to the field
/// resolvers, DataLoader's batch window could split a batch in two on a slow
/// machine; primed here, a page of 50 costs exactly what a page of 5 does.
async fn prime_relations(ctx: &Context<'_>, page: &[lead::Model]) -> Result<()> {
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
        let active = loaders
            .active_assignments
            .load_many(ids.iter().copied())
            .await?;
        users.extend(active.values().map(|a| a.assignee_id));
    }
    let with_authors = node
        .field("notes")
        .field("edges")
        .field("node")
        .field("author")
        .exists();
    for notes in node.field("notes").selection_fields() {
        let arguments = notes.arguments()?;
        let argument = |name: &str| {
            arguments
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, v)| v.clone())
        };
        if argument("after").is_some_and(|v| v != async_graphql::Value::Null) {
            continue;
        }
        let first = match argument("first") {
            Some(async_graphql::Value::Number(n)) => n.as_i64().map(|n| n.max(0) as u64),
            _ => None,
        };
        // The same key `Lead.notes` asks for: the page size plus one.
        let limit = PageRequest { first, after: None }.limit();
        let loaded = loaders
            .recent_notes
            .load_many(ids.iter().map(|id| (*id, limit + 1)))
            .await?;
        if with_authors {
            users.extend(loaded.values().flatten().filter_map(|n| n.author_id));
        }
    }
    if !users.is_empty() {
        loaders.users.load_many(users).await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct LeadQuery;

#[Object]
impl LeadQuery {
    async fn lead(&self, ctx: &Context<'_>, id: ID) -> Result<Lead> {
        let id = parse_id("id", &id)?;
        Ok(Lead(leads::get(&ctx.api().db, ctx.actor()?, id).await?))
    }

    /// The leads you may see: all for managers and admins, your own for a
    /// sales rep. `first`/`last` are capped at 100; default order newest first.
    #[allow(clippy::too_many_arguments)]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilterInput>,
        order_by: Option<LeadOrderInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<LeadConnection> {
        let filter = filter.unwrap_or_default().parse()?;
        lead_page(ctx, filter, order_by, first, after, last, before).await
    }

    /// Which leads to call next, best first: for a sales rep their own, for
    /// managers and admins everyone's or one assignee's. `limit` 1 to 50.
    async fn prioritized_leads(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] limit: Option<i32>,
        assignee_id: Option<ID>,
    ) -> Result<Vec<PrioritizedLead>> {
        let assignee = assignee_id
            .as_ref()
            .map(|id| parse_id("assigneeId", id))
            .transpose()?;
        // `null` means the default, as the SDL's `limit: Int = 5` promises.
        let limit = i64::from(limit.unwrap_or(5));
        let list = scores::prioritized(&ctx.api().db, ctx.actor()?, limit, assignee).await?;
        Ok(list
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let talking_points = p
                    .insights
                    .iter()
                    .filter(|i| i.kind != "CONCERN")
                    .map(|i| i.text.clone())
                    .collect();
                PrioritizedLead {
                    rank: i as i32 + 1,
                    reasons: scores::reasons(&p.score),
                    talking_points,
                    lead: Lead(p.lead),
                    score: LeadScore {
                        score: p.score,
                        insights: p.insights,
                    },
                }
            })
            .collect())
    }

    /// The leads assigned to you now.
    #[allow(clippy::too_many_arguments)]
    async fn my_leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilterInput>,
        order_by: Option<LeadOrderInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<LeadConnection> {
        let mut filter = filter.unwrap_or_default().parse()?;
        filter.assignee = Some(AssigneeFilter::User(ctx.actor()?.user_id));
        lead_page(ctx, filter, order_by, first, after, last, before).await
    }
}

#[derive(Default)]
pub struct LeadMutation;

#[Object]
impl LeadMutation {
    /// A lead a sales rep creates is assigned to them. An email that matches a
    /// live lead is a CONFLICT (with `existingId`) unless `allowDuplicate`.
    /// Also open to API keys with LEADS_WRITE.
    async fn create_lead(&self, ctx: &Context<'_>, input: CreateLeadInput) -> Result<Lead> {
        let input = CreateLead {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            company: input.company,
            job_title: input.job_title,
            source: input.source.map(Into::into),
            status: input.status.map(Into::into),
            budget_min: input.budget_min,
            budget_max: input.budget_max,
            currency: input.currency,
            product_interest: input.product_interest,
            purchase_timeline: input.purchase_timeline,
            is_repeat_customer: input.is_repeat_customer,
            attributes: input.attributes.map(|j| j.0),
            allow_duplicate: input.allow_duplicate,
        };
        Ok(Lead(
            leads::create(
                &ctx.api().db,
                ctx.actor_for(Scope::LeadsWrite)?,
                input,
                ctx.thresholds(),
            )
            .await?,
        ))
    }

    async fn update_lead(&self, ctx: &Context<'_>, id: ID, input: UpdateLeadInput) -> Result<Lead> {
        let id = parse_id("id", &id)?;
        let change = UpdateLead {
            first_name: input.first_name,
            last_name: input.last_name,
            email: patch(input.email),
            phone: patch(input.phone),
            company: patch(input.company),
            job_title: patch(input.job_title),
            source: input.source.map(Into::into),
            status: input.status.map(Into::into),
            budget_min: patch(input.budget_min),
            budget_max: patch(input.budget_max),
            currency: input.currency,
            product_interest: patch(input.product_interest),
            purchase_timeline: patch(input.purchase_timeline),
            is_repeat_customer: input.is_repeat_customer,
            attributes: input.attributes.map(|j| j.0),
        };
        Ok(Lead(
            leads::update(
                &ctx.api().db,
                ctx.actor_for(Scope::LeadsWrite)?,
                id,
                change,
                ctx.thresholds(),
            )
            .await?,
        ))
    }

    /// Managers and admins. A soft delete: the lead leaves every list; its history stays.
    async fn delete_lead(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        leads::delete(&ctx.api().db, ctx.actor()?, id).await?;
        Ok(true)
    }

    async fn log_activity(&self, ctx: &Context<'_>, input: LogActivityInput) -> Result<Activity> {
        let input = LogActivity {
            lead_id: parse_id("input.leadId", &input.lead_id)?,
            kind: input.kind.into(),
            direction: input.direction.map(Into::into),
            summary: input.summary,
            occurred_at: input.occurred_at,
        };
        Ok(Activity(
            activities::log(&ctx.api().db, ctx.actor()?, input, ctx.thresholds()).await?,
        ))
    }

    /// Plain text, up to 10,000 characters.
    async fn add_note(&self, ctx: &Context<'_>, lead_id: ID, body: String) -> Result<Note> {
        let lead_id = parse_id("leadId", &lead_id)?;
        Ok(Note(
            notes::add(
                &ctx.api().db,
                ctx.actor()?,
                lead_id,
                &body,
                ctx.thresholds(),
            )
            .await?,
        ))
    }

    /// The author only.
    async fn edit_note(&self, ctx: &Context<'_>, id: ID, body: String) -> Result<Note> {
        let id = parse_id("id", &id)?;
        Ok(Note(
            notes::edit(&ctx.api().db, ctx.actor()?, id, &body, ctx.thresholds()).await?,
        ))
    }

    /// The author, a manager or an admin.
    async fn delete_note(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        notes::delete(&ctx.api().db, ctx.actor()?, id, ctx.thresholds()).await?;
        Ok(true)
    }

    /// Scores the lead now (scores also refresh on every change and event).
    async fn score_lead(&self, ctx: &Context<'_>, lead_id: ID) -> Result<LeadScore> {
        let lead_id = parse_id("leadId", &lead_id)?;
        let (score, insights) =
            scores::score_now(&ctx.api().db, ctx.actor()?, lead_id, ctx.thresholds()).await?;
        Ok(LeadScore { score, insights })
    }

    /// Managers and admins; the assignee must be an active SALES_REP or
    /// MANAGER. A lead that already has an active assignment is a CONFLICT.
    async fn assign_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        user_id: ID,
        note: Option<String>,
    ) -> Result<Assignment> {
        let lead_id = parse_id("leadId", &lead_id)?;
        let user_id = parse_id("userId", &user_id)?;
        Ok(Assignment(
            assignments::assign(
                &ctx.api().db,
                ctx.actor()?,
                lead_id,
                user_id,
                note.as_deref(),
            )
            .await?,
        ))
    }

    /// Managers and admins, or the current assignee handing the lead on.
    async fn transfer_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        to_user_id: ID,
        reason: Option<String>,
    ) -> Result<Assignment> {
        let lead_id = parse_id("leadId", &lead_id)?;
        let to_user_id = parse_id("toUserId", &to_user_id)?;
        Ok(Assignment(
            assignments::transfer(
                &ctx.api().db,
                ctx.actor()?,
                lead_id,
                to_user_id,
                reason.as_deref(),
            )
            .await?,
        ))
    }

    /// The assignee, a manager or an admin.
    async fn complete_assignment(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        outcome: Option<String>,
    ) -> Result<Assignment> {
        let lead_id = parse_id("leadId", &lead_id)?;
        Ok(Assignment(
            assignments::complete(&ctx.api().db, ctx.actor()?, lead_id, outcome.as_deref()).await?,
        ))
    }
}
