//! Demo data for trying leadscore out: four users (one per role, two reps)
//! and 600 realistic leads (or as many as asked) over half a year: each with
//! the web visits it arrived with and the score they earned it, its rep's
//! calls and its walk through the stages ([`journey`]), notes and
//! assignments. DEMO ONLY: the password is public. Refused in production; does nothing
//! when the database already has users.
mod data;
mod journey;

use std::sync::Arc;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::json;
use uuid::Uuid;

use data::*;
use journey::{Journey, Rep};

use crate::{
    auth::password,
    core::Core,
    entity::{
        assignment::{self, AssignmentStatus},
        inventory_item,
        lead::{self, LeadStatus},
        lead_note, user,
        user::Role,
    },
    error::{AppError, AppResult},
    scoring::{self, LeadFacts},
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
pub const DEFAULT_LEADS: usize = 600;
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
    let inventory: Arc<[scoring::InventoryItem]> = INVENTORY
        .iter()
        .map(|(name, category, price, quantity)| scoring::InventoryItem {
            name: name.to_string(),
            category: category.to_string(),
            price: price * 100,
            currency: "USD".into(),
            quantity_available: *quantity,
        })
        .collect();
    // Riley answers within hours and moves leads on in days; Sam takes a
    // day or two and a week or more, and wins less.
    let profiles = [
        Rep {
            id: reps[0],
            stage_days: 4.0,
            response_hours: (0, 4),
            win_factor: 1.2,
        },
        Rep {
            id: reps[1],
            stage_days: 9.0,
            response_hours: (6, 40),
            win_factor: 0.8,
        },
    ];
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
        // A growing business: more leads lately than half a year ago.
        let age = rng.below(180 * 24);
        let created_at = now - Duration::hours((age * age / (180 * 24)) as i64 + 1);
        // How ready to buy the lead came in: it shows in what it tells us.
        let keen = rng.below(100);
        let budget = rng.chance(35 + keen as u64 / 2).then(|| {
            // Budgets in whole thousands of dollars, stored in cents.
            let min = (20 + rng.below(40)) as i64 * THOUSAND_DOLLARS;
            (min, min + (5 + rng.below(20)) as i64 * THOUSAND_DOLLARS)
        });
        let timeline = rng.chance(40 + keen as u64 / 2).then(|| {
            let sooner = (100 - keen) * TIMELINES.len() / 100;
            TIMELINES[rng.below(sooner + 1).min(TIMELINES.len() - 1)].to_string()
        });
        let product = rng
            .chance(70 + keen as u64 / 4)
            .then(|| rng.pick(PRODUCTS).to_string());
        let repeat = rng.chance(5 + keen as u64 / 5);
        let rep = rng.chance(85).then(|| &profiles[i % 2]);
        let assigned_at = created_at + Duration::minutes(10 + rng.below(50) as i64);
        let facts = LeadFacts {
            has_contact: email.is_some() || phone.is_some(),
            budget_min: budget.map(|b| b.0),
            budget_max: budget.map(|b| b.1),
            currency: "USD".into(),
            product_interest: product.clone(),
            purchase_timeline: timeline.clone(),
            is_repeat_customer: repeat,
            stage: None,
            last_activity_at: None,
        };
        let lived = Journey {
            rng: &mut rng,
            batch: &mut batch,
            now,
            manager,
            thresholds: core.thresholds(),
            inventory: inventory.clone(),
        }
        .live(id, created_at, keen, facts, rep, assigned_at);
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
        let closed = matches!(lived.status, LeadStatus::Won | LeadStatus::Lost);
        if let Some(rep) = rep {
            batch.assignments.push(assignment::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(id),
                assignee_id: Set(rep.id),
                assigned_by: Set(Some(manager)),
                status: Set(if closed {
                    AssignmentStatus::Completed
                } else {
                    AssignmentStatus::Active
                }),
                note: Set(Some("Routed by territory".into())),
                assigned_at: Set(assigned_at),
                completed_at: Set(lived.closed_at),
                outcome: Set(lived.closed_at.map(|_| {
                    if lived.status == LeadStatus::Won {
                        "Closed won".to_string()
                    } else {
                        "Closed lost: went with a competitor".to_string()
                    }
                })),
            });
        }
        let score = &lived.score;
        let mut row = lead::ActiveModel {
            id: Set(id),
            first_name: Set(first.to_string()),
            last_name: Set(last.to_string()),
            email: Set(email),
            phone: Set(phone),
            company: Set(company.map(str::to_string)),
            job_title: Set(company.map(|_| rng.pick(TITLES).to_string())),
            source: Set(*rng.pick(SOURCES)),
            status: Set(lived.status),
            budget_min: Set(budget.map(|b| b.0)),
            budget_max: Set(budget.map(|b| b.1)),
            currency: Set("USD".into()),
            product_interest: Set(product),
            purchase_timeline: Set(timeline),
            is_repeat_customer: Set(repeat),
            attributes: Set(json!({ "demo": true })),
            // The score it came in with, until the sweep (or `leadscore
            // rescore`) scores it on everything it did since.
            score: Set(Some(score.total)),
            classification: Set(Some(score.classification)),
            priority_tier: Set((!closed).then_some(score.priority_tier)),
            score_confidence: Set(Some(score.confidence)),
            scored_at: Set(Some(score.scored_at)),
            created_at: Set(created_at),
            updated_at: Set(lived.last_activity.unwrap_or(created_at)),
            last_activity_at: Set(lived.last_activity),
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
