//! When a model is trained without anyone asking: once there are enough
//! outcomes for a first one, every retraining interval, and whenever the
//! outcomes have grown by a tenth since the newest model.
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{outcomes, training};
use crate::{
    core::Core,
    entity::scoring_model::{self, Column, ModelStatus, ModelTrigger},
    error::{AppError, AppResult},
};

/// Checked at every sweep tick.
pub async fn retrain_if_due(core: &Core) -> AppResult<()> {
    let models = scoring_model::Entity::find()
        .filter(Column::Status.ne(ModelStatus::Failed))
        .order_by_desc(Column::Version)
        .all(core.db())
        .await?;
    if models.iter().any(|m| m.status == ModelStatus::Training) {
        return Ok(());
    }
    let counts = outcomes::count(core.db()).await?;
    if core
        .scoring()
        .learned
        .enough(counts.won, counts.lost)
        .is_err()
    {
        return Ok(());
    }
    let trigger = match models.first() {
        None => Some(ModelTrigger::Outcomes),
        Some(newest) => {
            let grown = counts.labelled() as f64 >= 1.1 * f64::from(newest.labelled_leads.max(1));
            let interval = core.scoring().retrain_interval;
            let aged = interval.zip(newest.finished_at).is_some_and(|(every, at)| {
                Utc::now() - at
                    >= chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX)
            });
            if grown {
                Some(ModelTrigger::Outcomes)
            } else if aged {
                Some(ModelTrigger::Schedule)
            } else {
                None
            }
        }
    };
    if let Some(trigger) = trigger {
        let excluded = models
            .first()
            .map(|m| m.excluded_features.0.clone())
            .unwrap_or_default();
        tracing::info!(
            ?trigger,
            labelled = counts.labelled(),
            "training a new scoring model"
        );
        match training::begin(core, trigger, None, excluded).await {
            // Another replica's sweep started it first.
            Err(AppError::Conflict { .. }) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}
