use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Json, Object, Result, ID,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Activity, Assignment, Insight, LeadScore, LeadSource, LeadStatus, Note, User};
use crate::{
    entity::lead,
    graphql::{context::ContextExt, cursor},
    service::{activities, assignments, notes, page::PageRequest, scores},
};

pub struct Lead(pub lead::Model);

pub type ActivityConnection = Connection<String, Activity, EmptyFields, EmptyFields>;
pub type NoteConnection = Connection<String, Note, EmptyFields, EmptyFields>;
pub type ScoreConnection = Connection<String, LeadScore, EmptyFields, EmptyFields>;

/// Minor units (cents) to the major units clients work in.
fn major(cents: Option<i64>) -> Option<f64> {
    cents.map(|c| c as f64 / 100.0)
}

pub fn page(first: Option<i32>, after: Option<String>) -> crate::error::AppResult<PageRequest> {
    Ok(PageRequest {
        first: first.map(|n| n.max(0) as u64),
        after: after
            .as_deref()
            .map(|c| cursor::decode("after", c))
            .transpose()?,
    })
}

#[Object]
impl Lead {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn full_name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// E.164 when the number said its country, otherwise as it was given.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn company(&self) -> Option<&str> {
        self.0.company.as_deref()
    }
    async fn job_title(&self) -> Option<&str> {
        self.0.job_title.as_deref()
    }
    async fn source(&self) -> LeadSource {
        self.0.source.into()
    }
    async fn status(&self) -> LeadStatus {
        self.0.status.into()
    }
    /// In major units of `currency` (kept exact in cents).
    async fn budget_min(&self) -> Option<f64> {
        major(self.0.budget_min)
    }
    async fn budget_max(&self) -> Option<f64> {
        major(self.0.budget_max)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn product_interest(&self) -> Option<&str> {
        self.0.product_interest.as_deref()
    }
    async fn purchase_timeline(&self) -> Option<&str> {
        self.0.purchase_timeline.as_deref()
    }
    async fn is_repeat_customer(&self) -> bool {
        self.0.is_repeat_customer
    }
    /// Custom fields: a JSON object.
    async fn attributes(&self) -> Json<Value> {
        Json(self.0.attributes.clone())
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
        let Some(id) = self.0.created_by else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
    }
    /// Who owns the lead now: the user of its ACTIVE assignment.
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let loaders = ctx.loaders()?;
        let Some(active) = loaders.active_assignments.load_one(self.0.id).await? else {
            return Ok(None);
        };
        Ok(loaders.users.load_one(active.assignee_id).await?.map(User))
    }
    /// Every assignment the lead has had, newest first.
    async fn assignments(&self, ctx: &Context<'_>) -> Result<Vec<Assignment>> {
        let list = assignments::history(&ctx.api().db, ctx.actor()?, self.0.id).await?;
        Ok(list.into_iter().map(Assignment).collect())
    }
    /// Newest first.
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActivityConnection> {
        let page =
            activities::list(&ctx.api().db, ctx.actor()?, self.0.id, page(first, after)?).await?;
        let mut connection = Connection::new(page.has_previous_page, page.has_next_page);
        connection.edges.extend(
            page.items
                .into_iter()
                .map(|a| Edge::new(cursor::encode(a.id), Activity(a))),
        );
        Ok(connection)
    }
    /// Newest first. The first page of a list of leads loads in one statement for all of them.
    async fn notes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<NoteConnection> {
        let request = page(first, after)?;
        let (items, has_next) = if request.after.is_none() {
            let limit = request.limit();
            let mut items = ctx
                .loaders()?
                .recent_notes
                .load_one((self.0.id, limit + 1))
                .await?
                .unwrap_or_default();
            let more = items.len() as u64 > limit;
            items.truncate(limit as usize);
            (items, more)
        } else {
            let page = notes::list(&ctx.api().db, ctx.actor()?, self.0.id, request).await?;
            (page.items, page.has_next_page)
        };
        let mut connection = Connection::new(request.after.is_some(), has_next);
        connection.edges.extend(
            items
                .into_iter()
                .map(|n| Edge::new(cursor::encode(n.id), Note(n))),
        );
        Ok(connection)
    }

    /// The current score with its factors, evidence and insights; none until scored.
    async fn score(&self, ctx: &Context<'_>) -> Result<Option<LeadScore>> {
        let current = scores::current(&ctx.api().db, ctx.actor()?, self.0.id).await?;
        Ok(current.map(|(score, insights)| LeadScore { score, insights }))
    }

    /// Past scores, newest first: a row is kept whenever the result changed.
    async fn score_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ScoreConnection> {
        let page =
            scores::history(&ctx.api().db, ctx.actor()?, self.0.id, page(first, after)?).await?;
        let mut connection = Connection::new(page.has_previous_page, page.has_next_page);
        connection.edges.extend(page.items.into_iter().map(|s| {
            Edge::new(
                cursor::encode(s.id),
                LeadScore {
                    score: s,
                    insights: Vec::new(),
                },
            )
        }));
        Ok(connection)
    }

    /// What to say: the current score's talking points, opportunities and concerns.
    async fn insights(&self, ctx: &Context<'_>) -> Result<Vec<Insight>> {
        let current = scores::current(&ctx.api().db, ctx.actor()?, self.0.id).await?;
        Ok(current
            .map(|(_, insights)| insights.into_iter().map(Insight::from).collect())
            .unwrap_or_default())
    }
}
