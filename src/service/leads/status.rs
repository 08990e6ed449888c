//! Every status a lead takes, kept with when and by whom: its outcome is
//! its newest change to WON or LOST, and learning reads only what was
//! known before that moment. Reporting reads the same history.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use crate::{
    entity::{lead::LeadStatus, lead_status_change},
    error::AppResult,
};

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    lead_id: Uuid,
    from: Option<LeadStatus>,
    to: LeadStatus,
    at: DateTime<Utc>,
    by: Option<Uuid>,
) -> AppResult<()> {
    lead_status_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        lead_id: Set(lead_id),
        from_status: Set(from),
        to_status: Set(to),
        changed_at: Set(at),
        // The command line's operator is no user.
        changed_by: Set(by.filter(|id| !id.is_nil())),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The same change on many leads (a bulk status change), `(lead, from)`
/// each, in few statements.
pub async fn record_many<C: ConnectionTrait>(
    conn: &C,
    changes: &[(Uuid, LeadStatus)],
    to: LeadStatus,
    at: DateTime<Utc>,
    by: Option<Uuid>,
) -> AppResult<()> {
    for chunk in changes.chunks(500) {
        lead_status_change::Entity::insert_many(chunk.iter().map(|(lead_id, from)| {
            lead_status_change::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(*lead_id),
                from_status: Set(Some(*from)),
                to_status: Set(to),
                changed_at: Set(at),
                changed_by: Set(by.filter(|id| !id.is_nil())),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}
