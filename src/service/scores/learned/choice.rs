//! Keeping a trained model and deciding, by a fair comparison, whether it
//! replaces what scores now (see [`crate::learning::compare`]): the
//! candidate and the active model (or the rules) on the same leads, the
//! ones the active model never learned from, with enough of them to tell
//! and an advantage unlikely to be chance. The comparison is kept with the
//! model, whatever it decided.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{
    basis::PARAMS_FORMAT,
    models::{activated, make_active},
};
use crate::{
    auth::Actor,
    core::Core,
    entity::scoring_model::{
        self, Column, ComparedWith, ModelStatus, StoredComparison, StoredFeature, StoredFeatures,
        StoredMetrics, StoredParams,
    },
    error::{AppError, AppResult},
    learning::{
        compare::{compare, Decision},
        Trained,
    },
};
use uuid::Uuid;

/// What a training made, and what it read.
pub(super) struct Outcome {
    pub trained: Trained,
    pub won: u64,
    pub lost: u64,
    /// Taken as the outcomes were read: see `scoring_model::Model::data_mark`.
    pub mark: Uuid,
    /// The model it was weighed against (none: the rules).
    pub against: Option<scoring_model::Model>,
}

/// Stores the trained model READY with its figures and comparison, and
/// activates it if the comparison says so.
pub(super) async fn store(
    core: &Core,
    row: &scoring_model::Model,
    outcome: Outcome,
) -> AppResult<()> {
    let Outcome {
        trained,
        won,
        lost,
        mark,
        against,
    } = outcome;
    let evaluation = &trained.evaluation;
    let m = &evaluation.metrics;
    let incumbent = match &against {
        Some(model) => format!("the active model v{}", model.version),
        None => "the rules".to_string(),
    };
    let judged = compare(
        &evaluation.contest,
        &core.scoring().learned.policy,
        &incumbent,
    );
    let params = serde_json::to_value(&trained.model)
        .map_err(|e| AppError::internal(format!("serialising a model: {e}")))?;
    let mut ready: scoring_model::ActiveModel = row.clone().into();
    ready.status = Set(ModelStatus::Ready);
    ready.finished_at = Set(Some(Utc::now()));
    ready.processed = Set((won + lost) as i64);
    ready.labelled_leads = Set((won + lost) as i32);
    ready.won = Set(won as i32);
    ready.lost = Set(lost as i32);
    ready.data_mark = Set(Some(mark));
    ready.features = Set(StoredFeatures(
        trained
            .importances
            .iter()
            .map(|i| StoredFeature {
                name: i.name.clone(),
                kind: i.kind.clone(),
                importance: i.importance,
            })
            .collect(),
    ));
    ready.metrics = Set(Some(StoredMetrics {
        auc: m.auc,
        auc_low: Some(evaluation.interval.low),
        auc_high: Some(evaluation.interval.high),
        brier: m.brier,
        calibration_error: m.calibration_error,
        top_decile_lift: m.top_decile_lift,
        holdout: m.holdout as i64,
        rules_auc: evaluation.rules_auc,
        method: Some(evaluation.method.describe()),
    }));
    ready.comparison = Set(Some(StoredComparison {
        against: ComparedWith {
            model_id: against.as_ref().map(|m| m.id),
            version: against.as_ref().map(|m| m.version),
        },
        leads: judged.leads as i64,
        won: judged.won as i64,
        lost: judged.lost as i64,
        active_auc: judged.incumbent_auc,
        candidate_auc: judged.candidate_auc,
        difference: judged.difference,
        p_value: judged.p_value,
        decision: match judged.decision {
            Decision::Activate => "ACTIVATE",
            Decision::KeepReady => "KEEP_READY",
        }
        .into(),
        reason: judged.reason.clone(),
    }));
    ready.params = Set(Some(StoredParams {
        format: PARAMS_FORMAT,
        model: params,
    }));
    // READY and the activation commit together: nobody sees a model that
    // will be active a moment later as merely ready.
    let uow = core.begin().await?;
    let ready = ready.update(uow.conn()).await?;
    tracing::info!(
        model = %ready.id, version = ready.version, auc = m.auc, auc_low = evaluation.interval.low,
        auc_high = evaluation.interval.high, rules_auc = evaluation.rules_auc,
        calibration_error = m.calibration_error, held_out = m.holdout,
        method = %evaluation.method.describe(), "model trained"
    );
    // Activated meanwhile by an admin? Then the comparison was with another.
    let still = scoring_model::Entity::find()
        .filter(Column::Status.eq(ModelStatus::Active))
        .one(uow.conn())
        .await?;
    let unchanged = still.as_ref().map(|m| m.id) == against.as_ref().map(|m| m.id);
    let activate = judged.decision == Decision::Activate && unchanged;
    if activate {
        make_active(&uow, &Actor::operator(), ready, None).await?;
    }
    tracing::info!(model = %row.id, activated = activate, reason = %judged.reason, "model compared");
    uow.commit().await?;
    if activate {
        activated(core).await?;
    }
    Ok(())
}
