//! DataLoaders: the relations of a page of results load in one statement
//! per relation, not one per row, each with the visibility rule in its SQL.
//!
//! One loader, [`Reads`], built per request for the request's actor,
//! answers every relation: each relation is a key type (a lead's notes are
//! [`NotesOf`], its score [`ScoreOf`], ...), so the relations share one
//! cache and one place where a key's actor is checked (an API key reads
//! nothing).
mod relations;

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache};
use uuid::Uuid;

pub use relations::{
    ActivitiesOf, AssigneeOf, AssignmentsOf, HistoryOf, InsightsOf, LeadId, NotesOf, ScoreOf,
    UserId,
};

use crate::{
    auth::Actor,
    core::Core,
    error::{AppError, AppResult},
};

/// What every relation is read with: the core and the request's actor.
pub struct Reads {
    core: Core,
    actor: Option<Actor>,
}

impl Reads {
    /// The actor, if a person: an API key reads none of these relations.
    fn person(&self) -> AppResult<&Actor> {
        crate::auth::actor::require(self.actor.as_ref())?.person()
    }

    /// The actor, if a person or a key with LEADS_READ: for a lead's scores.
    fn lead_reader(&self) -> AppResult<&Actor> {
        crate::auth::actor::require(self.actor.as_ref())?.may(crate::auth::Scope::LeadsRead)
    }
}

pub type Loaders = DataLoader<Reads, HashMapCache>;

/// For one HTTP request: values are cached for the request, so a list can
/// prime them once per relation (see `graphql::leads::connection`).
pub fn for_request(core: &Core, actor: Option<Actor>) -> Loaders {
    DataLoader::with_cache(
        Reads {
            core: core.clone(),
            actor,
        },
        tokio::spawn,
        HashMapCache::default(),
    )
}

/// For a websocket connection, which outlives any one operation: no cache,
/// since a cached lead could outlive the right to see it.
pub fn uncached(core: &Core, actor: Option<Actor>) -> Loaders {
    let loaders = for_request(core, actor);
    loaders.enable_all_cache(false);
    loaders
}

/// Errors cross DataLoader as `Arc`s; the code survives the trip.
#[derive(Clone)]
pub struct LoadError(pub Arc<AppError>);

impl From<AppError> for LoadError {
    fn from(err: AppError) -> Self {
        Self(Arc::new(err))
    }
}

impl From<sea_orm::DbErr> for LoadError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::from(err).into()
    }
}

impl From<LoadError> for async_graphql::Error {
    fn from(err: LoadError) -> Self {
        // The code a loader raised (NOT_FOUND, FORBIDDEN, ...) is the code the client sees.
        AppError::clone(&err.0).into()
    }
}

/// Groups `rows` under the key each belongs to, for every key asked for
/// (an empty list where a key has none).
fn grouped<K, V>(
    keys: &[K],
    rows: Vec<V>,
    key_of: impl Fn(&V) -> Uuid,
    id_of: impl Fn(&K) -> Uuid,
) -> HashMap<K, Vec<V>>
where
    K: Copy + Eq + std::hash::Hash,
    V: Clone,
{
    let mut by_id: HashMap<Uuid, Vec<V>> = HashMap::new();
    for row in rows {
        by_id.entry(key_of(&row)).or_default().push(row);
    }
    keys.iter()
        .map(|k| (*k, by_id.get(&id_of(k)).cloned().unwrap_or_default()))
        .collect()
}
