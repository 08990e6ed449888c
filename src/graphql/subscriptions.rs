//! Live updates over `/graphql/ws`. Each stream listens to the process's
//! [`Bus`](crate::bus::Bus) and reads what it sends from the database, as
//! the signed-in user, so it shows only what that user may see.
use std::collections::{HashSet, VecDeque};

use async_graphql::{Context, ErrorExtensions, Result, Subscription, ID};
use futures_util::{stream, Stream};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    context::ContextExt,
    cursor,
    types::{LeadScore, Notification, NotificationAdded},
    users::parse_id,
};
use crate::{
    auth::Actor,
    bus::{Event, Missed, Subscriber, PER_SUBSCRIBER},
    entity::notification,
    error::AppError,
    service::{accounts, leads, notifications, scores},
};

/// Ids a stream remembers having sent, to drop repeats (a replay meeting
/// the live feed, or a reconnected listener re-announcing).
const REMEMBERED: usize = 2_048;

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Each new notification for you, with the new unread count. With
    /// `after` (a notification's `cursor`), first everything since then, in
    /// order, then live: no gap and no repeat at the seam. A client that
    /// falls too far behind gets a SLOW_CONSUMER error and the stream ends;
    /// it resumes with `after`.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<NotificationAdded>>> {
        let actor = ctx.actor()?.clone();
        let db = ctx.api().db.clone();
        ensure_access(&db, &actor).await?;
        // Listen before reading the backlog, so nothing falls between them.
        let events = ctx.api().bus.subscribe_user(actor.user_id);
        let backlog = match after.as_deref() {
            Some(c) => notifications::since(&db, &actor, cursor::decode("after", c)?).await?,
            None => Vec::new(),
        };
        let feed = Feed {
            db,
            actor,
            events,
            backlog: backlog.into(),
            sent: Remembered::default(),
            ended: false,
        };
        Ok(stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item, feed))
        }))
    }

    /// Your unread count: now, then whenever it changes (a new
    /// notification, or another tab marking some read).
    async fn unread_notification_count_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<u64>>> {
        let actor = ctx.actor()?.clone();
        let db = ctx.api().db.clone();
        ensure_access(&db, &actor).await?;
        let events = ctx.api().bus.subscribe_user(actor.user_id);
        let first = notifications::unread_count(&db, &actor).await?;
        let state = (db, actor, events, None::<u64>, Some(first), false);
        Ok(stream::unfold(
            state,
            |(db, actor, mut events, last, pending, ended)| async move {
                if ended {
                    return None;
                }
                if let Some(count) = pending {
                    return Some((Ok(count), (db, actor, events, Some(count), None, false)));
                }
                loop {
                    match events.recv().await {
                        Ok(Event::UnreadChanged { user_id }) if user_id == actor.user_id => {
                            match notifications::unread_count(&db, &actor).await {
                                Ok(count) if Some(count) == last => continue,
                                Ok(count) => {
                                    return Some((
                                        Ok(count),
                                        (db, actor, events, Some(count), None, false),
                                    ))
                                }
                                Err(err) => {
                                    return Some((
                                        Err(err.into()),
                                        (db, actor, events, last, None, false),
                                    ))
                                }
                            }
                        }
                        Ok(Event::AccessChanged { .. }) => {
                            if let Some(error) = access_ended(&db, &actor).await {
                                return Some((Err(error), (db, actor, events, last, None, true)));
                            }
                        }
                        Err(Missed::Lagged) => {
                            return Some((
                                Err(slow_consumer()),
                                (db, actor, events, last, None, true),
                            ))
                        }
                        Err(Missed::Closed) => return None,
                        Ok(_) => {}
                    }
                }
            },
        ))
    }

    /// The lead's score each time its result changes. NOT_FOUND at once for
    /// a lead you may not see; the stream ends with NOT_FOUND if you lose it.
    async fn lead_score_changed(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
    ) -> Result<impl Stream<Item = Result<LeadScore>>> {
        let actor = ctx.actor()?.clone();
        let db = ctx.api().db.clone();
        let lead_id = parse_id("leadId", &lead_id)?;
        ensure_access(&db, &actor).await?;
        let events = ctx.api().bus.subscribe_lead(lead_id);
        leads::get(&db, &actor, lead_id).await?;
        let state = (db, actor, events, false);
        Ok(stream::unfold(
            state,
            move |(db, actor, mut events, ended)| async move {
                if ended {
                    return None;
                }
                loop {
                    match events.recv().await {
                        Ok(Event::ScoreChanged { lead_id: id }) if id == lead_id => {}
                        Err(Missed::Lagged) => {
                            return Some((Err(slow_consumer()), (db, actor, events, true)))
                        }
                        Err(Missed::Closed) => return None,
                        Ok(_) => continue,
                    }
                    // This stream hears its lead, not its user: check the user here.
                    if let Some(error) = access_ended(&db, &actor).await {
                        return Some((Err(error), (db, actor, events, true)));
                    }
                    match scores::current(&db, &actor, lead_id).await {
                        Ok(Some((score, insights))) => {
                            return Some((
                                Ok(LeadScore { score, insights }),
                                (db, actor, events, false),
                            ))
                        }
                        Ok(None) => continue,
                        // Access lost (or the lead deleted): say so, then end.
                        Err(err) => return Some((Err(err.into()), (db, actor, events, true))),
                    }
                }
            },
        ))
    }
}

/// Re-checks a connection's signed-in user when their access changed
/// (deactivated, demoted, signed out): `Some(error)` if it ended.
async fn access_ended(db: &DatabaseConnection, actor: &Actor) -> Option<async_graphql::Error> {
    match Box::pin(accounts::still_valid(db, actor)).await {
        Ok(true) => None,
        Ok(false) => Some(
            AppError::Unauthenticated(
                "your session ended or your access changed: sign in again and resubscribe".into(),
            )
            .into(),
        ),
        Err(err) => Some(err.into()),
    }
}

/// The start of every subscription: the connection's user may still act.
async fn ensure_access(db: &DatabaseConnection, actor: &Actor) -> Result<()> {
    match access_ended(db, actor).await {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// What a subscriber that let its queue fill hears before its stream ends.
fn slow_consumer() -> async_graphql::Error {
    async_graphql::Error::new(format!(
        "this subscription fell {PER_SUBSCRIBER} events behind and was closed: subscribe again \
         (for notificationAdded, with `after` set to the last notification's cursor)"
    ))
    .extend_with(|_, e| e.set("code", "SLOW_CONSUMER"))
}

/// The last ids a stream sent.
#[derive(Default)]
struct Remembered {
    order: VecDeque<Uuid>,
    ids: HashSet<Uuid>,
}

impl Remembered {
    fn contains(&self, id: &Uuid) -> bool {
        self.ids.contains(id)
    }

    fn insert(&mut self, id: Uuid) {
        if self.ids.insert(id) {
            self.order.push_back(id);
            if self.order.len() > REMEMBERED {
                if let Some(old) = self.order.pop_front() {
                    self.ids.remove(&old);
                }
            }
        }
    }
}

/// One `notificationAdded` stream: the replayed backlog, then live events.
struct Feed {
    db: DatabaseConnection,
    actor: Actor,
    events: Subscriber,
    backlog: VecDeque<notification::Model>,
    sent: Remembered,
    ended: bool,
}

impl Feed {
    /// The announced notification. On SQLite an event can be seen before the
    /// writer's commit by another connection to the file, so a missing row
    /// is looked for a few more times; a rolled-back one is then skipped.
    async fn read(&self, id: Uuid) -> crate::error::AppResult<Option<notification::Model>> {
        for attempt in 0..5u64 {
            if let Some(row) = notifications::get(&self.db, &self.actor, id).await? {
                return Ok(Some(row));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20 * (attempt + 1))).await;
        }
        Ok(None)
    }

    async fn next(&mut self) -> Option<Result<NotificationAdded>> {
        if self.ended {
            return None;
        }
        loop {
            let row = match self.backlog.pop_front() {
                Some(row) => row,
                None => match self.events.recv().await {
                    Ok(Event::Notification { id, user_id })
                        if user_id == self.actor.user_id && !self.sent.contains(&id) =>
                    {
                        match self.read(id).await {
                            Ok(Some(row)) => row,
                            Ok(None) => continue,
                            Err(err) => return Some(Err(err.into())),
                        }
                    }
                    Ok(Event::AccessChanged { .. }) => {
                        match access_ended(&self.db, &self.actor).await {
                            Some(error) => {
                                self.ended = true;
                                return Some(Err(error));
                            }
                            None => continue,
                        }
                    }
                    Ok(_) => continue,
                    Err(Missed::Lagged) => {
                        self.ended = true;
                        return Some(Err(slow_consumer()));
                    }
                    Err(Missed::Closed) => return None,
                },
            };
            if self.sent.contains(&row.id) {
                continue;
            }
            self.sent.insert(row.id);
            return Some(
                match notifications::unread_count(&self.db, &self.actor).await {
                    Ok(unread_count) => Ok(NotificationAdded {
                        notification: Notification(row),
                        unread_count,
                    }),
                    Err(err) => Err(err.into()),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::user::Role;

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_so_and_its_stream_ends() {
        let bus = crate::bus::Bus::default();
        let user_id = Uuid::now_v7();
        let events = bus.subscribe_user(user_id);
        for _ in 0..PER_SUBSCRIBER + 5 {
            bus.dispatch(Event::UnreadChanged { user_id });
        }
        let mut feed = Feed {
            db: DatabaseConnection::default(),
            actor: Actor {
                user_id,
                role: Role::SalesRep,
                email: "rep@example.com".into(),
                session_id: None,
                api_key: None,
            },
            events,
            backlog: VecDeque::new(),
            sent: Remembered::default(),
            ended: false,
        };

        let error = feed.next().await.expect("an item").err().expect("an error");

        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("SLOW_CONSUMER")));
        assert!(error.message.contains("after"));
        assert!(feed.next().await.is_none());
    }

    #[test]
    fn a_stream_remembers_a_bounded_number_of_sent_ids() {
        let mut sent = Remembered::default();
        let first = Uuid::now_v7();
        sent.insert(first);
        for _ in 0..REMEMBERED {
            sent.insert(Uuid::now_v7());
        }
        assert!(!sent.contains(&first));
        assert_eq!(sent.ids.len(), REMEMBERED);
    }
}
