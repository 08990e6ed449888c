//! Writing notifications: in the transaction of the change that causes
//! them (so a crash after commit loses none), announced when it commits.
//! People are not notified of their own actions (callers leave them out).
//! Those their recipients want mailed at once go to the email outbox in the
//! same transaction.
use chrono::Utc;
use sea_orm::{EntityTrait, Set};
use uuid::Uuid;

use crate::{
    db::UnitOfWork,
    entity::{
        lead,
        notification::{self, NotificationKind},
    },
    error::AppResult,
    events::Event,
    service::email::outbox::{self, Written},
};

/// A notification to write.
#[derive(Debug, Clone)]
pub struct Notice {
    pub user_id: Uuid,
    pub kind: NotificationKind,
    /// Never names the lead: it stays readable when the lead is out of sight.
    pub title: String,
    pub body: String,
    pub lead_id: Option<Uuid>,
}

/// "Pat Lead (Acme)": how bodies name a lead.
pub fn lead_label(lead: &lead::Model) -> String {
    match &lead.company {
        Some(company) => format!("{} {} ({company})", lead.first_name, lead.last_name),
        None => format!("{} {}", lead.first_name, lead.last_name),
    }
}

/// Writes `notices` in the unit of work and announces them when it commits.
pub async fn push(uow: &UnitOfWork, notices: Vec<Notice>) -> AppResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let mut mails = Vec::with_capacity(notices.len());
    let rows: Vec<notification::ActiveModel> = notices
        .into_iter()
        .map(|n| {
            let id = Uuid::now_v7();
            mails.push(Written {
                notification_id: id,
                user_id: n.user_id,
                kind: n.kind,
                title: n.title.chars().take(200).collect(),
                body: n.body.clone(),
                lead_id: n.lead_id,
            });
            uow.publish(Event::Notification {
                id,
                user_id: n.user_id,
            });
            uow.publish(Event::UnreadChanged { user_id: n.user_id });
            notification::ActiveModel {
                id: Set(id),
                user_id: Set(n.user_id),
                kind: Set(n.kind),
                title: Set(n.title.chars().take(200).collect()),
                body: Set(n.body),
                lead_id: Set(n.lead_id),
                created_at: Set(now),
                read_at: Set(None),
            }
        })
        .collect();
    notification::Entity::insert_many(rows)
        .exec_without_returning(uow.conn())
        .await?;
    outbox::enqueue(uow, mails).await
}
