//! One chunk of an import, in one transaction: read the next rows, have
//! each decided ([`plan`](super::plan)), write what was decided
//! ([`write`](super::write)), record the errors and move the job's
//! progress. A runner that finds the job's progress moved by someone else
//! stops: two servers never write one chunk twice.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    row::{read_row, RowRead},
    upload,
};
use crate::{
    auth::Actor,
    core::Core,
    db::Dialect,
    entity::{
        lead::LeadStatus,
        lead_import::{self, ImportStatus},
        lead_import_error,
    },
    error::AppResult,
    events::Event,
};

/// Rows per transaction unless the job says otherwise.
pub const CHUNK_ROWS: usize = 500;

/// What one chunk did.
pub(super) enum Step {
    More,
    Done,
    /// Cancelled, or another server has the job.
    Stop,
}

pub(super) struct Runner {
    pub(super) job_id: Uuid,
    pub(super) upload_id: Uuid,
    pub(super) settings: lead_import::ImportSettings,
    pub(super) dry_run: bool,
    pub(super) width: usize,
    pub(super) actor: Actor,
    /// Rows done as this runner knows it: a job row that says otherwise
    /// has another runner.
    pub(super) processed: i64,
    pub(super) last_row: i64,
    /// A dry run's keys of leads it would have created (hashed).
    pub(super) seen: HashSet<u64>,
}

impl Runner {
    pub(super) fn chunk_rows(&self) -> u64 {
        match self.settings.chunk_rows {
            0 => CHUNK_ROWS as u64,
            n => n as u64,
        }
    }

    pub(super) fn email_column(&self) -> Option<&str> {
        self.settings
            .columns
            .iter()
            .find(|c| c.target == lead_import::Target::Field("email".into()))
            .map(|c| c.header.as_str())
    }

    pub(super) async fn chunk(&mut self, core: &Core) -> AppResult<Step> {
        let uow = core.begin().await?;
        let conn = uow.conn();
        let Some(job) = uow
            .dialect()
            .for_update(lead_import::Entity::find_by_id(self.job_id))
            .one(conn)
            .await?
        else {
            return Ok(Step::Stop);
        };
        if job.status != ImportStatus::Running || job.processed_rows != self.processed {
            return Ok(Step::Stop);
        }
        let rows = upload::rows(conn, self.upload_id, self.last_row, self.chunk_rows()).await?;
        let Some(&(last, _)) = rows.last() else {
            return Ok(Step::Done);
        };
        let first = rows[0].0;
        let reads: Vec<(i64, RowRead)> = rows
            .into_iter()
            .map(|(number, cells)| {
                let read = read_row(
                    &self.settings.columns,
                    &self.settings.defaults,
                    self.settings.dedupe_key,
                    self.width,
                    &cells,
                );
                (number, read)
            })
            .collect();
        let mut plan = self.plan(&uow, reads).await?;
        let now = Utc::now();
        let mut assigned = job.assigned.clone();
        let (given, changed) = if self.dry_run {
            let changed = self.change_leads(&uow, &plan, &mut Vec::new()).await?;
            (0, changed.len())
        } else {
            self.write(core, &uow, &plan, (first, last)).await?
        };
        plan.updated += changed as i64;
        plan.skipped += (plan.changes.len() - changed) as i64;
        {
            if let (Some(assignee), n) = (self.settings.default_assignee, given) {
                if n > 0 {
                    let key = assignee.to_string();
                    let before = assigned.get(&key).and_then(Value::as_i64).unwrap_or(0);
                    if let Value::Object(map) = &mut assigned {
                        map.insert(key, json!(before + n));
                    } else {
                        assigned = json!({ key: n });
                    }
                }
            }
        }
        for chunk in plan.errors.chunks(500) {
            lead_import_error::Entity::insert_many(chunk.iter().map(|(row, e)| {
                lead_import_error::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    import_id: Set(self.job_id),
                    row_number: Set(*row),
                    column_name: Set(e.column.as_ref().map(|c| c.chars().take(255).collect())),
                    field: Set(e.field.as_ref().map(|f| f.chars().take(100).collect())),
                    code: Set(e.code.to_string()),
                    message: Set(e.message.clone()),
                }
            }))
            .exec_without_returning(conn)
            .await?;
        }
        let done = plan.created + plan.updated + plan.skipped + plan.failed;
        lead_import::Entity::update_many()
            .col_expr(
                lead_import::Column::ProcessedRows,
                Expr::value(job.processed_rows + done),
            )
            .col_expr(lead_import::Column::LastRow, Expr::value(last))
            .col_expr(
                lead_import::Column::Created,
                Expr::value(job.created + plan.created),
            )
            .col_expr(
                lead_import::Column::Updated,
                Expr::value(job.updated + plan.updated),
            )
            .col_expr(
                lead_import::Column::Skipped,
                Expr::value(job.skipped + plan.skipped),
            )
            .col_expr(
                lead_import::Column::Failed,
                Expr::value(job.failed + plan.failed),
            )
            .col_expr(lead_import::Column::Assigned, Expr::value(assigned))
            .col_expr(lead_import::Column::HeartbeatAt, Expr::value(now))
            .filter(lead_import::Column::Id.eq(self.job_id))
            .exec(conn)
            .await?;
        uow.publish(Event::JobProgressed {
            job_id: self.job_id,
        });
        let closes = plan.creations.iter().any(|c| {
            matches!(
                c.lead.status.try_as_ref(),
                Some(LeadStatus::Won | LeadStatus::Lost)
            )
        }) || plan.changes.iter().any(|c| {
            matches!(
                c.read.change.status,
                Some(LeadStatus::Won | LeadStatus::Lost)
            )
        });
        uow.commit().await?;
        if closes && !self.dry_run {
            // The outcome counts the rules explain themselves with moved.
            core.basis().clear();
        }
        if !self.dry_run && grew_much(job.created, job.created + plan.created) {
            refresh_statistics(core).await;
        }
        self.processed += done;
        self.last_row = last;
        Ok(Step::More)
    }
}

/// Whether an import's created leads doubled past a thousand: a table that
/// grows from little to much has statistics that still say "little", and
/// PostgreSQL then scans it whole for every chunk's lookups (measured: an
/// import into an empty database slowed to 385 rows/s by 100k leads).
fn grew_much(before: i64, after: i64) -> bool {
    let step = |n: i64| (n / 1_000).max(0).checked_ilog2();
    after >= 1_000 && step(after) != step(before)
}

/// Refreshes the planner's statistics of the tables an import fills
/// (PostgreSQL; SQLite's planner does not rely on them). A failure is
/// logged: the import goes on, only slower.
async fn refresh_statistics(core: &Core) {
    if core.dialect() != Dialect::Postgres {
        return;
    }
    let analyzed = core
        .db()
        .execute_unprepared(
            "ANALYZE leads, lead_scores, lead_insights, lead_status_changes, assignments",
        )
        .await;
    if let Err(err) = analyzed {
        tracing::warn!(error = %err, "could not refresh statistics during an import");
    }
}

#[cfg(test)]
mod tests {
    use super::grew_much;

    #[test]
    fn statistics_are_refreshed_each_time_an_import_doubles_its_leads() {
        assert!(!grew_much(0, 999));
        assert!(grew_much(500, 1_000));
        assert!(!grew_much(1_000, 1_500));
        assert!(grew_much(1_500, 2_000));
        assert!(!grew_much(2_000, 3_999));
        assert!(grew_much(3_999, 4_000));
        assert!(grew_much(60_000, 64_000));
    }
}
