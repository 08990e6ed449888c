//! Outcomes: a live lead whose status is WON or LOST, dated by its newest
//! change to that status. Those are what a model learns from.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    StatementBuilder,
};
use uuid::Uuid;

use crate::{
    entity::{
        lead::{self, LeadStatus},
        lead_status_change,
    },
    error::AppResult,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub won: u64,
    pub lost: u64,
}

impl Counts {
    pub fn labelled(&self) -> u64 {
        self.won + self.lost
    }
}

pub async fn count<C: ConnectionTrait>(conn: &C) -> AppResult<Counts> {
    let of = |status: LeadStatus| {
        lead::Entity::find()
            .filter(lead::Column::DeletedAt.is_null())
            .filter(lead::Column::Status.eq(status))
            .count(conn)
    };
    Ok(Counts {
        won: of(LeadStatus::Won).await?,
        lost: of(LeadStatus::Lost).await?,
    })
}

/// A labelled lead: whether it was won, and when the outcome came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub lead_id: Uuid,
    pub won: bool,
    pub at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: Uuid,
    status: LeadStatus,
    updated_at: DateTime<Utc>,
    outcome_at: Option<DateTime<Utc>>,
}

/// Every labelled lead, in id order, in one statement.
pub async fn labelled<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<Outcome>> {
    read(conn, None).await
}

/// The labelled leads among `ids`, in id order.
pub async fn labelled_among<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<Outcome>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1_000) {
        out.extend(read(conn, Some(chunk)).await?);
    }
    out.sort_by_key(|o| o.lead_id);
    Ok(out)
}

async fn read<C: ConnectionTrait>(conn: &C, among: Option<&[Uuid]>) -> AppResult<Vec<Outcome>> {
    use lead::Column as L;
    use lead_status_change::Column as S;
    let outcome_at = Alias::new("outcome_at");
    let query = Query::select()
        .columns([
            (lead::Entity, L::Id),
            (lead::Entity, L::Status),
            (lead::Entity, L::UpdatedAt),
        ])
        .expr_as(
            Func::max(Expr::col((lead_status_change::Entity, S::ChangedAt))),
            outcome_at,
        )
        .from(lead::Entity)
        .left_join(
            lead_status_change::Entity,
            Expr::col((lead_status_change::Entity, S::LeadId))
                .equals((lead::Entity, L::Id))
                .and(
                    Expr::col((lead_status_change::Entity, S::ToStatus))
                        .equals((lead::Entity, L::Status)),
                ),
        )
        .and_where(Expr::col((lead::Entity, L::DeletedAt)).is_null())
        .and_where(Expr::col((lead::Entity, L::Status)).is_in([LeadStatus::Won, LeadStatus::Lost]))
        .and_where_option(
            among.map(|ids| Expr::col((lead::Entity, L::Id)).is_in(ids.iter().copied())),
        )
        .group_by_columns([
            (lead::Entity, L::Id),
            (lead::Entity, L::Status),
            (lead::Entity, L::UpdatedAt),
        ])
        .order_by((lead::Entity, L::Id), sea_orm::Order::Asc)
        .take();
    let statement = StatementBuilder::build(&query, &conn.get_database_backend());
    Ok(Row::find_by_statement(statement)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| Outcome {
            lead_id: r.id,
            won: r.status == LeadStatus::Won,
            // A lead with no recorded change (written before the history
            // existed, outside the audit log) is dated by its last update.
            at: r.outcome_at.unwrap_or(r.updated_at),
        })
        .collect())
}
