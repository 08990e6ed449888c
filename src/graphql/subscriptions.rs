//! Live updates over `/graphql/ws`. Each stream listens to the process's
//! [`Bus`](crate::bus::Bus) and reads what it sends from the database, as
//! the signed-in user, so it shows only what that user may see.
use std::collections::{HashSet, VecDeque};

use async_graphql::{Context, ErrorExtensions, Result, Subscription, ID};
use futures_util::{stream, Stream};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::{error::RecvError, Receiver};
use uuid::Uuid;

use super::{
    context::ContextExt,
    cursor,
    types::{LeadScore, Notification, NotificationAdded},
    users::parse_id,
};
use crate::{
    auth::Actor,
    bus::Event,
    entity::notification,
    service::{leads, notifications, scores},
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
        let events = ctx.api().bus.subscribe_user(actor.user_id);
        let first = notifications::unread_count(&db, &actor).await?;
        let state = (db, actor, events, None::<u64>, Some(first));
        Ok(stream::unfold(
            state,
            |(db, actor, mut events, last, pending)| async move {
                if let Some(count) = pending {
                    return Some((Ok(count), (db, actor, events, Some(count), None)));
                }
                loop {
                    match events.recv().await {
                        Ok(Event::UnreadChanged { user_id }) if user_id == actor.user_id => {
                            match notifications::unread_count(&db, &actor).await {
                                Ok(count) if Some(count) == last => continue,
                                Ok(count) => {
                                    return Some((
                                        Ok(count),
                                        (db, actor, events, Some(count), None),
                                    ))
                                }
                                Err(err) => {
                                    return Some((Err(err.into()), (db, actor, events, last, None)))
                                }
                            }
                        }
                        // Fell behind: the count is re-read, so nothing is lost.
                        Err(RecvError::Lagged(_)) => {
                            if let Ok(count) = notifications::unread_count(&db, &actor).await {
                                if Some(count) != last {
                                    return Some((
                                        Ok(count),
                                        (db, actor, events, Some(count), None),
                                    ));
                                }
                            }
                        }
                        Err(RecvError::Closed) => return None,
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
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                        Ok(_) => continue,
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
    events: Receiver<Event>,
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
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => {
                        self.ended = true;
                        let error = async_graphql::Error::new(format!(
                            "this subscription fell {missed} events behind and was closed: subscribe again with `after` set to the last notification's cursor"
                        ))
                        .extend_with(|_, e| e.set("code", "SLOW_CONSUMER"));
                        return Some(Err(error));
                    }
                    Err(RecvError::Closed) => return None,
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
