//! Email preferences: how each kind of notification reaches you by mail.
use async_graphql::{
    connection::{Connection, EmptyFields},
    Context, Enum, InputObject, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, Utc};

use super::{context::ContextExt, types::NotificationKind, users::parse_id};
use crate::{
    entity::{
        email_outbox::{self, EmailStatus as Status},
        notification_preference::Delivery,
    },
    service::email::{admin, preferences},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "EmailStatus", remote = "Status")]
pub enum EmailStatus {
    /// Waiting for its next attempt.
    Pending,
    Sent,
    /// Refused for good or out of attempts; `retryEmail` sends it again.
    Dead,
    /// Not sent: its recipient turned the kind off or left before it was due.
    Skipped,
}

/// A message in the outbox (admins only).
pub struct Email(email_outbox::Model);

#[Object]
impl Email {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn recipient_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    /// A notification kind, or DIGEST.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn status(&self) -> EmailStatus {
        self.0.status.into()
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    /// The mail server's last answer (or why it could not be reached).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "EmailDelivery", remote = "Delivery")]
pub enum EmailDelivery {
    /// A message of its own, within seconds.
    Instant,
    /// In the daily digest.
    DailyDigest,
    /// Never by email (the bell still shows it).
    Off,
}

#[derive(SimpleObject)]
pub struct NotificationPreference {
    pub kind: NotificationKind,
    pub delivery: EmailDelivery,
}

#[derive(InputObject)]
pub struct NotificationPreferenceInput {
    pub kind: NotificationKind,
    pub delivery: EmailDelivery,
}

fn listed(
    all: Vec<(crate::entity::notification::NotificationKind, Delivery)>,
) -> Vec<NotificationPreference> {
    all.into_iter()
        .map(|(kind, delivery)| NotificationPreference {
            kind: kind.into(),
            delivery: delivery.into(),
        })
        .collect()
}

#[derive(Default)]
pub struct EmailQuery;

#[Object]
impl EmailQuery {
    /// How each kind of notification is mailed to you. Unless you choose
    /// otherwise: LEAD_ASSIGNED and LEAD_BECAME_HOT at once, the rest in
    /// the daily digest.
    async fn my_notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<NotificationPreference>> {
        Ok(listed(preferences::mine(ctx.core(), ctx.actor()?).await?))
    }

    /// The IANA time zone your daily digest is timed in (default UTC).
    async fn my_time_zone(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(preferences::time_zone(ctx.core(), ctx.actor()?).await?)
    }

    /// The email outbox, newest first (admins only).
    #[graphql(complexity = "super::paging::cost(first, None, child_complexity)")]
    async fn email_outbox(
        &self,
        ctx: &Context<'_>,
        status: Option<EmailStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Email>> {
        let page = super::paging::forward(first, after)?;
        let page = admin::list(ctx.core(), ctx.actor()?, status.map(Into::into), page).await?;
        Ok(super::paging::connection(
            page,
            EmptyFields,
            |e| e.id,
            Email,
        ))
    }
}

#[derive(Default)]
pub struct EmailMutation;

#[Object]
impl EmailMutation {
    /// Sets how the listed kinds are mailed to you; returns every kind.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        preferences: Vec<NotificationPreferenceInput>,
    ) -> Result<Vec<NotificationPreference>> {
        let changes = preferences
            .into_iter()
            .map(|p| (p.kind.into(), p.delivery.into()))
            .collect();
        Ok(listed(
            preferences::update(ctx.core(), ctx.actor()?, changes)
                .await
                .map_err(|e| e.within("preferences"))?,
        ))
    }

    /// Sets the IANA time zone (such as `Europe/Berlin`) your daily digest
    /// goes out in, at the server's DIGEST_HOUR.
    async fn update_my_time_zone(&self, ctx: &Context<'_>, time_zone: String) -> Result<String> {
        Ok(preferences::set_time_zone(ctx.core(), ctx.actor()?, &time_zone).await?)
    }

    /// Sends a dead or skipped message again, its attempts started over
    /// (admins only).
    async fn retry_email(&self, ctx: &Context<'_>, id: ID) -> Result<Email> {
        let id = parse_id("id", &id)?;
        Ok(Email(admin::retry(ctx.core(), ctx.actor()?, id).await?))
    }
}
