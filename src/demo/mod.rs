//! Demo data for trying leadscore out: four users (one per role, two reps)
//! and about 200 realistic leads with activities, notes and assignments.
//! DEMO ONLY: the password is public. Refused in production; does nothing
//! when the database already has users.
mod data;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::json;
use uuid::Uuid;

use data::*;

use crate::{
    auth::password,
    core::Core,
    entity::{
        assignment::{self, AssignmentStatus},
        inventory_item,
        lead::{self, LeadStatus},
        lead_activity::{self, ActivityKind, Direction},
        lead_note, lead_status_change, user,
        user::Role,
    },
    error::{AppError, AppResult},
    service::{accounts::sessions::insert_user, leads::write::derive_columns, scores::sweep},
    values::{Email, FullName, Parse},
};

pub const DEMO_PASSWORD: &str = "leadscore-demo";
pub const DEMO_USERS: [(&str, &str, Role); 4] = [
    ("admin@example.com", "Avery Admin", Role::Admin),
    ("manager@example.com", "Morgan Manager", Role::Manager),
    ("rep1@example.com", "Riley Rep", Role::SalesRep),
    ("rep2@example.com", "Sam Rep", Role::SalesRep),
];
/// How many leads the demo has unless asked for more.
pub const DEFAULT_LEADS: usize = 200;
/// The generator's ceiling: enough for benchmarks, not enough to fill a disk by a typo.
pub const MAX_LEADS: usize = 1_000_000;
/// Up to this many demo leads are scored while seeding.
const SCORE_AT_SEED: usize = 5_000;
const THOUSAND_DOLLARS: i64 = 100_000;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Seeded { users: usize, leads: usize },
    AlreadyHasUsers,
}

/// Seeds the demo data (with `leads` leads) in one transaction.
pub async fn seed(core: &Core, production: bool, leads: usize) -> AppResult<Outcome> {
    let db = core.db();
    if !(1..=MAX_LEADS).contains(&leads) {
        return Err(AppError::bad_input(
            "--leads",
            format!("from 1 to {MAX_LEADS}"),
        ));
    }
    if production {
        return Err(AppError::Forbidden(
            "demo data is refused when LEADSCORE_ENV=production: its passwords are public".into(),
        ));
    }
    if user::Entity::find().count(db).await? > 0 {
        return Ok(Outcome::AlreadyHasUsers);
    }
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let uow = core.begin().await?;
    let txn = uow.conn();
    let mut ids = Vec::new();
    for (email, name, role) in DEMO_USERS {
        let fixed = |e: crate::values::Invalid| AppError::internal(format!("demo user: {}", e.0));
        let user = insert_user(
            txn,
            Email::parse(email.into()).map_err(fixed)?,
            FullName::parse(name.into()).map_err(fixed)?,
            role,
            hash.clone(),
        )
        .await?;
        ids.push(user.id);
    }
    let (manager, reps) = (ids[1], [ids[2], ids[3]]);
    let now = Utc::now();
    let mut rng = Rng(0x1ead5c0e);

    let items: Vec<inventory_item::ActiveModel> = INVENTORY
        .iter()
        .map(
            |(name, category, price, quantity)| inventory_item::ActiveModel {
                id: Set(Uuid::now_v7()),
                name: Set(name.to_string()),
                category: Set(category.to_string()),
                price: Set(price * 100),
                currency: Set("USD".into()),
                quantity_available: Set(*quantity),
                attributes: Set(json!({})),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
            },
        )
        .collect();
    inventory_item::Entity::insert_many(items).exec(txn).await?;

    let count = leads;
    let mut batch = Batch::default();
    for i in 0..count {
        if batch.leads.len() >= 500 {
            batch.flush(txn).await?;
        }
        let id = Uuid::now_v7();
        let (first, last) = (*rng.pick(FIRST), *rng.pick(LAST));
        let company = rng.chance(70).then(|| *rng.pick(COMPANIES));
        let email = rng.chance(90).then(|| {
            format!(
                "{}.{}{}@{}",
                first.to_lowercase(),
                last.to_lowercase().replace('\'', ""),
                i,
                "example.net"
            )
        });
        let phone = rng
            .chance(80)
            .then(|| format!("+1555{:07}", rng.next() % 10_000_000));
        let status = *rng.pick(STATUSES);
        let created_at = now - Duration::hours(rng.below(180 * 24) as i64 + 1);
        status_history(&mut batch, id, manager, status, created_at, now);
        let budget = rng.chance(75).then(|| {
            // Budgets in whole thousands of dollars, stored in cents.
            let min = (20 + rng.below(40)) as i64 * THOUSAND_DOLLARS;
            (min, min + (5 + rng.below(20)) as i64 * THOUSAND_DOLLARS)
        });
        let mut last_activity = None;
        for _ in 0..rng.below(6) {
            let occurred_at = created_at
                + Duration::minutes(
                    rng.below(((now - created_at).num_minutes().max(1)) as usize) as i64,
                );
            let (kind, summary) = if rng.chance(60) {
                (ActivityKind::Call, *rng.pick(CALLS))
            } else {
                (ActivityKind::Email, *rng.pick(EMAILS))
            };
            last_activity = last_activity.max(Some(occurred_at));
            batch.activities.push(lead_activity::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(id),
                actor_id: Set(Some(reps[i % 2])),
                kind: Set(kind),
                direction: Set(Some(if rng.chance(50) {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                })),
                summary: Set(summary.to_string()),
                occurred_at: Set(occurred_at),
                created_at: Set(occurred_at),
            });
        }
        for _ in 0..rng.below(3) {
            batch.notes.push(lead_note::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(id),
                author_id: Set(Some(if rng.chance(30) { manager } else { reps[i % 2] })),
                body: Set(rng.pick(NOTES).to_string()),
                created_at: Set(created_at + Duration::hours(2)),
                updated_at: Set(created_at + Duration::hours(2)),
                deleted_at: Set(None),
            });
        }
        if rng.chance(85) {
            let closed = matches!(status, LeadStatus::Won | LeadStatus::Lost);
            batch.assignments.push(assignment::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(id),
                assignee_id: Set(reps[i % 2]),
                assigned_by: Set(Some(manager)),
                status: Set(if closed {
                    AssignmentStatus::Completed
                } else {
                    AssignmentStatus::Active
                }),
                note: Set(Some("Routed by territory".into())),
                assigned_at: Set(created_at + Duration::minutes(30)),
                completed_at: Set(closed.then_some(now - Duration::days(1))),
                outcome: Set(closed.then(|| {
                    if status == LeadStatus::Won {
                        "Closed won".to_string()
                    } else {
                        "Closed lost: went with a competitor".to_string()
                    }
                })),
            });
        }
        let mut row = lead::ActiveModel {
            id: Set(id),
            first_name: Set(first.to_string()),
            last_name: Set(last.to_string()),
            email: Set(email),
            phone: Set(phone),
            company: Set(company.map(str::to_string)),
            job_title: Set(company.map(|_| rng.pick(TITLES).to_string())),
            source: Set(*rng.pick(SOURCES)),
            status: Set(status),
            budget_min: Set(budget.map(|b| b.0)),
            budget_max: Set(budget.map(|b| b.1)),
            currency: Set("USD".into()),
            product_interest: Set(rng.chance(85).then(|| rng.pick(PRODUCTS).to_string())),
            purchase_timeline: Set(rng.chance(70).then(|| rng.pick(TIMELINES).to_string())),
            is_repeat_customer: Set(rng.chance(15)),
            attributes: Set(json!({ "demo": true })),
            score: Set(None),
            classification: Set(None),
            priority_tier: Set(None),
            score_confidence: Set(None),
            scored_at: Set(None),
            created_at: Set(created_at),
            updated_at: Set(last_activity.unwrap_or(created_at)),
            last_activity_at: Set(last_activity),
            created_by: Set(Some(manager)),
            deleted_at: Set(None),
            search_text: Set(String::new()),
            // Columns the demo does not fill are left to the database.
            ..Default::default()
        };
        derive_columns(&mut row);
        batch.leads.push(row);
    }
    batch.flush(txn).await?;
    uow.commit().await?;
    // Fresh statistics: planned with none, a rep's lead list took minutes
    // on 100k leads until autovacuum caught up.
    core.db().execute_unprepared("ANALYZE").await?;
    // Small demos are scored now so the API shows scores at once; a large
    // benchmark set is left to `leadscore rescore` (or the sweep).
    if count <= SCORE_AT_SEED {
        sweep::rescore_stale(core, Utc::now() + Duration::seconds(1), |_| {}).await?;
    }
    Ok(Outcome::Seeded {
        users: DEMO_USERS.len(),
        leads: count,
    })
}

/// A demo lead came in NEW and, unless it still is, moved to its status
/// later: closed leads the day before yesterday, others half way.
fn status_history(
    batch: &mut Batch,
    lead_id: Uuid,
    manager: Uuid,
    status: LeadStatus,
    created_at: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
) {
    let change = |from, to, at| lead_status_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        lead_id: Set(lead_id),
        from_status: Set(from),
        to_status: Set(to),
        changed_at: Set(at),
        changed_by: Set(Some(manager)),
    };
    batch
        .status_changes
        .push(change(None, LeadStatus::New, created_at));
    if status != LeadStatus::New {
        let at = if matches!(status, LeadStatus::Won | LeadStatus::Lost) {
            (now - Duration::days(2)).max(created_at)
        } else {
            created_at + (now - created_at) / 2
        };
        batch
            .status_changes
            .push(change(Some(LeadStatus::New), status, at));
    }
}
