//! The daily digest: at the configured local hour in each user's time
//! zone, the notifications they get by digest that are still unread since
//! the last one, and the top 5 of their call list with its reasons. The
//! outbox's unique key (`digest:<user>:<local date>`) makes it one per user
//! per local day, whatever number of replicas or restarts.
use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use sea_orm::{
    sea_query::{Expr, Query},
    ColumnTrait, EntityTrait, Iterable, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::outbox::{self, Draft, DIGEST};
use crate::{
    auth::Actor,
    core::Core,
    entity::{
        email_outbox,
        notification::{self, NotificationKind},
        notification_preference::Delivery,
        user,
    },
    error::AppResult,
    service::{notifications, scores},
    smtp::{escape_html as escape, Mailer},
};

/// At most this many notifications are listed (the rest are counted).
const LISTED: u64 = 50;

/// Writes the digests due at `now`; how many. Asked every minute, so it
/// reads only the users of zones whose hour has come who have no digest
/// since their local midnight (one query per zone in use), not every user.
pub async fn run_due(core: &Core, mailer: &Mailer, now: DateTime<Utc>) -> AppResult<usize> {
    let zones: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::TimeZone)
        .distinct()
        .filter(user::Column::IsActive.eq(true))
        .into_tuple()
        .all(core.reads())
        .await?;
    let mut due: Vec<(user::Model, String)> = Vec::new();
    for name in zones {
        let zone: Tz = name.parse().unwrap_or(Tz::UTC);
        let local = now.with_timezone(&zone);
        if local.hour() < u32::from(mailer.digest_hour) {
            continue;
        }
        let midnight = local
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|start| zone.from_local_datetime(&start).earliest())
            .map(|start| start.with_timezone(&Utc))
            // A zone whose clocks skipped midnight today.
            .unwrap_or(now - Duration::seconds(i64::from(local.num_seconds_from_midnight())));
        let users = user::Entity::find()
            .filter(user::Column::IsActive.eq(true))
            .filter(user::Column::TimeZone.eq(name.as_str()))
            .filter(not_digested_since(midnight))
            .all(core.reads())
            .await?;
        due.extend(users.into_iter().map(|user| {
            let key = format!("digest:{}:{}", user.id, local.date_naive());
            (user, key)
        }));
    }
    let mut count = 0;
    for (user, key) in due {
        // The key's unique index settles a race with another replica.
        if write(core, mailer, &user, key, now).await? {
            count += 1;
        }
    }
    Ok(count)
}

/// Users with no digest written at or after `since`.
fn not_digested_since(since: DateTime<Utc>) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    let digest = Query::select()
        .expr(Expr::val(1))
        .from(email_outbox::Entity)
        .and_where(
            Expr::col((email_outbox::Entity, email_outbox::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .and_where(Expr::col((email_outbox::Entity, email_outbox::Column::Kind)).eq(DIGEST))
        .and_where(Expr::col((email_outbox::Entity, email_outbox::Column::CreatedAt)).gte(since))
        .to_owned();
    Expr::exists(digest).not()
}

async fn write(
    core: &Core,
    mailer: &Mailer,
    user: &user::Model,
    key: String,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let db = core.reads();
    let since = email_outbox::Entity::find()
        .select_only()
        .column(email_outbox::Column::CreatedAt)
        .filter(email_outbox::Column::UserId.eq(user.id))
        .filter(email_outbox::Column::Kind.eq(DIGEST))
        .order_by_desc(email_outbox::Column::CreatedAt)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    let chosen = outbox::deliveries(db, &HashSet::from([user.id])).await?;
    let digest_kinds: Vec<_> = NotificationKind::iter()
        .filter(|kind| chosen.of(user.id, *kind) == Delivery::DailyDigest)
        .collect();
    let notes = if digest_kinds.is_empty() {
        Vec::new()
    } else {
        let mut unread = notification::Entity::find()
            .filter(notification::Column::UserId.eq(user.id))
            .filter(notification::Column::ReadAt.is_null());
        // The first digest lists everything still unread.
        if let Some(since) = since {
            unread = unread.filter(notification::Column::CreatedAt.gt(since));
        }
        unread
            .filter(notification::Column::Kind.is_in(digest_kinds))
            .order_by_desc(notification::Column::Id)
            .limit(LISTED)
            .all(db)
            .await?
    };
    let actor = Actor::from_user(user, None);
    // The bell's rule: a lead out of sight loses its body and link.
    let notes = notifications::redact(db, &actor, notes).await?;
    let top = scores::prioritized(core, &actor, 5, None).await?;
    if notes.is_empty() && top.is_empty() {
        return Ok(false);
    }
    let local_date = key.rsplit(':').next().unwrap_or_default().to_string();
    let subject = format!(
        "Your leadscore digest for {local_date}: {} update{}",
        notes.len(),
        if notes.len() == 1 { "" } else { "s" }
    );
    let lead_link = |id: Uuid| format!("{}/leads/{id}", mailer.public_url);
    let mut text = format!("Good morning {},\n\n", user.full_name);
    let mut html = format!("<p>Good morning {},</p>", escape(&user.full_name));
    if !notes.is_empty() {
        text.push_str("Since your last digest:\n");
        html.push_str("<h2>Since your last digest</h2><ul>");
        for note in &notes {
            text.push_str(&format!("- {}: {}\n", note.title, note.body));
            html.push_str(&format!(
                "<li><b>{}</b>: {}",
                escape(&note.title),
                escape(&note.body)
            ));
            if let Some(id) = note.lead_id {
                text.push_str(&format!("  {}\n", lead_link(id)));
                html.push_str(&format!(" <a href=\"{}\">open</a>", escape(&lead_link(id))));
            }
            html.push_str("</li>");
        }
        html.push_str("</ul>");
    }
    if !top.is_empty() {
        text.push_str("\nCall next:\n");
        html.push_str("<h2>Call next</h2><ol>");
        for (rank, item) in top.iter().enumerate() {
            let name = format!("{} {}", item.lead.first_name, item.lead.last_name);
            let why = item.reasons.join("; ");
            text.push_str(&format!(
                "{}. {name} (score {}): {why}\n   {}\n",
                rank + 1,
                item.score.total,
                lead_link(item.lead.id)
            ));
            html.push_str(&format!(
                "<li><a href=\"{}\">{}</a> (score {}): {}</li>",
                escape(&lead_link(item.lead.id)),
                escape(&name),
                item.score.total,
                escape(&why)
            ));
        }
        html.push_str("</ol>");
    }
    let digest = Draft {
        user_id: user.id,
        kind: DIGEST.into(),
        dedupe_key: key,
        lead_id: None,
        subject,
        text,
        html,
    };
    // Due at once (`now` is later than the clock only in tests).
    let inserted = outbox::insert(core.db(), vec![digest], now, now.min(Utc::now())).await?;
    Ok(inserted > 0)
}
