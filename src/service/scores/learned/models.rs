//! Trained models: listed, read and activated. Activating one clears the
//! [`basis`] cache and rescores every lead with it.
use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::basis::loaded;
use crate::{
    auth::Actor,
    core::Core,
    db::UnitOfWork,
    entity::scoring_model::{self, Column, ModelStatus},
    error::{AppError, AppResult},
    service::{
        audit,
        leads::LeadFilter,
        page::{Page, PageRequest},
        scores::jobs,
    },
};

/// Models, newest first (admins).
pub async fn list(
    core: &Core,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<scoring_model::Model>> {
    actor.person()?.require_admin()?;
    let mut query = scoring_model::Entity::find();
    if let Some(after) = page.after {
        query = query.filter(Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(Column::Id)
        .limit(page.limit() + 1)
        .all(core.db())
        .await?;
    Ok(page.page(rows))
}

/// One model (admins).
pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> AppResult<scoring_model::Model> {
    actor.person()?.require_admin()?;
    scoring_model::Entity::find_by_id(id)
        .one(core.db())
        .await?
        .ok_or(AppError::NotFound("scoring model"))
}

/// Makes `id` the model every replica scores with (admins), retires the
/// one before it, and rescores every lead with it in the background. An
/// admin may overrule a comparison that left the model READY: the audit
/// entry says so, with the comparison's reason.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, model = %id))]
pub async fn activate(core: &Core, actor: &Actor, id: Uuid) -> AppResult<scoring_model::Model> {
    actor.person()?.require_admin()?;
    let uow = core.begin().await?;
    let row = scoring_model::Entity::find_by_id(id)
        .one(uow.conn())
        .await?
        .ok_or(AppError::NotFound("scoring model"))?;
    if row.status == ModelStatus::Active {
        return Ok(row);
    }
    let overruled = row
        .comparison
        .as_ref()
        .filter(|c| c.decision != "ACTIVATE")
        .map(|c| c.reason.clone());
    let row = make_active(&uow, actor, row, overruled).await?;
    uow.commit().await?;
    activated(core).await?;
    Ok(row)
}

/// Within `uow`: `row` becomes the active model, the one before it retired.
pub(super) async fn make_active(
    uow: &UnitOfWork,
    actor: &Actor,
    row: scoring_model::Model,
    overruled: Option<String>,
) -> AppResult<scoring_model::Model> {
    match row.status {
        ModelStatus::Active => return Ok(row),
        ModelStatus::Ready | ModelStatus::Retired => {}
        ModelStatus::Training | ModelStatus::Failed => {
            return Err(AppError::Conflict {
                field: None,
                message: format!(
                    "model v{} is {}: only a trained model can be activated",
                    row.version,
                    if row.status == ModelStatus::Training {
                        "still training"
                    } else {
                        "a failed one"
                    }
                ),
                existing_id: None,
            })
        }
    }
    // Checked before it is made active: a model this code cannot read never scores.
    loaded(&row)?;
    scoring_model::Entity::update_many()
        .col_expr(Column::Status, Expr::value(ModelStatus::Retired))
        .filter(Column::Status.eq(ModelStatus::Active))
        .exec(uow.conn())
        .await?;
    let mut active = row.into_active_model();
    active.status = Set(ModelStatus::Active);
    active.activated_at = Set(Some(Utc::now()));
    let row = active.update(uow.conn()).await?;
    audit::acted(
        uow.conn(),
        actor,
        "scoring_model.activated",
        ("scoring_model", row.id),
        match overruled {
            Some(reason) => json!({ "version": row.version, "overruled": reason }),
            None => json!({ "version": row.version }),
        },
    )
    .await?;
    Ok(row)
}

/// After a model's activation committed.
pub(super) async fn activated(core: &Core) -> AppResult<()> {
    core.basis().clear();
    // Every lead's score moves to the new model's.
    jobs::start(core, &Actor::operator(), LeadFilter::default()).await?;
    Ok(())
}
