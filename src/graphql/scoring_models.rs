//! Learned scoring models, for admins: train one, watch it, list them,
//! choose the one that scores.
use async_graphql::{connection::Connection, Context, Object, Result, ID};

use super::{context::ContextExt, paging, types::ScoringModel, users::parse_id};
use crate::service::scores::learned::{models, training};

#[derive(Default)]
pub struct ScoringModelQuery;

#[Object]
impl ScoringModelQuery {
    /// Every model, newest first (admins only).
    #[graphql(complexity = "paging::cost(first, None, child_complexity)")]
    async fn scoring_models(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ScoringModel>> {
        let page = paging::forward(first, after)?;
        let page = models::list(ctx.core(), ctx.actor()?, page).await?;
        Ok(paging::connection(
            page,
            async_graphql::connection::EmptyFields,
            |m| m.id,
            ScoringModel,
        ))
    }

    /// One model, with its training progress (admins only).
    async fn scoring_model(&self, ctx: &Context<'_>, id: ID) -> Result<ScoringModel> {
        let id = parse_id("id", &id)?;
        Ok(ScoringModel(
            models::get(ctx.core(), ctx.actor()?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct ScoringModelMutation;

#[Object]
impl ScoringModelMutation {
    /// Admins only. Trains a model on every WON and LOST lead, each read as
    /// it was before its outcome, in the background: poll `scoringModel`.
    /// It becomes ACTIVE by itself only if it ranks held-out leads better
    /// than what scores now. `excludedFeatures` leaves features out (a name
    /// from `features`, or a prefix ending in `*`, like `attributes.*`).
    /// CONFLICT while another model trains or with too few outcomes.
    async fn train_scoring_model(
        &self,
        ctx: &Context<'_>,
        excluded_features: Option<Vec<String>>,
    ) -> Result<ScoringModel> {
        let model = training::start(
            ctx.core(),
            ctx.actor()?,
            excluded_features.unwrap_or_default(),
        )
        .await
        .map_err(|e| e.renamed("excluded_features", "excludedFeatures"))?;
        Ok(ScoringModel(model))
    }

    /// Admins only. Every replica scores with this model from now on, and
    /// every lead is rescored with it in the background.
    async fn activate_scoring_model(&self, ctx: &Context<'_>, id: ID) -> Result<ScoringModel> {
        let id = parse_id("id", &id)?;
        Ok(ScoringModel(
            models::activate(ctx.core(), ctx.actor()?, id).await?,
        ))
    }
}
