//! Changing leads, and the work on them: activities, notes, assignments.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::inputs::{CreateLeadInput, UpdateLeadInput};
use crate::{
    error::{AppError, AppResult},
    graphql::{
        context::ContextExt,
        types::{
            Activity, ActivityDirection, ActivityKind, Assignment, Lead, LeadScore, LeadStatus,
            Note,
        },
        users::parse_id,
        wire::{parse, parse_optional},
    },
    service::{
        crm::{
            activities::{self, LogActivity},
            assignments, notes,
        },
        leads, scores,
    },
    values::{LongText, NoteBody},
};

#[derive(InputObject)]
pub struct LogActivityInput {
    pub lead_id: ID,
    /// CALL, EMAIL, MEETING, SMS or OTHER.
    pub kind: ActivityKind,
    pub direction: Option<ActivityDirection>,
    pub summary: String,
    /// Default: now. Not in the future; more than 7 days back only for
    /// admins and API keys (imported history, audited as back-dated).
    pub occurred_at: Option<DateTime<Utc>>,
}

/// An API key without LEADS_READ writes; what it reads back is the id and
/// what it sent itself, nothing more (an empty `updateLead` must not read a
/// lead's contact details). Checked before anything is written.
fn key_reads_only_what_it_sent(ctx: &Context<'_>, mut sent: Vec<String>) -> AppResult<()> {
    let actor = ctx.actor()?;
    if actor.key.is_none() || actor.may(crate::auth::Scope::LeadsRead).is_ok() {
        return Ok(());
    }
    if sent.iter().any(|f| f == "firstName") && sent.iter().any(|f| f == "lastName") {
        sent.push("fullName".into());
    }
    for field in ctx.field().selection_set() {
        let name = field.name();
        if !(name == "id" || name == "__typename" || sent.iter().any(|f| f == name)) {
            return Err(AppError::Forbidden(format!(
                "an API key reads back only the id and the fields it sent: select no `{name}`"
            )));
        }
    }
    Ok(())
}

#[derive(Default)]
pub struct LeadMutation;

#[Object]
impl LeadMutation {
    /// A lead a sales rep creates is assigned to them. An email that matches a
    /// live lead is a CONFLICT (with `existingId`) unless `allowDuplicate`.
    /// Also open to API keys with LEADS_WRITE.
    async fn create_lead(&self, ctx: &Context<'_>, input: CreateLeadInput) -> Result<Lead> {
        key_reads_only_what_it_sent(ctx, input.sent())?;
        let creation = leads::Creation {
            allow_duplicate: input.allow_duplicate,
            created_at: input.created_at,
        };
        let new = input.parse().map_err(|e| e.within("input"))?;
        let lead = leads::create(ctx.core(), ctx.actor()?, new, creation)
            .await
            .map_err(|e| e.within("input"))?;
        Ok(Lead(lead))
    }

    async fn update_lead(&self, ctx: &Context<'_>, id: ID, input: UpdateLeadInput) -> Result<Lead> {
        key_reads_only_what_it_sent(ctx, input.sent())?;
        let id = parse_id("id", &id)?;
        let status_changed_at = input.status_changed_at;
        let change = input.parse().map_err(|e| e.within("input"))?;
        let lead = leads::update(ctx.core(), ctx.actor()?, id, change, status_changed_at)
            .await
            .map_err(|e| e.within("input"))?;
        Ok(Lead(lead))
    }

    /// Managers and admins. A soft delete: the lead leaves every list; its history stays.
    async fn delete_lead(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        leads::delete(ctx.core(), ctx.actor()?, id).await?;
        Ok(true)
    }

    async fn log_activity(&self, ctx: &Context<'_>, input: LogActivityInput) -> Result<Activity> {
        let input = LogActivity {
            lead_id: parse_id("input.leadId", &input.lead_id)?,
            kind: input.kind.into(),
            direction: input.direction.map(Into::into),
            summary: parse::<LongText>("input.summary", input.summary)?,
            occurred_at: input.occurred_at,
        };
        let activity = activities::log(ctx.core(), ctx.actor()?, input)
            .await
            .map_err(|e| e.within("input"))?;
        Ok(Activity(activity))
    }

    /// Plain text, up to 10,000 characters. `occurredAt` dates a note
    /// written earlier elsewhere: default now; more than 7 days back only
    /// for admins and API keys (audited as back-dated).
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        body: String,
        occurred_at: Option<DateTime<Utc>>,
    ) -> Result<Note> {
        let lead_id = parse_id("leadId", &lead_id)?;
        let body = parse::<NoteBody>("body", body)?;
        Ok(Note(
            notes::add(ctx.core(), ctx.actor()?, lead_id, body, occurred_at).await?,
        ))
    }

    /// The author only.
    async fn edit_note(&self, ctx: &Context<'_>, id: ID, body: String) -> Result<Note> {
        let id = parse_id("id", &id)?;
        let body = parse::<NoteBody>("body", body)?;
        Ok(Note(notes::edit(ctx.core(), ctx.actor()?, id, body).await?))
    }

    /// The author, a manager or an admin.
    async fn delete_note(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        notes::delete(ctx.core(), ctx.actor()?, id).await?;
        Ok(true)
    }

    /// Scores the lead now (scores also refresh on every change and event).
    async fn score_lead(&self, ctx: &Context<'_>, lead_id: ID) -> Result<LeadScore> {
        let lead_id = parse_id("leadId", &lead_id)?;
        let (score, insights) = scores::score_now(ctx.core(), ctx.actor()?, lead_id).await?;
        Ok(LeadScore::full(score, Some(insights)))
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
        let note = parse_optional::<LongText>("note", note)?;
        Ok(Assignment(
            assignments::assign(ctx.core(), ctx.actor()?, lead_id, user_id, note).await?,
        ))
    }

    /// Gives up to 1,000 leads to one user in one transaction: unassigned
    /// leads are assigned, others transferred, the user's own left as they
    /// are. Managers and admins any lead; a sales rep only their own. All
    /// or nothing: an id that is not a lead you may see fails the call with
    /// `extensions.field` `leadIds[i]` and `extensions.index` `i`. Each lead
    /// is audited under one `operationId`; the new assignee and each
    /// previous one get one notification for the whole operation.
    async fn bulk_assign_leads(
        &self,
        ctx: &Context<'_>,
        lead_ids: Vec<ID>,
        user_id: ID,
        note: Option<String>,
    ) -> Result<BulkAssignResult> {
        let lead_ids = parse_ids(&lead_ids)?;
        let user_id = parse_id("userId", &user_id)?;
        let note = parse_optional::<LongText>("note", note)?;
        let done =
            assignments::bulk_assign(ctx.core(), ctx.actor()?, &lead_ids, user_id, note).await?;
        Ok(BulkAssignResult {
            operation_id: done.operation_id.into(),
            assigned: done.assigned as i32,
            transferred: done.transferred as i32,
            unchanged: done.unchanged as i32,
        })
    }

    /// Moves up to 1,000 leads to one status, as many single status changes
    /// would (history, activity, audit, a new score), all or nothing; leads
    /// already there are left alone. A sales rep changes only their own.
    async fn bulk_update_lead_status(
        &self,
        ctx: &Context<'_>,
        lead_ids: Vec<ID>,
        status: LeadStatus,
    ) -> Result<BulkChangeResult> {
        let ids = parse_ids(&lead_ids)?;
        Ok(
            leads::bulk::set_status_many(ctx.core(), ctx.actor()?, &ids, status.into())
                .await?
                .into(),
        )
    }

    /// Soft-deletes up to 1,000 leads at once (managers and admins), all or
    /// nothing; each lead audited under one `operationId`.
    async fn bulk_delete_leads(
        &self,
        ctx: &Context<'_>,
        lead_ids: Vec<ID>,
    ) -> Result<BulkChangeResult> {
        let ids = parse_ids(&lead_ids)?;
        Ok(leads::bulk::delete_many(ctx.core(), ctx.actor()?, &ids)
            .await?
            .into())
    }

    /// Brings back up to 1,000 deleted leads (managers and admins), all or
    /// nothing; each lead audited under one `operationId`.
    async fn restore_leads(
        &self,
        ctx: &Context<'_>,
        lead_ids: Vec<ID>,
    ) -> Result<BulkChangeResult> {
        let ids = parse_ids(&lead_ids)?;
        Ok(leads::bulk::restore_many(ctx.core(), ctx.actor()?, &ids)
            .await?
            .into())
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
        let reason = parse_optional::<LongText>("reason", reason)?;
        Ok(Assignment(
            assignments::transfer(ctx.core(), ctx.actor()?, lead_id, to_user_id, reason).await?,
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
        let outcome = parse_optional::<LongText>("outcome", outcome)?;
        Ok(Assignment(
            assignments::complete(ctx.core(), ctx.actor()?, lead_id, outcome).await?,
        ))
    }
}

/// What `bulkAssignLeads` did.
#[derive(SimpleObject)]
pub struct BulkAssignResult {
    /// Shared by the audit entries of every lead it changed.
    pub operation_id: ID,
    /// Leads that had no assignee.
    pub assigned: i32,
    /// Leads taken from another assignee.
    pub transferred: i32,
    /// Leads the user already had.
    pub unchanged: i32,
}

/// What `bulkDeleteLeads` and `restoreLeads` did.
#[derive(SimpleObject)]
pub struct BulkChangeResult {
    /// Shared by the audit entries of every lead it changed.
    pub operation_id: ID,
    pub changed: i32,
}

impl From<leads::bulk::BulkChanged> for BulkChangeResult {
    fn from(done: leads::bulk::BulkChanged) -> Self {
        Self {
            operation_id: done.operation_id.into(),
            changed: done.changed as i32,
        }
    }
}

/// A bulk call's ids; a malformed one is named by its position.
fn parse_ids(ids: &[ID]) -> AppResult<Vec<uuid::Uuid>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| parse_id(&format!("leadIds[{i}]"), id))
        .collect()
}
