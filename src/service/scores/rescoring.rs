//! Scoring leads and keeping the result: a history row when the result
//! changes, the latest copied onto the lead row for sorting.
//!
//! One lead or five hundred cost the same handful of statements: inputs are
//! read for the whole batch, scored in memory, and written back with one
//! statement per table. Callers hold the leads' rows locked inside the unit
//! of work that made the change, so two events for one lead scored at once
//! queue up and the later run reads both: no update is lost.
use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Alias, Expr, Func, Query, WindowStatement},
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    StatementBuilder,
};
use uuid::Uuid;

use super::{
    codec::{insight_rows, reasons, score_row},
    inputs::{gather, inventory},
    learned::predict,
};
use crate::{
    core::Core,
    db::{dialect, UnitOfWork},
    entity::{
        assignment::{self, AssignmentStatus},
        lead,
        lead_score::{self, Classification, ConfidenceLevel, PriorityTier},
        notification::NotificationKind,
    },
    error::AppResult,
    events::Event,
    scoring::{self, Score},
    service::notifications::{self, lead_label, Notice},
};

/// Leads per lock statement, far below both backends' bind limits.
const LEADS_PER_STATEMENT: usize = 500;

/// Locks and rescores one lead; none if it is gone.
pub async fn rescore(
    core: &Core,
    uow: &UnitOfWork,
    lead_id: Uuid,
) -> AppResult<Option<lead_score::Model>> {
    Ok(rescore_ids(core, uow, &[lead_id]).await?.pop())
}

/// Locks the live leads among `ids` (in id order, so two callers never wait
/// on each other in a cycle) and rescores them.
pub async fn rescore_ids(
    core: &Core,
    uow: &UnitOfWork,
    ids: &[Uuid],
) -> AppResult<Vec<lead_score::Model>> {
    let mut stored = Vec::with_capacity(ids.len());
    let inventory = inventory(uow.conn()).await?;
    for chunk in ids.chunks(LEADS_PER_STATEMENT) {
        let leads = uow
            .dialect()
            .for_update(
                lead::Entity::find()
                    .filter(lead::Column::Id.is_in(chunk.iter().copied()))
                    .filter(lead::Column::DeletedAt.is_null())
                    .order_by_asc(lead::Column::Id),
            )
            .all(uow.conn())
            .await?;
        stored.extend(rescore_leads(core, uow, &leads, &inventory, Utc::now()).await?);
    }
    Ok(stored)
}

/// Scores `leads` (already locked by the caller) at `now` and keeps the
/// results; returns the stored score of each, in the order given.
pub async fn rescore_leads(
    core: &Core,
    uow: &UnitOfWork,
    leads: &[lead::Model],
    inventory: &Arc<[scoring::InventoryItem]>,
    now: DateTime<Utc>,
) -> AppResult<Vec<lead_score::Model>> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
    let mut inputs = gather(uow.conn(), &ids, now).await?;
    let previous = latest_results(uow.conn(), &ids).await?;
    let thresholds = core.thresholds();
    let basis = predict::for_batch(core, uow.conn(), leads, inventory, now).await?;

    let mut rows = Vec::with_capacity(leads.len());
    let mut refreshed = Vec::new();
    let mut insights = Vec::new();
    let mut turned_hot = Vec::new();
    for lead in leads {
        let input = inputs.take(lead, inventory);
        let mut score = scoring::score(&input, now, thresholds);
        let (probability, basis) = basis.apply(core, lead.id, &input, &mut score, now);
        let prev = previous.get(&lead.id);
        let mut row = match prev {
            // Same result: the latest row stays the one history entry for it,
            // but its figures, evidence and insights are brought up to date.
            Some(prev) if prev.same_as(&score) => {
                refreshed.push(prev.id);
                score_row(prev.id, lead.id, &score)
            }
            _ => {
                uow.publish(Event::ScoreChanged { lead_id: lead.id });
                score_row(Uuid::now_v7(), lead.id, &score)
            }
        };
        row.conversion_probability = probability;
        row.basis = Some(basis);
        let was_hot = prev.is_some_and(|p| p.classification == Classification::Hot);
        if row.classification == Classification::Hot && !was_hot {
            turned_hot.push(lead);
        }
        insights.extend(insight_rows(&row, &score));
        rows.push(row);
    }

    dialect::save_scores(uow.dialect(), uow.conn(), &rows, &refreshed, &insights).await?;
    notify_hot(uow, &turned_hot, &rows).await?;
    Ok(rows)
}

/// Tells each lead's assignee that it crossed into HOT.
async fn notify_hot(
    uow: &UnitOfWork,
    turned_hot: &[&lead::Model],
    rows: &[lead_score::Model],
) -> AppResult<()> {
    if turned_hot.is_empty() {
        return Ok(());
    }
    let owners: HashMap<Uuid, Uuid> = assignment::Entity::find()
        .filter(assignment::Column::LeadId.is_in(turned_hot.iter().map(|l| l.id)))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Active))
        .all(uow.conn())
        .await?
        .into_iter()
        .map(|a| (a.lead_id, a.assignee_id))
        .collect();
    let by_lead: HashMap<Uuid, &lead_score::Model> = rows.iter().map(|r| (r.lead_id, r)).collect();
    let notices = turned_hot
        .iter()
        .filter_map(|lead| {
            let user_id = *owners.get(&lead.id)?;
            let row = by_lead.get(&lead.id)?;
            Some(Notice {
                user_id,
                kind: NotificationKind::LeadBecameHot,
                title: "One of your leads turned HOT".into(),
                body: format!(
                    "{} now scores {}: {}",
                    lead_label(lead),
                    row.total,
                    reasons(row, 2).join("; ")
                ),
                lead_id: Some(lead.id),
            })
        })
        .collect();
    notifications::push(uow, notices).await
}

/// What decides whether a new score is a new history entry.
#[derive(Debug, FromQueryResult)]
struct StoredResult {
    id: Uuid,
    lead_id: Uuid,
    total: i32,
    classification: Classification,
    priority_tier: PriorityTier,
    confidence_level: ConfidenceLevel,
    model_version: String,
}

impl StoredResult {
    fn same_as(&self, score: &Score) -> bool {
        self.total == i32::from(score.total)
            && self.classification == score.classification.into()
            && self.priority_tier == score.priority_tier.into()
            && self.confidence_level == score.confidence_level.into()
            && self.model_version == score.model_version
    }
}

/// The newest stored result of each lead, in one statement.
async fn latest_results<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, StoredResult>> {
    use lead_score::Column;
    use sea_orm::sea_query::ExprTrait;
    let rank = Alias::new("rank_in_lead");
    let ranked = Query::select()
        .columns([
            Column::Id,
            Column::LeadId,
            Column::Total,
            Column::Classification,
            Column::PriorityTier,
            Column::ConfidenceLevel,
            Column::ModelVersion,
        ])
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            WindowStatement::partition_by(Column::LeadId)
                .order_by(Column::ScoredAt, sea_orm::Order::Desc)
                .order_by(Column::Id, sea_orm::Order::Desc)
                .take(),
            rank.clone(),
        )
        .from(lead_score::Entity)
        .and_where(Column::LeadId.is_in(ids.iter().copied()))
        .take();
    let outer = Query::select()
        .expr(Expr::cust("*"))
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank).lte(1))
        .take();
    let statement = StatementBuilder::build(&outer, &conn.get_database_backend());
    Ok(StoredResult::find_by_statement(statement)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.lead_id, r))
        .collect())
}
