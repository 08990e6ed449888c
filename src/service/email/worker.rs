//! Sends what the outbox holds. Due rows are claimed for two minutes
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas share the work;
//! SQLite has one writer), then sent over the pooled connections; each
//! outcome is recorded.
//! A crash between the server's accept and the record leaves the claim to
//! expire and the message is sent again with the same Message-ID.
//!
//! What a message says is settled when it is sent: a recipient who turned
//! the kind off or left gets nothing, and one who may no longer see the
//! lead gets the bell's redacted wording, without the lead's name or link.
use std::{
    collections::HashSet,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use sea_orm::{
    sea_query::{Expr, LockBehavior, LockType},
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::{backoff, outbox, MAX_ATTEMPTS};
use crate::{
    auth::Actor,
    core::Core,
    entity::{
        email_outbox::{self, EmailStatus},
        lead,
        notification_preference::Delivery,
        user,
    },
    error::AppResult,
    service::{leads::visibility::find_visible, notifications::REDACTED},
    smtp::{escape_html as escape, Mailer, Outgoing, SendError, CONNECTIONS},
};

/// Rows one pass claims.
const BATCH: u64 = 64;
/// How long a claim holds before another worker may take the row.
const CLAIM: chrono::Duration = chrono::Duration::minutes(2);
/// Longest pause between passes that found nothing to send; a notification
/// ends it sooner.
const IDLE: Duration = Duration::from_millis(500);

/// How often the digest checks whose local hour has come.
const DIGEST_EVERY: Duration = Duration::from_secs(60);

/// Starts the worker and the digest as owned tasks when email is configured.
pub async fn start(core: &Core) {
    let Some(mailer) = core.email().cloned() else {
        return;
    };
    let digests = core.clone();
    let digest_mailer = mailer.clone();
    core.tasks()
        .spawn("email digest", move |mut stop| async move {
            let mut every = tokio::time::interval(DIGEST_EVERY);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                if digests.ops().breaker().check().is_err() {
                    continue;
                }
                if let Err(err) = super::digest::run_due(&digests, &digest_mailer, Utc::now()).await
                {
                    err.log();
                }
            }
        })
        .await;
    let worker = core.clone();
    core.tasks()
        .spawn("email worker", move |mut stop| async move {
            loop {
                let wait = match pass(&worker, &mailer).await {
                    Ok(Pass::Sent(0)) => Wait::Notification,
                    Ok(Pass::Sent(_)) => Wait::None,
                    Ok(Pass::Unreachable) => Wait::Server,
                    Err(err) => {
                        err.log();
                        Wait::Notification
                    }
                };
                if *stop.borrow() {
                    return;
                }
                tokio::select! {
                    () = wait.until(&worker, &mailer) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        })
        .await;
}

/// How one pass went.
pub enum Pass {
    /// This many rows were sent or settled.
    Sent(usize),
    /// The server could not be reached; what was left was given back.
    Unreachable,
}

/// What the worker waits for before its next pass.
enum Wait {
    None,
    /// A notification dispatched on this instance (on PostgreSQL, from any
    /// replica), or the poll that finds retries and other replicas' leftovers.
    Notification,
    /// The mail server answering again, asked without spending a message.
    Server,
}

impl Wait {
    async fn until(&self, core: &Core, mailer: &Mailer) {
        match self {
            Wait::None => {}
            Wait::Notification => {
                let _ = tokio::time::timeout(IDLE, core.bus().notification_dispatched()).await;
            }
            Wait::Server => loop {
                tokio::time::sleep(PROBE_EVERY).await;
                if mailer.reachable().await {
                    return;
                }
            },
        }
    }
}

/// How often an unreachable mail server is asked whether it is back.
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Claims due rows and sends them, [`CONNECTIONS`] at once. When the server
/// cannot be reached, the rest of the pass is given back untouched: one
/// unreachable server must not spend every queued message's attempt.
pub async fn pass(core: &Core, mailer: &Mailer) -> AppResult<Pass> {
    if core.ops().breaker().check().is_err() {
        return Ok(Pass::Sent(0));
    }
    let claimed = claim(core).await?;
    let down = AtomicBool::new(false);
    let outcomes: Vec<AppResult<bool>> = futures_util::stream::iter(claimed)
        .map(|row| deliver(core, mailer, row, &down))
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
    let mut handled = 0;
    for outcome in outcomes {
        handled += usize::from(outcome?);
    }
    if down.load(Ordering::Relaxed) {
        return Ok(Pass::Unreachable);
    }
    Ok(Pass::Sent(handled))
}

async fn claim(core: &Core) -> AppResult<Vec<email_outbox::Model>> {
    let now = Utc::now();
    let uow = core.begin().await?;
    let due = email_outbox::Entity::find()
        .filter(email_outbox::Column::Status.eq(EmailStatus::Pending))
        .filter(email_outbox::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(email_outbox::Column::LockedUntil.is_null())
                .add(email_outbox::Column::LockedUntil.lt(now)),
        )
        // Instant mail first: a digest hour's burst must not hold up news
        // of a lead that just became hot.
        .order_by(email_outbox::Column::Kind.eq(outbox::DIGEST), Order::Asc)
        .order_by_asc(email_outbox::Column::NextAttemptAt)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(uow.conn())
        .await?;
    if !due.is_empty() {
        email_outbox::Entity::update_many()
            .col_expr(email_outbox::Column::LockedUntil, Expr::value(now + CLAIM))
            .filter(email_outbox::Column::Id.is_in(due.iter().map(|r| r.id)))
            .exec(uow.conn())
            .await?;
    }
    uow.commit().await?;
    Ok(due)
}

/// Whether `user` still wants mail of the row's kind (digests and
/// summaries follow their own switch).
async fn still_wanted(core: &Core, user: &user::Model, kind: &str) -> AppResult<bool> {
    let Some(kind) = outbox::kind_of(kind) else {
        return Ok(true);
    };
    let chosen = outbox::deliveries(core.reads(), &HashSet::from([user.id])).await?;
    Ok(chosen.of(user.id, kind) != Delivery::Off)
}

async fn may_see(core: &Core, user: &user::Model, lead_id: Uuid) -> AppResult<bool> {
    let actor = Actor::from_user(user, None);
    Ok(find_visible(&actor)
        .filter(lead::Column::Id.eq(lead_id))
        .count(core.reads())
        .await?
        > 0)
}

/// Sends one row (false when it was given back because the server is down).
async fn deliver(
    core: &Core,
    mailer: &Mailer,
    row: email_outbox::Model,
    down: &AtomicBool,
) -> AppResult<bool> {
    if down.load(Ordering::Relaxed) {
        email_outbox::Entity::update_many()
            .col_expr(
                email_outbox::Column::LockedUntil,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .filter(email_outbox::Column::Id.eq(row.id))
            .exec(core.db())
            .await?;
        return Ok(false);
    }
    let recipient = user::Entity::find_by_id(row.user_id)
        .one(core.reads())
        .await?
        .filter(|u| u.is_active);
    let recipient = match recipient {
        Some(user) if still_wanted(core, &user, &row.kind).await? => user,
        _ => {
            return finish(core, &row, EmailStatus::Skipped, None, None)
                .await
                .map(|()| true)
        }
    };
    let Ok(address) = recipient.email.parse::<lettre::Address>() else {
        let why = "the recipient's address cannot be mailed".to_string();
        return finish(core, &row, EmailStatus::Dead, Some(why), None)
            .await
            .map(|()| true);
    };
    let to = Mailbox::new(Some(recipient.full_name.clone()), address);
    let visible = match row.lead_id {
        Some(lead_id) => may_see(core, &recipient, lead_id).await?,
        None => false,
    };
    let message = compose(core, mailer, &row, &recipient, to, visible);
    let attempts = row.attempts + 1;
    let sent = mailer.send(&message).await;
    if matches!(sent, Err(SendError::Unreachable(_))) {
        down.store(true, Ordering::Relaxed);
    }
    let settled = match sent {
        Ok(()) => finish(core, &row, EmailStatus::Sent, None, Some(message)).await,
        Err(SendError::Permanent(why)) => {
            tracing::warn!(email = %row.id, error = %why, "the mail server refused a message for good");
            finish(core, &row, EmailStatus::Dead, Some(why), None).await
        }
        Err(SendError::Transient(why) | SendError::Unreachable(why))
            if attempts >= MAX_ATTEMPTS =>
        {
            tracing::warn!(email = %row.id, error = %why, attempts, "a message failed every attempt");
            finish(core, &row, EmailStatus::Dead, Some(why), None).await
        }
        Err(SendError::Transient(why) | SendError::Unreachable(why)) => {
            tracing::info!(email = %row.id, error = %why, attempts, "sending failed; will retry");
            let mut retry: email_outbox::ActiveModel = row.into();
            retry.attempts = Set(attempts);
            retry.next_attempt_at = Set(Utc::now() + backoff(attempts));
            retry.locked_until = Set(None);
            retry.last_error = Set(Some(why));
            retry
                .update(core.db())
                .await
                .map(|_| ())
                .map_err(Into::into)
        }
    };
    settled.map(|()| true)
}

/// Records how a row ended (and, when sent, what it said).
async fn finish(
    core: &Core,
    row: &email_outbox::Model,
    status: EmailStatus,
    error: Option<String>,
    sent: Option<Outgoing>,
) -> AppResult<()> {
    let mut done: email_outbox::ActiveModel = row.clone().into();
    done.status = Set(status);
    done.locked_until = Set(None);
    if status != EmailStatus::Skipped {
        done.attempts = Set(row.attempts + 1);
    }
    if error.is_some() {
        done.last_error = Set(error);
    }
    if let Some(message) = sent {
        done.sent_at = Set(Some(Utc::now()));
        done.subject = Set(message.subject);
        done.text_body = Set(message.text);
        done.html_body = Set(message.html);
    }
    done.update(core.db()).await?;
    Ok(())
}

/// The message as it goes out: the body (redacted when the lead is out of
/// the recipient's sight), a link to the lead, a link that turns this kind
/// of mail off.
fn compose(
    core: &Core,
    mailer: &Mailer,
    row: &email_outbox::Model,
    recipient: &user::Model,
    to: Mailbox,
    visible: bool,
) -> Outgoing {
    let body = if row.lead_id.is_some() && !visible {
        REDACTED.to_string()
    } else {
        row.text_body.clone()
    };
    let link = row
        .lead_id
        .filter(|_| visible)
        .map(|lead| format!("{}/leads/{lead}", mailer.public_url));
    let unsubscribe = core
        .auth()
        .keys
        .issue_unsubscribe(recipient.id, &row.kind, Utc::now())
        .ok()
        .map(|token| format!("{}/email/unsubscribe?token={token}", mailer.public_url));
    let kind_words = if row.kind == outbox::DIGEST {
        "the daily digest".to_string()
    } else {
        format!(
            "\"{}\" notifications",
            row.kind.to_lowercase().replace('_', " ")
        )
    };
    let mut text = format!("{body}\n");
    // A digest was composed whole, with its own markup.
    let mut html = if row.html_body.is_empty() {
        format!("<p>{}</p>", escape(&body))
    } else {
        row.html_body.clone()
    };
    if let Some(link) = &link {
        text.push_str(&format!("\nOpen the lead: {link}\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">Open the lead</a></p>",
            escape(link)
        ));
    }
    if let Some(unsubscribe) = &unsubscribe {
        text.push_str(&format!(
            "\n--\nStop emails about {kind_words}: {unsubscribe}\n"
        ));
        html.push_str(&format!(
            "<hr><p style=\"color:#666;font-size:12px\"><a href=\"{}\">Stop emails about {}</a></p>",
            escape(unsubscribe),
            escape(&kind_words)
        ));
    }
    Outgoing {
        id: row.id,
        to,
        subject: row.subject.clone(),
        text,
        html: format!("<!DOCTYPE html><html><body>{html}</body></html>"),
        unsubscribe,
    }
}
