//! Deciding a chunk's rows: each creates a lead, changes the lead its key
//! matches, is skipped, or fails (and why), by the rules `createLead` and
//! `updateLead` keep, with the leads a key finds looked up for the chunk at
//! once.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func},
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    chunk::Runner,
    row::{apply, RowError, RowRead},
};
use crate::{
    auth::Actor,
    db::UnitOfWork,
    entity::{
        lead,
        lead_import::{self, DedupeKey, OnMatch},
    },
    error::{client_path, AppError, AppResult},
    service::leads::{visibility::find_visible, write::new_row},
};

/// A lead a row creates, planned.
pub(super) struct Creation {
    pub(super) row: i64,
    pub(super) lead: lead::ActiveModel,
}

/// A change a row makes to an existing lead.
pub(super) struct Change {
    pub(super) row: i64,
    pub(super) lead_id: Uuid,
    pub(super) read: RowRead,
}

/// The chunk's counts and what it writes.
#[derive(Default)]
pub(super) struct Plan {
    pub(super) creations: Vec<Creation>,
    pub(super) changes: Vec<Change>,
    pub(super) errors: Vec<(i64, RowError)>,
    pub(super) created: i64,
    pub(super) updated: i64,
    pub(super) skipped: i64,
    pub(super) failed: i64,
}

/// Where a matched key points.
#[derive(Clone, Copy)]
enum Matched {
    Existing(Uuid),
    /// The n-th creation of this chunk (or, in a dry run, an earlier chunk).
    Created(Option<usize>),
}

fn hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn conflict(column: Option<&str>, field: &str, message: &str) -> RowError {
    RowError {
        column: column.map(str::to_string),
        field: Some(client_path(field)),
        code: "CONFLICT",
        message: message.into(),
    }
}

impl Runner {
    /// Decides each row: create, change, skip, or fail (and why).
    pub(super) async fn plan(
        &mut self,
        uow: &UnitOfWork,
        reads: Vec<(i64, RowRead)>,
    ) -> AppResult<Plan> {
        let key = self.settings.dedupe_key;
        let on_match = self.settings.on_match.unwrap_or(OnMatch::Skip);
        let keys: Vec<String> = reads.iter().filter_map(|(_, r)| r.key.clone()).collect();
        let mut matched: HashMap<String, Matched> = match key {
            Some(key) => find_by_key(uow, &self.actor, key, &keys)
                .await?
                .into_iter()
                .map(|(k, id)| (k, Matched::Existing(id)))
                .collect(),
            None => HashMap::new(),
        };
        // createLead's rule: one live lead per email, unless asked otherwise.
        let check_emails = key != Some(DedupeKey::Email) && on_match != OnMatch::Create;
        let mut emails: HashMap<String, Matched> = if check_emails {
            let emails: Vec<String> = reads.iter().filter_map(|(_, r)| r.email.clone()).collect();
            find_by_key(uow, &self.actor, DedupeKey::Email, &emails)
                .await?
                .into_iter()
                .map(|(k, id)| (k, Matched::Existing(id)))
                .collect()
        } else {
            HashMap::new()
        };
        let email_column = self.email_column().map(str::to_string);
        let exists = |what: &str| format!("a lead with this {what} already exists");
        let now = Utc::now();
        let mut plan = Plan::default();
        for (row, read) in reads {
            if !read.errors.is_empty() {
                plan.failed += 1;
                plan.errors
                    .extend(read.errors.into_iter().map(|e| (row, e)));
                continue;
            }
            let seen_before = self.dry_run
                && read
                    .key
                    .as_ref()
                    .is_some_and(|k| self.seen.contains(&hash(k)));
            let target = read
                .key
                .as_ref()
                .and_then(|k| matched.get(k).copied())
                .or(seen_before.then_some(Matched::Created(None)));
            if let (Some(target), false) = (target, on_match == OnMatch::Create) {
                match (on_match, target) {
                    (OnMatch::Update, Matched::Existing(lead_id)) => {
                        plan.changes.push(Change { row, lead_id, read })
                    }
                    (OnMatch::Update, Matched::Created(Some(n))) => {
                        let creation = &mut plan.creations[n];
                        apply(&mut creation.lead, &read)?;
                        plan.updated += 1;
                    }
                    (OnMatch::Update, Matched::Created(None)) => plan.updated += 1,
                    _ => plan.skipped += 1,
                }
                continue;
            }
            let new = match read.new {
                Ok(new) => new,
                Err(err) => {
                    plan.failed += 1;
                    plan.errors.push((row, err));
                    continue;
                }
            };
            if let Some(email) = read.email.as_ref().filter(|_| check_emails) {
                if emails.contains_key(email) {
                    plan.failed += 1;
                    plan.errors.push((
                        row,
                        conflict(email_column.as_deref(), "email", &exists("email")),
                    ));
                    continue;
                }
            }
            let lead = match new_row(new, &self.actor, now, now) {
                Ok(lead) => lead,
                Err(err) => {
                    plan.failed += 1;
                    plan.errors
                        .push((row, row_error(err, &self.settings.columns)));
                    continue;
                }
            };
            let n = plan.creations.len();
            if let Some(k) = &read.key {
                matched.insert(k.clone(), Matched::Created(Some(n)));
                if self.dry_run {
                    self.seen.insert(hash(k));
                }
            }
            if let (Some(email), true) = (&read.email, check_emails) {
                emails.insert(email.clone(), Matched::Created(Some(n)));
            }
            plan.creations.push(Creation { row, lead });
            plan.created += 1;
        }
        Ok(plan)
    }
}

fn row_error(err: AppError, columns: &[lead_import::ColumnMap]) -> RowError {
    let (field, message) = match err {
        AppError::BadUserInput { field, message } => (field, message),
        other => (String::new(), other.message()),
    };
    let column = columns
        .iter()
        .find(|c| c.target == lead_import::Target::Field(field.clone()))
        .map(|c| c.header.clone());
    RowError {
        column,
        field: Some(client_path(&field)),
        code: "BAD_USER_INPUT",
        message,
    }
}

/// Live leads `actor` may see by a key's values, the oldest for each. A
/// rep's rows never match another rep's lead: that would tell them it
/// exists (a CONFLICT row did), so such a row creates the rep's own lead,
/// as `createLead` does.
async fn find_by_key(
    uow: &UnitOfWork,
    actor: &Actor,
    key: DedupeKey,
    values: &[String],
) -> AppResult<HashMap<String, Uuid>> {
    let mut found = HashMap::new();
    for chunk in values.chunks(500) {
        let column = match key {
            DedupeKey::Email => lead::Column::Email,
            DedupeKey::ExternalId => lead::Column::ExternalId,
            DedupeKey::Phone => lead::Column::PhoneKey,
        };
        // Emails are matched through the index on lower(email) (they are stored lower-cased).
        let matched = match key {
            DedupeKey::Email => Expr::expr(Func::lower(Expr::col((lead::Entity, column)))),
            _ => Expr::col((lead::Entity, column)),
        };
        let rows: Vec<(Uuid, Option<String>)> = find_visible(actor)
            .select_only()
            .column(lead::Column::Id)
            .column(column)
            .filter(matched.is_in(chunk.iter().cloned()))
            .order_by_asc(lead::Column::Id)
            .into_tuple()
            .all(uow.conn())
            .await?;
        for (id, value) in rows {
            if let Some(value) = value {
                found.entry(value).or_insert(id);
            }
        }
    }
    Ok(found)
}
