//! Reading what a training learns from: every labelled lead as it was just
//! before its outcome, a batch at a time, straight into the encoded
//! training set (no raw row outlives its batch), beside what scores now on
//! the leads the active model never learned from. Leads are read in the
//! order of a hash of their id, so the first ones (that type the features)
//! are a fair sample. The CPU work runs at low priority on a bounded
//! thread, and each batch waits for the last, so the API keeps its pace.
use std::{collections::HashMap, collections::HashSet, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    history::histories,
    outcomes::{self, Outcome},
};
use crate::{
    core::Core,
    entity::{lead, lead::LeadStatus, lead_status_change},
    error::{AppError, AppResult},
    learning::{observe, slice_key, ActiveModel, Collector, Labelled, TrainingSet},
    service::scores::inputs::inventory,
};

/// Labelled leads read per batch.
const BATCH: usize = 1_000;

/// What scores now, as a training weighs a candidate against it.
pub enum Incumbent {
    /// No model is active: the rules, on every lead.
    Rules,
    /// The active model, on the leads whose outcome was recorded after its
    /// training read its own (`mark`).
    Model { model: Arc<ActiveModel>, mark: Uuid },
}

/// The leads whose outcome was recorded after `mark` (a UUID v7 taken when
/// a training read the outcomes): those it never learned from.
pub async fn recorded_after<C: sea_orm::ConnectionTrait>(
    conn: &C,
    mark: Uuid,
) -> AppResult<HashSet<Uuid>> {
    let ids: Vec<Uuid> = lead_status_change::Entity::find()
        .select_only()
        .column(lead_status_change::Column::LeadId)
        .filter(lead_status_change::Column::Id.gt(mark))
        .filter(lead_status_change::Column::ToStatus.is_in([LeadStatus::Won, LeadStatus::Lost]))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// The labelled leads, read and encoded; `progress` hears how many so far.
pub async fn training_set(
    core: &Core,
    excluded: Vec<String>,
    incumbent: &Incumbent,
    progress: impl Fn(usize) -> futures_util::future::BoxFuture<'static, AppResult<()>>,
) -> AppResult<TrainingSet> {
    let db = core.db();
    let mut labelled: Vec<Outcome> = outcomes::labelled(db).await?;
    labelled.sort_by_key(|o| (slice_key(o.lead_id.as_bytes()), o.lead_id));
    let fresh = match incumbent {
        Incumbent::Rules => None,
        Incumbent::Model { mark, .. } => Some(recorded_after(db, *mark).await?),
    };
    let inventory = inventory(db).await?;
    let mut collector = Collector::new(excluded);
    for (i, batch) in labelled.chunks(BATCH).enumerate() {
        if core.tasks().is_stopping() {
            return Err(AppError::internal("training stopped by shutdown"));
        }
        let by_id: HashMap<Uuid, &Outcome> = batch.iter().map(|o| (o.lead_id, o)).collect();
        let leads = lead::Entity::find()
            .filter(lead::Column::Id.is_in(by_id.keys().copied()))
            .filter(lead::Column::DeletedAt.is_null())
            .order_by_asc(lead::Column::Id)
            .all(db)
            .await?;
        let at_outcome: Vec<(lead::Model, DateTime<Utc>)> = leads
            .into_iter()
            .filter_map(|l| by_id.get(&l.id).map(|o| (l, o.at)))
            .collect();
        let read = histories(db, &at_outcome, &inventory).await?;
        let work: Vec<(Uuid, DateTime<Utc>, bool, bool, _)> = at_outcome
            .iter()
            .zip(read)
            .map(|((lead, at), history)| {
                let outcome = by_id[&lead.id];
                let contested = fresh.as_ref().is_none_or(|f| f.contains(&lead.id));
                (lead.id, *at, outcome.won, contested, history)
            })
            .collect();
        let model = match incumbent {
            Incumbent::Model { model, .. } => Some(model.clone()),
            Incumbent::Rules => None,
        };
        collector = super::priority::low(move || {
            for (id, at, won, contested, history) in work {
                let (row, rule_total) = observe(&history, at);
                let incumbent = contested.then(|| match &model {
                    Some(active) => active.model.predict(&row).probability as f32,
                    None => f32::from(rule_total) / 100.0,
                });
                collector.push(
                    row,
                    Labelled {
                        key: slice_key(id.as_bytes()),
                        converted: won,
                        at: at.timestamp(),
                        rule_total,
                        incumbent,
                    },
                );
            }
            collector
        })
        .await?;
        progress(((i + 1) * BATCH).min(labelled.len())).await?;
    }
    super::priority::low(move || collector.finish()).await
}
