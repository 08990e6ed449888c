//! Training a model: an admin asks (or the schedule, or drift, does), a
//! background task the application owns reads every labelled lead as it
//! was before its outcome ([`super::reading`]), measures a candidate on
//! leads it did not learn from and fits the model to keep, and
//! [`super::choice`] stores it and activates it if it beats what scores
//! now on the same leads. One training runs at a time, on any replica; one
//! whose server stopped is marked failed by the job watch.
use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    basis::loaded,
    choice::{self, Outcome},
    outcomes, priority,
    reading::{training_set, Incumbent},
};
use crate::{
    auth::Actor,
    core::Core,
    db::dialect::unique_violation,
    entity::scoring_model::{
        self, Column, FeatureNames, ModelKind, ModelStatus, ModelTrigger, StoredFeatures,
    },
    error::{AppError, AppResult},
    learning::{fitting::DEFAULT_ALPHA, history::names_a_feature, train, TrainConfig},
    service::{audit, lease::ABANDONED_AFTER},
};

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
pub async fn begin(
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
        data_mark: Set(None),
        comparison: Set(None),
        live: Set(None),
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
        Ok(outcome) => choice::store(&core, &row, outcome).await,
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
    // The read and the fit are over: what they held goes back to the system.
    priority::give_back_memory();
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

/// Reads every labelled lead as it was before its outcome, measures a
/// candidate against what scores now, and fits the model to keep.
async fn work(core: &Core, row: &scoring_model::Model) -> AppResult<Outcome> {
    let reading = std::time::Instant::now();
    let active = scoring_model::Entity::find()
        .filter(Column::Status.eq(ModelStatus::Active))
        .one(core.db())
        .await?;
    let incumbent = match &active {
        Some(active) => Incumbent::Model {
            model: std::sync::Arc::new(loaded(active)?),
            mark: data_mark(active),
        },
        None => Incumbent::Rules,
    };
    let mark = Uuid::now_v7();
    let (owned, id) = (core.clone(), row.id);
    let set = training_set(
        core,
        row.excluded_features.0.clone(),
        &incumbent,
        move |done| {
            let core = owned.clone();
            Box::pin(async move { beat(&core, id, done as i64).await })
        },
    )
    .await?;
    let won = set.leads.iter().filter(|l| l.converted).count() as u64;
    let lost = set.leads.len() as u64 - won;
    tracing::info!(
        model = %row.id, leads = set.leads.len(), design_mb = set.design.bytes() / (1 << 20),
        seconds = reading.elapsed().as_secs_f64(), "read what was known before each outcome"
    );
    let fitting = std::time::Instant::now();
    let config = TrainConfig {
        alpha: DEFAULT_ALPHA,
        threads: priority::fit_threads(),
    };
    let trained = priority::low(move || train(&set, &config))
        .await?
        .map_err(|e| AppError::Conflict {
            field: None,
            message: format!("the model could not be fitted: {}", e.0),
            existing_id: None,
        })?;
    tracing::info!(model = %row.id, seconds = fitting.elapsed().as_secs_f64(), "measured, fitted and calibrated");
    for note in trained.notes.iter().take(50) {
        tracing::info!(model = %row.id, "{note}");
    }
    Ok(Outcome {
        trained,
        won,
        lost,
        mark,
        against: active,
    })
}

/// The mark of what `model` learned from; for a model trained before marks
/// were kept, the moment its training started.
pub fn data_mark(model: &scoring_model::Model) -> Uuid {
    model.data_mark.unwrap_or_else(|| {
        let at = model.started_at.unwrap_or(model.created_at);
        Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            at.timestamp().max(0) as u64,
            at.timestamp_subsec_nanos(),
        ))
    })
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
