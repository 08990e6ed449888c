//! Writing a chunk's decisions: new leads in multi-row inserts with their
//! status history, assignments and audit entries; changes one lead at a
//! time, audited with their diff; then the bulk rescoring path.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TryIntoModel,
};
use serde_json::{json, Map};
use uuid::Uuid;

use super::{chunk::Runner, plan::Plan, row::apply};
use crate::{
    core::Core,
    db::UnitOfWork,
    entity::{
        assignment::{self, AssignmentStatus},
        lead::{self, LeadStatus},
        lead_activity::ActivityKind,
        lead_status_change,
    },
    error::{AppError, AppResult},
    service::{
        audit::{self, AuditEntry},
        crm::activities,
        leads::fields::audit_diff,
        scores::rescoring,
    },
};

/// Leads per insert statement (about 35 values each).
const LEADS_PER_INSERT: usize = 400;

impl Runner {
    /// Writes a chunk's plan; returns how many leads it assigned and how
    /// many existing ones it changed.
    pub(super) async fn write(
        &self,
        core: &Core,
        uow: &UnitOfWork,
        plan: &Plan,
        rows: (i64, i64),
    ) -> AppResult<(i64, usize)> {
        let conn = uow.conn();
        let actor = &self.actor;
        let by = Some(actor.user_id).filter(|id| !id.is_nil());
        let now = Utc::now();
        let mut entries = Vec::new();
        let mut created_ids = Vec::with_capacity(plan.creations.len());
        for chunk in plan.creations.chunks(LEADS_PER_INSERT) {
            lead::Entity::insert_many(chunk.iter().map(|c| c.lead.clone()))
                .exec_without_returning(conn)
                .await?;
        }
        let mut statuses = Vec::with_capacity(plan.creations.len());
        for creation in &plan.creations {
            let lead = &creation.lead;
            let id = *lead.id.as_ref();
            created_ids.push(id);
            statuses.push(lead_status_change::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(id),
                from_status: Set(None),
                to_status: Set(*lead.status.as_ref()),
                changed_at: Set(now),
                changed_by: Set(by),
            });
            entries.push(
                AuditEntry::new("lead.created")
                    .by(actor)
                    .entity("lead", id)
                    .details(json!({
                        "name": format!("{} {}", lead.first_name.as_ref(), lead.last_name.as_ref()),
                        "import": self.job_id,
                        "row": creation.row,
                    })),
            );
        }
        for chunk in statuses.chunks(500) {
            lead_status_change::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(conn)
                .await?;
        }
        let mut assigned = 0;
        if let Some(assignee) = self
            .settings
            .default_assignee
            .filter(|_| !created_ids.is_empty())
        {
            for chunk in created_ids.chunks(500) {
                assignment::Entity::insert_many(chunk.iter().map(|lead_id| {
                    assignment::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        lead_id: Set(*lead_id),
                        assignee_id: Set(assignee),
                        assigned_by: Set(by),
                        status: Set(AssignmentStatus::Active),
                        note: Set(Some("imported".into())),
                        assigned_at: Set(now),
                        completed_at: Set(None),
                        outcome: Set(None),
                    }
                }))
                .exec_without_returning(conn)
                .await?;
            }
            assigned = created_ids.len() as i64;
        }

        let changed = self.change_leads(uow, plan, &mut entries).await?;
        let changed_count = changed.len();
        entries.push(
            AuditEntry::new("leads.imported")
                .by(actor)
                .entity("lead_import", self.job_id)
                .details(json!({
                    "rows": [rows.0, rows.1],
                    "created": plan.created,
                    "updated": plan.updated + changed_count as i64,
                    "skipped": plan.skipped + (plan.changes.len() - changed_count) as i64,
                    "failed": plan.failed,
                })),
        );
        audit::record_many(conn, entries).await?;
        let mut rescore = created_ids;
        rescore.extend(changed);
        rescoring::rescore_ids(core, uow, &rescore).await?;
        Ok((assigned, changed_count))
    }

    /// Applies the chunk's changes to existing leads (locked in id order;
    /// in a dry run only compared); returns the leads that changed. A
    /// change that changes nothing is counted as skipped.
    pub(super) async fn change_leads(
        &self,
        uow: &UnitOfWork,
        plan: &Plan,
        entries: &mut Vec<AuditEntry>,
    ) -> AppResult<Vec<Uuid>> {
        if plan.changes.is_empty() {
            return Ok(Vec::new());
        }
        let conn = uow.conn();
        let ids: HashSet<Uuid> = plan.changes.iter().map(|c| c.lead_id).collect();
        let select = lead::Entity::find()
            .filter(lead::Column::Id.is_in(ids))
            .filter(lead::Column::DeletedAt.is_null())
            .order_by_asc(lead::Column::Id);
        // A dry run only compares: it holds no lock.
        let select = if self.dry_run {
            select
        } else {
            uow.dialect().for_update(select)
        };
        let mut leads: HashMap<Uuid, lead::Model> = select
            .all(conn)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let now = Utc::now();
        let by = Some(self.actor.user_id).filter(|id| !id.is_nil());
        let mut changed = Vec::new();
        let mut status_changes = Vec::new();
        for change in &plan.changes {
            let Some(before) = leads.get(&change.lead_id).cloned() else {
                continue;
            };
            let mut row = before.clone().into_active_model();
            apply(&mut row, &change.read)?;
            let after = row
                .clone()
                .try_into_model()
                .map_err(|e| AppError::internal(format!("an imported change: {e}")))?;
            let diff = audit_diff(&before, &after);
            if diff.as_object().is_none_or(Map::is_empty) {
                continue;
            }
            if self.dry_run {
                changed.push(after.id);
                leads.insert(after.id, after);
                continue;
            }
            row.updated_at = Set(now);
            let after = row.update(conn).await?;
            let mut details = diff;
            details["import"] = json!(self.job_id);
            details["row"] = json!(change.row);
            entries.push(
                AuditEntry::new("lead.updated")
                    .by(&self.actor)
                    .entity("lead", after.id)
                    .details(details),
            );
            if before.status != after.status {
                status_changes.push((after.id, before.status, after.status));
            }
            changed.push(after.id);
            leads.insert(after.id, after);
        }
        for (lead_id, from, to) in &status_changes {
            lead_status_change::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(*lead_id),
                from_status: Set(Some(*from)),
                to_status: Set(*to),
                changed_at: Set(now),
                changed_by: Set(by),
            }
            .insert(conn)
            .await?;
        }
        let name = |s: LeadStatus| json!(s).as_str().unwrap_or_default().to_string();
        if !status_changes.is_empty() {
            activities::record_many(
                conn,
                status_changes
                    .iter()
                    .map(|(id, from, to)| {
                        (
                            *id,
                            format!(
                                "Status changed from {} to {} (import)",
                                name(*from),
                                name(*to)
                            ),
                        )
                    })
                    .collect(),
                by,
                ActivityKind::StatusChange,
                now,
            )
            .await?;
        }
        Ok(changed)
    }
}
