//! `leadScoreChanged`: the lead's score each time its result changes; the
//! stream ends with NOT_FOUND when the subscriber loses the lead.
use std::sync::Arc;

use futures_util::{stream, Stream};
use uuid::Uuid;

use super::access_ended;
use crate::{
    entity::{lead_insight, lead_score},
    error::{AppError, AppResult},
    events::{
        bus::{Delivery, Event, Missed, Subscriber},
        ports::ScoreReads,
        shared::{Read, SharedReads},
    },
};

pub type ScoreItem = (lead_score::Model, Vec<lead_insight::Model>);

/// Opens the stream for `lead_id` after checking access to the user and
/// (through `reads`) to the lead.
pub async fn score_watch<R: ScoreReads>(
    reads: R,
    lead_id: Uuid,
    events: Subscriber,
    shared: Arc<SharedReads>,
) -> AppResult<impl Stream<Item = AppResult<ScoreItem>> + Send> {
    if !shared.bounded(reads.still_allowed()).await? {
        return Err(access_ended());
    }
    let current = shared.bounded(reads.current()).await?;
    let watch = Watch {
        reads,
        lead_id,
        events,
        shared,
        last_sent: current.map(|(score, _)| score.id),
        ended: false,
    };
    watch.events.ready();
    Ok(stream::unfold(watch, |mut watch| async move {
        let item = watch.next().await?;
        Some((item, watch))
    }))
}

struct Watch<R> {
    reads: R,
    lead_id: Uuid,
    events: Subscriber,
    shared: Arc<SharedReads>,
    /// The score row the subscriber has: a catch-up sends only a newer one.
    last_sent: Option<Uuid>,
    ended: bool,
}

impl<R: ScoreReads> Watch<R> {
    async fn next(&mut self) -> Option<AppResult<ScoreItem>> {
        if self.ended {
            return None;
        }
        loop {
            let reads = &self.reads;
            let current = match self.events.recv().await {
                Ok(Delivery {
                    seq,
                    event: Event::ScoreChanged { lead_id },
                }) if lead_id == self.lead_id => {
                    // This stream hears its lead, not its user: check the user here.
                    match self
                        .shared
                        .get(seq, Read::Access, || reads.still_allowed())
                        .await
                    {
                        Ok(true) => {}
                        Ok(false) => return self.end(access_ended()),
                        Err(err) => return self.end(err),
                    }
                    self.shared
                        .get(seq, Read::Score(lead_id), || reads.current())
                        .await
                }
                Ok(_) => continue,
                Err(Missed::Gap) => {
                    match self.shared.bounded(reads.still_allowed()).await {
                        Ok(true) => {}
                        Ok(false) => return self.end(access_ended()),
                        Err(err) => return self.end(err),
                    }
                    self.shared.bounded(reads.current()).await
                }
                Err(Missed::Lagged) => return self.end(AppError::SlowConsumer),
                Err(Missed::Closed) => return None,
            };
            match current {
                Ok(Some((score, insights))) if Some(score.id) != self.last_sent => {
                    self.last_sent = Some(score.id);
                    return Some(Ok((score, insights)));
                }
                Ok(_) => continue,
                // Access lost (or the lead deleted): say so, then end.
                Err(err) => return self.end(err),
            }
        }
    }

    fn end(&mut self, error: AppError) -> Option<AppResult<ScoreItem>> {
        self.ended = true;
        Some(Err(error))
    }
}
