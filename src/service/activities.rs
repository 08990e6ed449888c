//! What happened with a lead: calls, emails, meetings, and the changes the
//! system records itself (status, assignment, transfer, completion).
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::{
        lead,
        lead_activity::{self, ActivityKind, Column, Direction},
    },
    error::{AppError, AppResult},
    scoring::Thresholds,
    service::{
        audit::{self, AuditEntry},
        leads,
        page::{Page, PageRequest},
        rescoring,
    },
    validate,
};

/// Writes an activity and keeps the lead's `last_activity_at` right.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
    actor_id: Option<Uuid>,
    kind: ActivityKind,
    direction: Option<Direction>,
    summary: String,
    occurred_at: DateTime<Utc>,
) -> AppResult<lead_activity::Model> {
    let activity = lead_activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        lead_id: Set(lead_id),
        actor_id: Set(actor_id),
        kind: Set(kind),
        direction: Set(direction),
        summary: Set(summary),
        occurred_at: Set(occurred_at),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    // Only ever moves forward: back-dated activities do not rewind it.
    lead::Entity::update_many()
        .col_expr(lead::Column::LastActivityAt, Expr::value(occurred_at))
        .filter(lead::Column::Id.eq(lead_id))
        .filter(
            sea_orm::Condition::any()
                .add(lead::Column::LastActivityAt.is_null())
                .add(lead::Column::LastActivityAt.lt(occurred_at)),
        )
        .exec(conn)
        .await?;
    Ok(activity)
}

pub struct LogActivity {
    pub lead_id: Uuid,
    pub kind: ActivityKind,
    pub direction: Option<Direction>,
    pub summary: String,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Kinds people log; the others are written by the system.
const LOGGABLE: [ActivityKind; 5] = [
    ActivityKind::Call,
    ActivityKind::Email,
    ActivityKind::Meeting,
    ActivityKind::Sms,
    ActivityKind::Other,
];

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %input.lead_id))]
pub async fn log(
    db: &DatabaseConnection,
    actor: &Actor,
    input: LogActivity,
    thresholds: Thresholds,
) -> AppResult<lead_activity::Model> {
    if !LOGGABLE.contains(&input.kind) {
        return Err(AppError::bad_input(
            "input.kind",
            "only CALL, EMAIL, MEETING, SMS and OTHER can be logged; the system records the rest",
        ));
    }
    let summary = validate::text("input.summary", &input.summary, 2000)?;
    let now = Utc::now();
    let occurred_at = input.occurred_at.unwrap_or(now);
    if occurred_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input(
            "input.occurredAt",
            "occurredAt must not be in the future",
        ));
    }
    let txn = db.begin().await?;
    leads::get(&txn, actor, input.lead_id).await?;
    let activity = record(
        &txn,
        input.lead_id,
        Some(actor.user_id),
        input.kind,
        input.direction,
        summary,
        occurred_at,
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("activity.logged")
            .actor(actor.user_id)
            .entity("lead", input.lead_id)
            .details(json!({ "activity": activity.id, "kind": activity.kind })),
    )
    .await?;
    rescoring::rescore(&txn, input.lead_id, thresholds).await?;
    txn.commit().await?;
    Ok(activity)
}

/// A lead's activities, newest first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<lead_activity::Model>> {
    leads::get(db, actor, lead_id).await?;
    let limit = page.limit();
    let mut query = lead_activity::Entity::find().filter(Column::LeadId.eq(lead_id));
    if let Some(after) = page.after {
        let Some(anchor) = lead_activity::Entity::find_by_id(after)
            .filter(Column::LeadId.eq(lead_id))
            .one(db)
            .await?
        else {
            return Err(AppError::bad_input(
                "after",
                "not a cursor of this lead's activities",
            ));
        };
        query = query.filter(
            sea_orm::Condition::any()
                .add(Column::OccurredAt.lt(anchor.occurred_at))
                .add(
                    sea_orm::Condition::all()
                        .add(Column::OccurredAt.eq(anchor.occurred_at))
                        .add(Column::Id.lt(anchor.id)),
                ),
        );
    }
    let items = query
        .order_by_desc(Column::OccurredAt)
        .order_by_desc(Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(page.page(items))
}
