//! The relations [`Reads`] answers, one key type each.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{grouped, LoadError, Reads};
use crate::{
    entity::{assignment, lead, lead_activity, lead_note, lead_score, user},
    service::{
        crm::{
            activities,
            assignments::{self, Which},
            notes,
        },
        leads::visibility::find_visible,
        scores::{self, Current},
    },
};

/// A user, by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub Uuid);
/// A lead the actor may see, by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeadId(pub Uuid);
/// A lead's ACTIVE assignment.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActiveAssignmentOf(pub Uuid);
/// Every assignment a lead has had, newest first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssignmentsOf(pub Uuid);
/// A lead's newest `n` notes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NotesOf(pub Uuid, pub u64);
/// A lead's newest `n` activities.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActivitiesOf(pub Uuid, pub u64);
/// A lead's current score with its insights.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScoreOf(pub Uuid);
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
            .all(self.core.db())
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
            .all(self.core.db())
            .await?;
        Ok(leads.into_iter().map(|l| (LeadId(l.id), l)).collect())
    }
}

impl Loader<ActiveAssignmentOf> for Reads {
    type Value = assignment::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ActiveAssignmentOf],
    ) -> Result<HashMap<ActiveAssignmentOf, assignment::Model>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = assignments::for_leads(&self.core, self.person()?, &ids, Which::Active).await?;
        Ok(rows
            .into_iter()
            .map(|a| (ActiveAssignmentOf(a.lead_id), a))
            .collect())
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
        let rows = assignments::for_leads(&self.core, self.person()?, &ids, Which::All).await?;
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

impl Loader<ScoreOf> for Reads {
    type Value = Current;
    type Error = LoadError;

    async fn load(&self, keys: &[ScoreOf]) -> Result<HashMap<ScoreOf, Current>, LoadError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let current = scores::current_for(&self.core, self.lead_reader()?, &ids).await?;
        Ok(current
            .into_iter()
            .map(|(lead_id, value)| (ScoreOf(lead_id), value))
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
