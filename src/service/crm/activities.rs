//! What happened with a lead: calls, emails, meetings, and the changes the
//! system records itself (status, assignment, transfer, completion).
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{
        lead,
        lead_activity::{self, ActivityKind, Column, Direction},
    },
    error::{AppError, AppResult},
    service::{
        audit, backdate,
        leads::visibility::{get, visible_among},
        newest::newest_per,
        page::{newest_first, Page, PageRequest},
        scores::rescoring,
    },
    values::LongText,
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
    advance_last_activity(conn, &[lead_id], occurred_at).await?;
    Ok(activity)
}

/// Moves the leads' last activity to `at`, only ever forward: back-dated
/// activities do not rewind it.
async fn advance_last_activity<C: ConnectionTrait>(
    conn: &C,
    lead_ids: &[Uuid],
    at: DateTime<Utc>,
) -> AppResult<()> {
    lead::Entity::update_many()
        .col_expr(lead::Column::LastActivityAt, Expr::value(at))
        .filter(lead::Column::Id.is_in(lead_ids.iter().copied()))
        .filter(
            sea_orm::Condition::any()
                .add(lead::Column::LastActivityAt.is_null())
                .add(lead::Column::LastActivityAt.lt(at)),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// The same kind of activity on many leads at once (a bulk operation), in
/// few statements; `summaries` pairs each lead with its text.
pub async fn record_many<C: ConnectionTrait>(
    conn: &C,
    summaries: Vec<(Uuid, String)>,
    actor_id: Option<Uuid>,
    kind: ActivityKind,
    occurred_at: DateTime<Utc>,
) -> AppResult<()> {
    const CHUNK: usize = 500;
    let lead_ids: Vec<Uuid> = summaries.iter().map(|(id, _)| *id).collect();
    let mut rows = summaries
        .into_iter()
        .map(|(lead_id, summary)| lead_activity::ActiveModel {
            id: Set(Uuid::now_v7()),
            lead_id: Set(lead_id),
            actor_id: Set(actor_id),
            kind: Set(kind),
            direction: Set(None),
            summary: Set(summary),
            occurred_at: Set(occurred_at),
            created_at: Set(Utc::now()),
        })
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        lead_activity::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    for ids in lead_ids.chunks(CHUNK) {
        advance_last_activity(conn, ids, occurred_at).await?;
    }
    Ok(())
}

pub struct LogActivity {
    pub lead_id: Uuid,
    pub kind: ActivityKind,
    pub direction: Option<Direction>,
    pub summary: LongText,
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
    core: &Core,
    actor: &Actor,
    input: LogActivity,
) -> AppResult<lead_activity::Model> {
    actor.may(Scope::LeadsWrite)?;
    if !LOGGABLE.contains(&input.kind) {
        return Err(AppError::bad_input(
            "kind",
            "only CALL, EMAIL, MEETING, SMS and OTHER can be logged; the system records the rest",
        ));
    }
    let summary = input.summary.into_inner();
    let happened = backdate::when(actor, "occurred_at", input.occurred_at, Utc::now())?;
    let occurred_at = happened.at;
    let uow = core.begin().await?;
    let txn = uow.conn();
    get(txn, actor, input.lead_id).await?;
    let activity = record(
        txn,
        input.lead_id,
        Some(actor.user_id),
        input.kind,
        input.direction,
        summary,
        occurred_at,
    )
    .await?;
    audit::acted(
        txn,
        actor,
        "activity.logged",
        ("lead", input.lead_id),
        if happened.backdated {
            json!({ "activity": activity.id, "kind": activity.kind, "backdatedTo": occurred_at })
        } else {
            json!({ "activity": activity.id, "kind": activity.kind })
        },
    )
    .await?;
    rescoring::rescore(core, &uow, input.lead_id).await?;
    uow.commit().await?;
    Ok(activity)
}

/// A lead's activities, newest first.
pub async fn list(
    core: &Core,
    actor: &Actor,
    lead_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<lead_activity::Model>> {
    get(core.reads(), actor.person()?, lead_id).await?;
    let all = lead_activity::Entity::find().filter(Column::LeadId.eq(lead_id));
    newest_first(
        core.reads(),
        all,
        Column::OccurredAt,
        Column::Id,
        page,
        "activities",
    )
    .await
}

/// The newest `per_lead` activities of each of `lead_ids` `actor` may see,
/// in one statement.
pub async fn newest_for_leads(
    core: &Core,
    actor: &Actor,
    lead_ids: &[Uuid],
    per_lead: u64,
) -> AppResult<Vec<lead_activity::Model>> {
    actor.person()?;
    if lead_ids.is_empty() {
        return Ok(Vec::new());
    }
    newest_per::<lead_activity::Entity, _>(
        core.reads(),
        Column::LeadId,
        &[Column::OccurredAt, Column::Id],
        Column::LeadId.in_subquery(visible_among(actor, lead_ids.iter().copied())),
        per_lead,
    )
    .await
}
