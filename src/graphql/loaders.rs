//! DataLoaders: relations of a page of results load in one statement per
//! relation, not one per row. Built per request, for the request's actor.
use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::{
        assignment::{self, AssignmentStatus},
        lead, lead_note, user,
    },
    error::AppError,
    service::{leads, notes},
};

pub struct Loaders {
    pub users: DataLoader<UserLoader, HashMapCache>,
    pub leads: DataLoader<LeadLoader, HashMapCache>,
    pub active_assignments: DataLoader<ActiveAssignmentLoader, HashMapCache>,
    pub recent_notes: DataLoader<RecentNotesLoader, HashMapCache>,
}

impl Loaders {
    /// For one HTTP request: values are cached for the request, so a list
    /// can prime them once per relation (see `graphql::leads`).
    pub fn new(db: &DatabaseConnection, actor: Option<Actor>) -> Self {
        let spawn = |f| tokio::spawn(f);
        let cache = HashMapCache::default;
        Self {
            users: DataLoader::with_cache(UserLoader(db.clone()), spawn, cache()),
            leads: DataLoader::with_cache(
                LeadLoader {
                    db: db.clone(),
                    actor,
                },
                spawn,
                cache(),
            ),
            active_assignments: DataLoader::with_cache(
                ActiveAssignmentLoader(db.clone()),
                spawn,
                cache(),
            ),
            recent_notes: DataLoader::with_cache(RecentNotesLoader(db.clone()), spawn, cache()),
        }
    }

    /// For a websocket connection, which outlives any one operation: no
    /// cache, since a cached lead could outlive the right to see it.
    pub fn uncached(db: &DatabaseConnection, actor: Option<Actor>) -> Self {
        let loaders = Self::new(db, actor);
        loaders.users.enable_all_cache(false);
        loaders.leads.enable_all_cache(false);
        loaders.active_assignments.enable_all_cache(false);
        loaders.recent_notes.enable_all_cache(false);
        loaders
    }
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
        match &*err.0 {
            AppError::DatabaseUnavailable(e) => AppError::DatabaseUnavailable(e.clone()).into(),
            AppError::NotFound(what) => AppError::NotFound(what).into(),
            other => AppError::Internal(format!("{other:?}")).into(),
        }
    }
}

pub struct UserLoader(DatabaseConnection);

impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(users.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// Leads by id, only those the actor may see (the visibility rule in SQL).
pub struct LeadLoader {
    db: DatabaseConnection,
    actor: Option<Actor>,
}

impl Loader<Uuid> for LeadLoader {
    type Value = lead::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let Some(actor) = &self.actor else {
            return Ok(HashMap::new());
        };
        let leads = leads::find_visible(actor)
            .filter(lead::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(leads.into_iter().map(|l| (l.id, l)).collect())
    }
}

/// The ACTIVE assignment of each lead (callers hold leads already visible).
pub struct ActiveAssignmentLoader(DatabaseConnection);

impl Loader<Uuid> for ActiveAssignmentLoader {
    type Value = assignment::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = assignment::Entity::find()
            .filter(assignment::Column::LeadId.is_in(keys.iter().copied()))
            .filter(assignment::Column::Status.eq(AssignmentStatus::Active))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|a| (a.lead_id, a)).collect())
    }
}

/// The newest N notes of each lead, keyed by (lead, N).
pub struct RecentNotesLoader(DatabaseConnection);

impl Loader<(Uuid, u64)> for RecentNotesLoader {
    type Value = Vec<lead_note::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        let most = keys.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let ids: Vec<Uuid> = keys.iter().map(|(id, _)| *id).collect();
        let mut by_lead: HashMap<Uuid, Vec<lead_note::Model>> = HashMap::new();
        for note in notes::latest_for_leads(&self.0, &ids, most).await? {
            by_lead.entry(note.lead_id).or_default().push(note);
        }
        Ok(keys
            .iter()
            .map(|&(id, n)| {
                let mut notes = by_lead.get(&id).cloned().unwrap_or_default();
                notes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
                notes.truncate(n as usize);
                ((id, n), notes)
            })
            .collect())
    }
}
