//! The relations [`Reads`] answers, one key type each.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{grouped, LoadError, Reads};
use crate::{
    entity::{assignment, lead, lead_activity, lead_insight, lead_note, lead_score, user},
    service::{
        crm::{activities, assignments, notes},
        leads::visibility::find_visible,
        scores,
    },
};

/// A user, by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub Uuid);
/// A lead the actor may see, by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeadId(pub Uuid);
/// The user of a lead's ACTIVE assignment.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssigneeOf(pub Uuid);
/// Every assignment a lead has had, newest first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssignmentsOf(pub Uuid);
/// A lead's newest `n` notes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NotesOf(pub Uuid, pub u64);
/// A lead's newest `n` activities.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActivitiesOf(pub Uuid, pub u64);
/// A lead's current score.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScoreOf(pub Uuid);
/// The insights written with a score: its lead's id and its own.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InsightsOf(pub Uuid, pub Uuid);
/// A lead's newest `n` scores.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryOf(pub Uuid, pub u64);

impl Loader<UserId> for Reads {
    type Value = user::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, user::Model>, LoadError> {
        self.person()?;
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(self.core.reads())
            .await?;
        Ok(users.into_iter().map(|u| (UserId(u.id), u)).collect())
    }
}

impl Loader<LeadId> for Reads {
    type Value = lead::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[LeadId]) -> Result<HashMap<LeadId, lead::Model>, LoadError> {
        let actor = self.person()?;
        let leads = find_visible(actor)
            .filter(lead::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(self.core.reads())
            .await?;
        Ok(leads.into_iter().map(|l| (LeadId(l.id), l)).collect())
    }
}

/// Every key gets an answer, `None` included: a key missing from the map
/// is not cached, and each field resolver would ask for it again.
impl Loader<AssigneeOf> for Reads {
    type Value = Option<user::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[AssigneeOf],
    ) -> Result<HashMap<AssigneeOf, Option<user::Model>>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut found = assignments::assignees_of(&self.core, self.person()?, &ids).await?;
        Ok(keys.iter().map(|k| (*k, found.remove(&k.0))).collect())
    }
}

impl Loader<AssignmentsOf> for Reads {
    type Value = Vec<assignment::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[AssignmentsOf],
    ) -> Result<HashMap<AssignmentsOf, Vec<assignment::Model>>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = assignments::for_leads(&self.core, self.person()?, &ids).await?;
        Ok(grouped(keys, rows, |a| a.lead_id, |k| k.0))
    }
}

/// The largest `n` asked for, and the leads: one statement reads that many
/// of each, then each key keeps its own `n`.
fn widest<K>(keys: &[K], of: impl Fn(&K) -> (Uuid, u64)) -> (Vec<Uuid>, u64) {
    let ids = keys.iter().map(|k| of(k).0).collect();
    let most = keys.iter().map(|k| of(k).1).max().unwrap_or(0);
    (ids, most)
}

impl Loader<NotesOf> for Reads {
    type Value = Vec<lead_note::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[NotesOf],
    ) -> Result<HashMap<NotesOf, Vec<lead_note::Model>>, LoadError> {
        let (ids, most) = widest(keys, |k| (k.0, k.1));
        let rows = notes::latest_for_leads(&self.core, self.person()?, &ids, most).await?;
        let mut by_key = grouped(keys, rows, |n| n.lead_id, |k| k.0);
        for (key, rows) in &mut by_key {
            rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            rows.truncate(key.1 as usize);
        }
        Ok(by_key)
    }
}

impl Loader<ActivitiesOf> for Reads {
    type Value = Vec<lead_activity::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ActivitiesOf],
    ) -> Result<HashMap<ActivitiesOf, Vec<lead_activity::Model>>, LoadError> {
        let (ids, most) = widest(keys, |k| (k.0, k.1));
        let rows = activities::newest_for_leads(&self.core, self.person()?, &ids, most).await?;
        let mut by_key = grouped(keys, rows, |a| a.lead_id, |k| k.0);
        for (key, rows) in &mut by_key {
            rows.sort_by(|a, b| b.occurred_at.cmp(&a.occurred_at).then(b.id.cmp(&a.id)));
            rows.truncate(key.1 as usize);
        }
        Ok(by_key)
    }
}

/// `None` for a lead not scored (or not visible), cached like the rest.
impl Loader<ScoreOf> for Reads {
    type Value = Option<lead_score::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ScoreOf],
    ) -> Result<HashMap<ScoreOf, Option<lead_score::Model>>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut found = scores::scores_for(&self.core, self.lead_reader()?, &ids).await?;
        Ok(keys.iter().map(|k| (*k, found.remove(&k.0))).collect())
    }
}

impl Loader<InsightsOf> for Reads {
    type Value = Vec<lead_insight::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InsightsOf],
    ) -> Result<HashMap<InsightsOf, Vec<lead_insight::Model>>, LoadError> {
        let pairs: Vec<(Uuid, Uuid)> = keys.iter().map(|k| (k.0, k.1)).collect();
        let mut found = scores::insights_for(&self.core, self.lead_reader()?, &pairs).await?;
        // A score without insights is an answer too: an empty list, cached.
        Ok(keys
            .iter()
            .map(|k| (*k, found.remove(&k.1).unwrap_or_default()))
            .collect())
    }
}

impl Loader<HistoryOf> for Reads {
    type Value = Vec<lead_score::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[HistoryOf],
    ) -> Result<HashMap<HistoryOf, Vec<lead_score::Model>>, LoadError> {
        let (ids, most) = widest(keys, |k| (k.0, k.1));
        let by_lead = scores::history_for(&self.core, self.lead_reader()?, &ids, most).await?;
        Ok(keys
            .iter()
            .map(|key| {
                let mut rows = by_lead.get(&key.0).cloned().unwrap_or_default();
                rows.truncate(key.1 as usize);
                (*key, rows)
            })
            .collect())
    }
}
