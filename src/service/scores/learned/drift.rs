//! Drift, watched. Once a model is active, every outcome recorded after its
//! training read its own is a test it never learned from: each such lead is
//! scored as it was just before its outcome, and the model's live AUC and
//! calibration error are kept with it (`live`), for the dashboard, the
//! metrics and the calibration report. When, on enough outcomes to say so,
//! the live AUC falls more than [`AUC_DROP`] below the figure the model was
//! measured at, or its calibration error passes [`CALIBRATION_LIMIT`], a
//! retraining starts and every admin is told, once per model.
use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    basis::loaded,
    history::histories,
    outcomes::labelled_among,
    priority,
    reading::recorded_after,
    training::{self, data_mark},
};
use crate::{
    core::Core,
    entity::{
        lead,
        notification::NotificationKind,
        scoring_model::{self, Column, ModelStatus, ModelTrigger, StoredLive},
        user::{self, Role},
    },
    error::{AppError, AppResult},
    learning::metrics,
    service::{
        notifications::{self, Notice},
        scores::inputs::inventory,
    },
};

/// How far below its measured AUC a model's live AUC may fall.
pub const AUC_DROP: f64 = 0.05;
/// The live calibration error past which a model is drifting.
pub const CALIBRATION_LIMIT: f64 = 0.1;
/// The most recent outcomes the live figures are computed on, at most.
const LIVE_MAX: usize = 5_000;
const BATCH: usize = 1_000;

/// Brings the active model's live figures up to date (when outcomes came
/// since the last look) and acts on drift. Returns them, if a model is
/// active.
pub async fn watch(core: &Core) -> AppResult<Option<StoredLive>> {
    let db = core.db();
    let Some(active) = scoring_model::Entity::find()
        .filter(Column::Status.eq(ModelStatus::Active))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mark = data_mark(&active);
    let fresh: Vec<Uuid> = recorded_after(db, mark).await?.into_iter().collect();
    let mut outcomes = labelled_among(db, &fresh).await?;
    if let Some(live) = &active.live {
        if live.outcomes == outcomes.len() as i64 {
            return Ok(Some(live.clone()));
        }
    }
    outcomes.sort_by_key(|o| std::cmp::Reverse(o.at));
    outcomes.truncate(LIVE_MAX);
    let model = Arc::new(loaded(&active)?);
    let inventory = inventory(db).await?;
    let mut scored: Vec<(f64, bool)> = Vec::with_capacity(outcomes.len());
    for batch in outcomes.chunks(BATCH) {
        let by_id: HashMap<Uuid, (bool, DateTime<Utc>)> =
            batch.iter().map(|o| (o.lead_id, (o.won, o.at))).collect();
        let leads = lead::Entity::find()
            .filter(lead::Column::Id.is_in(by_id.keys().copied()))
            .all(db)
            .await?;
        let at_outcome: Vec<(lead::Model, DateTime<Utc>)> = leads
            .into_iter()
            .filter_map(|l| by_id.get(&l.id).map(|(_, at)| (l, *at)))
            .collect();
        let read = histories(db, &at_outcome, &inventory).await?;
        let work: Vec<_> = at_outcome
            .iter()
            .zip(read)
            .map(|((lead, at), history)| (by_id[&lead.id].0, *at, history))
            .collect();
        let model = model.clone();
        scored.extend(
            priority::low(move || {
                work.into_iter()
                    .map(|(won, at, history)| {
                        let row = crate::learning::features(&history, at);
                        (model.model.predict(&row).probability, won)
                    })
                    .collect::<Vec<_>>()
            })
            .await?,
        );
    }
    let p: Vec<f64> = scored.iter().map(|s| s.0).collect();
    let y: Vec<bool> = scored.iter().map(|s| s.1).collect();
    let won = y.iter().filter(|w| **w).count();
    let lost = y.len() - won;
    let both = won > 0 && lost > 0;
    let now = core.clock().now();
    let mut live = StoredLive {
        outcomes: outcomes.len() as i64,
        won: won as i64,
        lost: lost as i64,
        auc: both.then(|| metrics::auc(&p, &y)),
        calibration_error: (!y.is_empty()).then(|| metrics::calibration_error(&p, &y, 10)),
        since: mark_time(mark).unwrap_or(active.created_at),
        computed_at: now,
        drift: None,
        drift_at: None,
    };
    let policy = core.scoring().learned.policy;
    let enough = y.len() >= policy.min_leads && won.min(lost) >= policy.min_per_outcome;
    let measured = active.metrics.as_ref().map(|m| m.auc);
    let reason = enough.then(|| drifting(&live, measured)).flatten();
    let earlier = active.live.as_ref().and_then(|l| l.drift_at);
    match (&reason, earlier) {
        (Some(why), None) => {
            live.drift = Some(why.clone());
            live.drift_at = Some(now);
        }
        (Some(why), Some(at)) => {
            live.drift = Some(why.clone());
            live.drift_at = Some(at);
        }
        (None, _) => {}
    }
    let first_time = reason.is_some() && earlier.is_none();
    let mut row: scoring_model::ActiveModel = active.clone().into();
    row.live = Set(Some(live.clone()));
    row.update(db).await?;
    if first_time {
        let why = live.drift.clone().unwrap_or_default();
        tracing::warn!(model = %active.id, version = active.version, %why, "the active model is drifting: retraining");
        announce(core, active.version, &why).await?;
        match training::begin(
            core,
            ModelTrigger::Drift,
            None,
            active.excluded_features.0.clone(),
        )
        .await
        {
            Ok(_) | Err(AppError::Conflict { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(Some(live))
}

/// Why live figures say the model drifted from `measured` (its AUC when
/// trained), if they do.
pub fn drifting(live: &StoredLive, measured: Option<f64>) -> Option<String> {
    if let (Some(auc), Some(measured)) = (live.auc, measured) {
        if measured - auc > AUC_DROP {
            return Some(format!(
                "its AUC on the {} outcomes since it was trained is {auc:.3}, {:.3} below the {measured:.3} it was measured at",
                live.outcomes,
                measured - auc
            ));
        }
    }
    match live.calibration_error {
        Some(error) if error > CALIBRATION_LIMIT => Some(format!(
            "its calibration error on the {} outcomes since it was trained is {error:.3}, above {CALIBRATION_LIMIT}",
            live.outcomes
        )),
        _ => None,
    }
}

/// When a UUID v7 was made.
fn mark_time(mark: Uuid) -> Option<DateTime<Utc>> {
    let (secs, nanos) = mark.get_timestamp()?.to_unix();
    DateTime::from_timestamp(secs as i64, nanos)
}

/// Tells every active admin, on the bell.
async fn announce(core: &Core, version: i32, why: &str) -> AppResult<()> {
    let admins: Vec<Uuid> = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::IsActive.eq(true))
        .all(core.db())
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let uow = core.begin().await?;
    notifications::push(
        &uow,
        admins
            .into_iter()
            .map(|user_id| Notice {
                user_id,
                kind: NotificationKind::ModelDrift,
                title: format!("Scoring model v{version} is drifting: retraining"),
                body: format!("The active model's {why}. A new model is being trained; it replaces v{version} if it does better on the same leads."),
                lead_id: None,
            })
            .collect(),
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// The active model as operators watch it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelFigures {
    pub version: i32,
    /// The AUC it was measured at when trained.
    pub measured_auc: Option<f64>,
    /// Its live figures, once outcomes arrived after its training.
    pub live: Option<StoredLive>,
}

/// The active model's figures; none while the rules score alone. Reads
/// the row only (a look computes them).
pub async fn figures(core: &Core) -> AppResult<Option<ModelFigures>> {
    Ok(scoring_model::Entity::find()
        .filter(Column::Status.eq(ModelStatus::Active))
        .one(core.reads())
        .await?
        .map(|m| ModelFigures {
            version: m.version,
            measured_auc: m.metrics.as_ref().map(|x| x.auc),
            live: m.live,
        }))
}
