use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Object, Result, ID,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{lead_columns::LeadColumns, Activity, Assignment, Insight, LeadScore, Note, User};
use crate::{
    entity::lead,
    error::AppError,
    graphql::{
        context::ContextExt,
        cursor,
        loaders::{
            ActivitiesOf, AssigneeOf, AssignmentsOf, HistoryOf, InsightsOf, LeadId, NotesOf,
            ScoreOf, UserId,
        },
        paging,
    },
    service::{
        crm::{activities, notes},
        page::PageRequest,
        scores,
    },
};

pub struct Lead(pub lead::Model);

pub type ActivityConnection = Connection<String, Activity, EmptyFields, EmptyFields>;
pub type NoteConnection = Connection<String, Note, EmptyFields, EmptyFields>;
pub type ScoreConnection = Connection<String, LeadScore, EmptyFields, EmptyFields>;

/// Minor units (cents) to the major units clients work in.
/// A lead another object points at (a note's, an event's), if the reader
/// may see it; NOT_FOUND otherwise.
pub async fn visible_lead(ctx: &Context<'_>, id: Uuid) -> Result<Lead> {
    ctx.loaders()?
        .load_one(LeadId(id))
        .await?
        .map(Lead)
        .ok_or_else(|| AppError::NotFound("lead").into())
}

/// A user another object points at, if any.
pub async fn user_of(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<User>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(ctx.loaders()?.load_one(UserId(id)).await?.map(User))
}

/// A first page (from the loader, shared by the whole list of leads) or a
/// later one (from the service), as a connection.
fn connection<T, N>(
    items: Vec<T>,
    request: PageRequest,
    has_next: bool,
    id: impl Fn(&T) -> Uuid,
    node: impl Fn(T) -> N,
) -> Connection<String, N, EmptyFields, EmptyFields>
where
    N: async_graphql::OutputType,
{
    let mut connection = Connection::new(request.after.is_some(), has_next);
    connection.edges.extend(
        items
            .into_iter()
            .map(|item| Edge::new(cursor::encode(id(&item)), node(item))),
    );
    connection
}

/// A loaded first page: `limit + 1` rows tell whether another follows.
fn split<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}

#[Object]
impl Lead {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The fields clients write, from the one field table.
    #[graphql(flatten)]
    async fn columns(&self) -> LeadColumns<'_> {
        LeadColumns(&self.0)
    }
    async fn full_name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn last_activity_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_activity_at
    }
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_of(ctx, self.0.created_by).await
    }
    /// Who owns the lead now: the user of its ACTIVE assignment.
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let assignee = ctx.loaders()?.load_one(AssigneeOf(self.0.id)).await?;
        Ok(assignee.flatten().map(User))
    }
    /// Every assignment the lead has had, newest first.
    #[graphql(complexity = "10 * child_complexity")]
    async fn assignments(&self, ctx: &Context<'_>) -> Result<Vec<Assignment>> {
        let list = ctx
            .loaders()?
            .load_one(AssignmentsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(list.into_iter().map(Assignment).collect())
    }
    /// Newest first.
    #[graphql(complexity = "paging::cost(first, None, child_complexity)")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActivityConnection> {
        let request = paging::forward(first, after)?;
        let (items, more) = if request.after.is_none() {
            let limit = request.limit();
            let rows = ctx
                .loaders()?
                .load_one(ActivitiesOf(self.0.id, limit + 1))
                .await?
                .unwrap_or_default();
            split(rows, limit)
        } else {
            let page = activities::list(ctx.core(), ctx.actor()?, self.0.id, request).await?;
            (page.items, page.has_next_page)
        };
        Ok(connection(items, request, more, |a| a.id, Activity))
    }
    /// Newest first. The first page of a list of leads loads in one statement for all of them.
    #[graphql(complexity = "paging::cost(first, None, child_complexity)")]
    async fn notes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<NoteConnection> {
        let request = paging::forward(first, after)?;
        let (items, more) = if request.after.is_none() {
            let limit = request.limit();
            let rows = ctx
                .loaders()?
                .load_one(NotesOf(self.0.id, limit + 1))
                .await?
                .unwrap_or_default();
            split(rows, limit)
        } else {
            let page = notes::list(ctx.core(), ctx.actor()?, self.0.id, request).await?;
            (page.items, page.has_next_page)
        };
        Ok(connection(items, request, more, |n| n.id, Note))
    }

    /// The current score with its factors, evidence and insights; none until scored.
    async fn score(&self, ctx: &Context<'_>) -> Result<Option<LeadScore>> {
        if LeadScore::headline_answers(&ctx.field()) {
            return Ok(LeadScore::headline(&self.0));
        }
        let current = ctx.loaders()?.load_one(ScoreOf(self.0.id)).await?;
        Ok(current.flatten().map(|score| LeadScore::full(score, None)))
    }

    /// Past scores, newest first: a row is kept whenever the result changed.
    #[graphql(complexity = "paging::cost(first, None, child_complexity)")]
    async fn score_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ScoreConnection> {
        let request = paging::forward(first, after)?;
        let (items, more) = if request.after.is_none() {
            let limit = request.limit();
            let rows = ctx
                .loaders()?
                .load_one(HistoryOf(self.0.id, limit + 1))
                .await?
                .unwrap_or_default();
            split(rows, limit)
        } else {
            let page = scores::history(ctx.core(), ctx.actor()?, self.0.id, request).await?;
            (page.items, page.has_next_page)
        };
        Ok(connection(
            items,
            request,
            more,
            |s| s.id,
            |score| LeadScore::full(score, None),
        ))
    }

    /// What to say: the current score's talking points, opportunities and concerns.
    async fn insights(&self, ctx: &Context<'_>) -> Result<Vec<Insight>> {
        let loaders = ctx.loaders()?;
        let Some(score) = loaders.load_one(ScoreOf(self.0.id)).await?.flatten() else {
            return Ok(Vec::new());
        };
        let insights = loaders
            .load_one(InsightsOf(self.0.id, score.id))
            .await?
            .unwrap_or_default();
        Ok(insights.into_iter().map(Insight::from).collect())
    }
}
