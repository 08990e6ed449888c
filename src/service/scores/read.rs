//! Reading scores: the current one of a lead or of a page of leads, its
//! history, and a manual refresh. Every read goes through the visibility
//! rule.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use uuid::Uuid;

use super::rescoring;
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{lead_insight, lead_score},
    error::{AppError, AppResult},
    service::{
        leads::visibility::{get, visible_among},
        newest::newest_per,
        page::{Page, PageRequest},
    },
};

/// A score and the insights written with it.
pub type Current = (lead_score::Model, Vec<lead_insight::Model>);

/// The current score (with insights) of each of `lead_ids` that `actor`
/// may see and that has been scored: two statements, whatever the count.
pub async fn current_for(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Current>> {
    let scores = scores_for(core, actor, lead_ids).await?;
    let keys: Vec<(Uuid, Uuid)> = scores.values().map(|s| (s.lead_id, s.id)).collect();
    let mut insights = insights_for(core, actor, &keys).await?;
    Ok(scores
        .into_iter()
        .map(|(lead_id, score)| {
            let written = insights.remove(&score.id).unwrap_or_default();
            (lead_id, (score, written))
        })
        .collect())
}

/// The current score of each of `lead_ids` that `actor` may see and that
/// has been scored, without insights: one statement, whatever the count.
pub async fn scores_for(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, lead_score::Model>> {
    actor.may(Scope::LeadsRead)?;
    if lead_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let scores = newest_per::<lead_score::Entity, _>(
        core.reads(),
        lead_score::Column::LeadId,
        &[lead_score::Column::ScoredAt, lead_score::Column::Id],
        lead_score::Column::LeadId.in_subquery(visible_among(actor, lead_ids.iter().copied())),
        1,
    )
    .await?;
    Ok(scores.into_iter().map(|s| (s.lead_id, s)).collect())
}

/// The insights written with each of `scores` (lead id, score id) whose
/// lead `actor` may see, in position order, by score id: one statement.
pub async fn insights_for(
    core: &Core,
    actor: &Actor,
    scores: &[(Uuid, Uuid)],
) -> AppResult<HashMap<Uuid, Vec<lead_insight::Model>>> {
    actor.may(Scope::LeadsRead)?;
    let mut insights: HashMap<Uuid, Vec<lead_insight::Model>> = HashMap::new();
    if scores.is_empty() {
        return Ok(insights);
    }
    for insight in lead_insight::Entity::find()
        .filter(lead_insight::Column::ScoreId.is_in(scores.iter().map(|(_, score)| *score)))
        .filter(
            lead_insight::Column::LeadId
                .in_subquery(visible_among(actor, scores.iter().map(|(lead, _)| *lead))),
        )
        .order_by_asc(lead_insight::Column::Position)
        .all(core.reads())
        .await?
    {
        insights.entry(insight.score_id).or_default().push(insight);
    }
    Ok(insights)
}

/// The lead's current score and its insights, if it has been scored;
/// NOT_FOUND for a lead `actor` may not see.
pub async fn current(core: &Core, actor: &Actor, lead_id: Uuid) -> AppResult<Option<Current>> {
    get(core.reads(), actor.may(Scope::LeadsRead)?, lead_id).await?;
    Ok(current_for(core, actor, &[lead_id]).await?.remove(&lead_id))
}

/// Scores the lead now (a manual refresh) and returns the result.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %lead_id))]
pub async fn score_now(core: &Core, actor: &Actor, lead_id: Uuid) -> AppResult<Current> {
    actor.person()?;
    let uow = core.begin().await?;
    get(uow.conn(), actor, lead_id).await?;
    let score = rescoring::rescore(core, &uow, lead_id)
        .await?
        .ok_or(AppError::NotFound("lead"))?;
    let insights = lead_insight::Entity::find()
        .filter(lead_insight::Column::ScoreId.eq(score.id))
        .order_by_asc(lead_insight::Column::Position)
        .all(uow.conn())
        .await?;
    uow.commit().await?;
    Ok((score, insights))
}

/// The first page of past scores of each of `lead_ids` `actor` may see,
/// newest first, `per_lead` each: one statement.
pub async fn history_for(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
    per_lead: u64,
) -> AppResult<HashMap<Uuid, Vec<lead_score::Model>>> {
    actor.may(Scope::LeadsRead)?;
    let mut by_lead: HashMap<Uuid, Vec<lead_score::Model>> = HashMap::new();
    // UUID v7 ids grow with time: id order is scoring order.
    for row in newest_per::<lead_score::Entity, _>(
        core.reads(),
        lead_score::Column::LeadId,
        &[lead_score::Column::Id],
        lead_score::Column::LeadId.in_subquery(visible_among(actor, lead_ids.iter().copied())),
        per_lead,
    )
    .await?
    {
        by_lead.entry(row.lead_id).or_default().push(row);
    }
    for rows in by_lead.values_mut() {
        rows.sort_by_key(|row| std::cmp::Reverse(row.id));
    }
    Ok(by_lead)
}

/// Past scores of one lead, newest first, from a cursor.
pub async fn history(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<lead_score::Model>> {
    get(core.reads(), actor.may(Scope::LeadsRead)?, lead_id).await?;
    let mut query = lead_score::Entity::find().filter(lead_score::Column::LeadId.eq(lead_id));
    if let Some(after) = page.after {
        query = query.filter(lead_score::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(lead_score::Column::Id)
        .limit(page.limit() + 1)
        .all(core.reads())
        .await?;
    Ok(page.page(rows))
}
