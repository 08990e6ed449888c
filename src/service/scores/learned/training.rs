//! Training a model: an admin asks (or the schedule does), a background
//! task the application owns reads every labelled lead as it was before
//! its outcome, fits, measures on held-out leads, stores the model, and
//! activates it if it ranks held-out leads better than the model (or, with
//! none, the rules) scoring now. One training runs at a time, on any
//! replica; one whose server stopped is marked failed at the next sweep.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    basis::PARAMS_FORMAT,
    history::histories,
    models::{activated, make_active},
    outcomes::{self, Outcome},
};
use crate::{
    auth::Actor,
    core::Core,
    db::dialect::unique_violation,
    entity::{
        lead,
        scoring_model::{
            self, Column, FeatureNames, ModelKind, ModelStatus, ModelTrigger, StoredFeature,
            StoredFeatures, StoredMetrics, StoredParams,
        },
    },
    error::{AppError, AppResult},
    learning::{
        history::names_a_feature, model::DEFAULT_ALPHA, observe, slice_key, train, EncoderConfig,
        Example, TrainConfig, Trained,
    },
    service::{audit, lease::ABANDONED_AFTER, scores::inputs::inventory},
};

/// Labelled leads read per batch.
const BATCH: usize = 1_000;
/// Feature names an exclusion may hold, and how long each may be.
const MAX_EXCLUDED: usize = 200;

/// Starts training a model in the background (admins); `excluded` names
/// features (or `prefix*`) it must not use.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn start(
    core: &Core,
    actor: &Actor,
    excluded: Vec<String>,
) -> AppResult<scoring_model::Model> {
    actor.person()?.require_admin()?;
    if excluded.len() > MAX_EXCLUDED {
        return Err(AppError::bad_input(
            "excluded_features",
            format!("at most {MAX_EXCLUDED} exclusions"),
        ));
    }
    if let Some(bad) = excluded.iter().position(|e| {
        e.trim().is_empty() || e.chars().count() > 200 || e.chars().any(char::is_control)
    }) {
        return Err(AppError::bad_input(
            format!("excluded_features[{bad}]"),
            "a feature name is 1 to 200 characters without control characters",
        ));
    }
    if let Some(bad) = excluded.iter().position(|e| !names_a_feature(e.trim())) {
        return Err(AppError::bad_input(
            format!("excluded_features[{bad}]"),
            "no feature has this name: use a name from a model's `features`, \
             or a prefix ending in `*` such as `attributes.*`",
        ));
    }
    let model = begin(core, ModelTrigger::Manual, Some(actor), excluded).await?;
    audit::acted(
        core.db(),
        actor,
        "scoring_model.training_requested",
        ("scoring_model", model.id),
        json!({ "version": model.version, "excludedFeatures": model.excluded_features.0 }),
    )
    .await?;
    Ok(model)
}

/// Records a training and starts it; CONFLICT when the data is too thin or
/// another training is running.
pub(super) async fn begin(
    core: &Core,
    trigger: ModelTrigger,
    requested_by: Option<&Actor>,
    excluded: Vec<String>,
) -> AppResult<scoring_model::Model> {
    let counts = outcomes::count(core.db()).await?;
    if let Err(why) = core.scoring().learned.enough(counts.won, counts.lost) {
        return Err(AppError::Conflict {
            field: None,
            message: format!("not enough outcomes to learn from yet ({why})"),
            existing_id: None,
        });
    }
    let newest = scoring_model::Entity::find()
        .order_by_desc(Column::Version)
        .one(core.db())
        .await?;
    let now = Utc::now();
    let row = scoring_model::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(newest.map_or(1, |m| m.version + 1)),
        kind: Set(ModelKind::LogisticRegression),
        status: Set(ModelStatus::Training),
        trigger: Set(trigger),
        requested_by: Set(requested_by.map(|a| a.user_id).filter(|id| !id.is_nil())),
        created_at: Set(now),
        started_at: Set(Some(now)),
        finished_at: Set(None),
        heartbeat_at: Set(Some(now)),
        activated_at: Set(None),
        total: Set(counts.labelled() as i64),
        processed: Set(0),
        error: Set(None),
        labelled_leads: Set(0),
        won: Set(0),
        lost: Set(0),
        excluded_features: Set(FeatureNames(excluded)),
        features: Set(StoredFeatures::default()),
        metrics: Set(None),
        params: Set(None),
    }
    .insert(core.db())
    .await
    .map_err(|err| {
        if unique_violation(&err).is_some() {
            AppError::Conflict {
                field: None,
                message: "a model is already training: wait for it to finish".into(),
                existing_id: None,
            }
        } else {
            err.into()
        }
    })?;
    let owned = core.clone();
    let job = row.clone();
    core.tasks()
        .spawn("model training", move |_stop| run(owned, job))
        .await;
    Ok(row)
}

/// Trains, then records the model or why it failed.
async fn run(core: Core, row: scoring_model::Model) {
    let id = row.id;
    tracing::info!(model = %id, version = row.version, "training a scoring model");
    let started = std::time::Instant::now();
    let trained = work(&core, &row).await;
    let recorded = match trained {
        Ok((trained, won, lost)) => store(&core, &row, trained, won, lost).await,
        Err(err) => {
            err.log();
            let why = if core.tasks().is_stopping() {
                "the server stopped while training: train again".to_string()
            } else {
                format!("{}: {}", err.code(), err.message())
            };
            fail(&core, id, why).await
        }
    };
    match recorded {
        Ok(()) => {
            tracing::info!(model = %id, seconds = started.elapsed().as_secs_f64(), "training ended")
        }
        Err(err) => {
            tracing::error!(model = %id, error = %err.message(), "could not record a training's end")
        }
    }
}

async fn fail(core: &Core, id: Uuid, why: String) -> AppResult<()> {
    scoring_model::Entity::update_many()
        .col_expr(Column::Status, Expr::value(ModelStatus::Failed))
        .col_expr(Column::Error, Expr::value(why))
        .col_expr(Column::FinishedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(core.db())
        .await?;
    Ok(())
}

/// Reads every labelled lead as it was before its outcome and fits.
async fn work(core: &Core, row: &scoring_model::Model) -> AppResult<(Trained, u64, u64)> {
    let db = core.db();
    let reading = std::time::Instant::now();
    let labelled: Vec<Outcome> = outcomes::labelled(db).await?;
    let inventory = inventory(db).await?;
    let mut examples = Vec::with_capacity(labelled.len());
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
        let at_outcome: Vec<(lead::Model, chrono::DateTime<Utc>)> = leads
            .into_iter()
            .filter_map(|l| by_id.get(&l.id).map(|o| (l, o.at)))
            .collect();
        for ((lead, cutoff), history) in at_outcome
            .iter()
            .zip(histories(db, &at_outcome, &inventory).await?)
        {
            let (row, rule_total) = observe(&history, *cutoff);
            examples.push(Example {
                key: slice_key(lead.id.as_bytes()),
                row,
                converted: by_id.get(&lead.id).is_some_and(|o| o.won),
                rule_total,
            });
        }
        beat(core, row.id, ((i + 1) * BATCH).min(labelled.len()) as i64).await?;
    }
    let won = examples.iter().filter(|e| e.converted).count() as u64;
    let lost = examples.len() as u64 - won;
    let mut encoder = EncoderConfig::for_rows(examples.len());
    encoder.excluded = row.excluded_features.0.clone();
    let config = TrainConfig {
        alpha: DEFAULT_ALPHA,
        encoder,
    };
    tracing::info!(model = %row.id, leads = examples.len(), seconds = reading.elapsed().as_secs_f64(), "read what was known before each outcome");
    let fitting = std::time::Instant::now();
    // Fitting is CPU work: it runs off the async workers.
    let trained = tokio::task::spawn_blocking(move || train(&examples, &config))
        .await
        .map_err(|e| AppError::internal(format!("training panicked: {e}")))?
        .map_err(|e| AppError::Conflict {
            field: None,
            message: format!("the model could not be fitted: {}", e.0),
            existing_id: None,
        })?;
    tracing::info!(model = %row.id, seconds = fitting.elapsed().as_secs_f64(), "encoded, fitted and calibrated");
    for note in trained.notes.iter().take(50) {
        tracing::info!(model = %row.id, "{note}");
    }
    Ok((trained, won, lost))
}

async fn beat(core: &Core, id: Uuid, processed: i64) -> AppResult<()> {
    scoring_model::Entity::update_many()
        .col_expr(Column::Processed, Expr::value(processed))
        .col_expr(Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(core.db())
        .await?;
    Ok(())
}

/// Keeps the model, and activates it if it beats what scores now.
async fn store(
    core: &Core,
    row: &scoring_model::Model,
    trained: Trained,
    won: u64,
    lost: u64,
) -> AppResult<()> {
    let m = trained.metrics;
    let params = serde_json::to_value(&trained.model)
        .map_err(|e| AppError::internal(format!("serialising a model: {e}")))?;
    let mut ready: scoring_model::ActiveModel = row.clone().into();
    ready.status = Set(ModelStatus::Ready);
    ready.finished_at = Set(Some(Utc::now()));
    ready.processed = Set((won + lost) as i64);
    ready.labelled_leads = Set((won + lost) as i32);
    ready.won = Set(won as i32);
    ready.lost = Set(lost as i32);
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
        brier: m.brier,
        calibration_error: m.calibration_error,
        top_decile_lift: m.top_decile_lift,
        holdout: m.holdout as i64,
        rules_auc: trained.rules_auc,
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
        model = %ready.id, version = ready.version, auc = m.auc, rules_auc = trained.rules_auc,
        calibration_error = m.calibration_error, holdout = m.holdout, "model trained"
    );
    let active = scoring_model::Entity::find()
        .filter(Column::Status.eq(ModelStatus::Active))
        .one(uow.conn())
        .await?;
    let bar = match &active {
        Some(active) => active.metrics.map_or(0.5, |a| a.auc),
        None => trained.rules_auc,
    };
    let activate = m.auc > bar;
    if activate {
        make_active(&uow, &Actor::operator(), ready).await?;
    } else {
        tracing::info!(model = %ready.id, auc = m.auc, bar, "the new model does not beat what scores now: left inactive");
    }
    uow.commit().await?;
    if activate {
        activated(core).await?;
    }
    Ok(())
}

/// Marks trainings whose server stopped as failed.
pub async fn fail_abandoned(core: &Core) -> AppResult<()> {
    let stale = core.clock().now() - ABANDONED_AFTER;
    let abandoned: Vec<Uuid> = scoring_model::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Status.eq(ModelStatus::Training))
        .filter(Column::HeartbeatAt.lt(stale))
        .into_tuple()
        .all(core.db())
        .await?;
    for id in abandoned {
        tracing::warn!(model = %id, "a training lost its server; marking it failed");
        fail(
            core,
            id,
            "the server training it stopped: train again".into(),
        )
        .await?;
    }
    Ok(())
}
