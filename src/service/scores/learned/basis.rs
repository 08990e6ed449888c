//! The basis every score rests on: the active model, or the rules with
//! the outcome counts that say why. The active model lives in the
//! database, so every replica scores with the same one; each process keeps
//! it for a few seconds.
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::outcomes;
use crate::{
    core::Core,
    entity::scoring_model::{self, Column, ModelStatus},
    error::{AppError, AppResult},
    learning::{ActiveModel, Basis, LearnedModel},
};

/// The shape of stored model parameters this code reads.
pub const PARAMS_FORMAT: u32 = 1;

/// What scores rest on now, read at most every few seconds, through the
/// caller's connection (a scoring unit of work may hold the only one).
pub async fn basis<C: ConnectionTrait>(core: &Core, conn: &C) -> AppResult<Basis> {
    if let Some(basis) = core.basis().get() {
        return Ok(basis);
    }
    let active = scoring_model::Entity::find()
        .filter(Column::Status.eq(ModelStatus::Active))
        .one(conn)
        .await?;
    let basis = match active {
        Some(row) => Basis::Learned(Arc::new(loaded(&row)?)),
        None => {
            let counts = outcomes::count(conn).await?;
            Basis::Rules {
                won: counts.won,
                lost: counts.lost,
            }
        }
    };
    core.basis().set(basis.clone());
    Ok(basis)
}

/// A stored model, ready to score.
pub fn loaded(row: &scoring_model::Model) -> AppResult<ActiveModel> {
    let params = row
        .params
        .as_ref()
        .filter(|p| p.format == PARAMS_FORMAT)
        .ok_or_else(|| {
            AppError::internal(format!("model v{} has no readable parameters", row.version))
        })?;
    let model: LearnedModel = serde_json::from_value(params.model.clone())
        .map_err(|e| AppError::internal(format!("model v{} parameters: {e}", row.version)))?;
    Ok(ActiveModel {
        id: row.id,
        version: row.version,
        labelled: u64::try_from(row.labelled_leads).unwrap_or(0),
        model,
    })
}
