//! Demo data for trying leadscore out: four users (one per role, two reps)
//! and about 200 realistic leads with activities, notes and assignments.
//! DEMO ONLY: the password is public. Refused in production; does nothing
//! when the database already has users.
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::password,
    entity::{
        assignment::{self, AssignmentStatus},
        inventory_item,
        lead::{self, LeadSource, LeadStatus},
        lead_activity::{self, ActivityKind, Direction},
        lead_note, user,
        user::Role,
    },
    error::{AppError, AppResult},
    service::{accounts, leads::search_text},
    validate::Email,
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

/// A small deterministic generator: the same demo data on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const FIRST: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Benjamin", "Harper", "Hiroshi", "Priya", "Kwame", "Fatima", "Diego",
    "Ingrid", "Tomasz", "Aisha", "Chen", "Lena", "Rafael", "Zoe", "Omar", "Nora", "Ethan",
];
const LAST: &[&str] = &[
    "Smith", "Johnson", "Garcia", "Martinez", "Brown", "Davis", "Lopez", "Wilson", "Anderson",
    "Thomas", "Nguyen", "Patel", "Kim", "Okafor", "Schmidt", "Rossi", "Kowalski", "Haddad",
    "Tanaka", "Silva", "O'Brien", "Fischer", "Dubois", "Larsen", "Moreau", "Novak", "Khan",
    "Reyes", "Walker", "Young",
];
const COMPANIES: &[&str] = &[
    "Acme Logistics",
    "Blue Harbor Dental",
    "Cedar & Pine Builders",
    "Delta Courier",
    "Evergreen Landscaping",
    "Fulton Plumbing",
    "Granite Peak Realty",
    "Harbor View Hotel",
    "Ironclad Security",
    "Juniper Catering",
    "Keystone Electric",
    "Lakeside Clinic",
    "Maple Street Bakery",
    "Northwind Freight",
    "Oakridge Schools",
    "Pioneer Farms",
    "Quarry Road Construction",
    "Riverbend Florist",
    "Summit Fitness",
    "Trailhead Outfitters",
];
const TITLES: &[&str] = &[
    "Owner",
    "Operations Manager",
    "Fleet Manager",
    "Office Manager",
    "Purchasing Lead",
    "Director",
    "Founder",
    "Facilities Coordinator",
];
const PRODUCTS: &[&str] = &[
    "SUV",
    "Pickup truck",
    "Electric vehicle",
    "Sedan",
    "Minivan",
    "Cargo van",
    "Hybrid crossover",
    "Sports car",
];
const TIMELINES: &[&str] = &[
    "ASAP",
    "This month",
    "1-3 months",
    "3-6 months",
    "Just researching",
];
const SOURCES: &[LeadSource] = &[
    LeadSource::Website,
    LeadSource::Website,
    LeadSource::Referral,
    LeadSource::WalkIn,
    LeadSource::Phone,
    LeadSource::EmailCampaign,
    LeadSource::SocialMedia,
    LeadSource::TradeShow,
    LeadSource::Partner,
];
const STATUSES: &[LeadStatus] = &[
    LeadStatus::New,
    LeadStatus::New,
    LeadStatus::New,
    LeadStatus::Contacted,
    LeadStatus::Contacted,
    LeadStatus::Qualified,
    LeadStatus::Qualified,
    LeadStatus::Proposal,
    LeadStatus::Negotiation,
    LeadStatus::Won,
    LeadStatus::Lost,
];
const CALLS: &[&str] = &[
    "Intro call: wants to compare trims and financing",
    "Left a voicemail, will try again Thursday",
    "Discussed trade-in value of their current vehicle",
    "Asked for a test drive this week",
    "Budget confirmed, waiting on spouse's approval",
    "Ready to buy if we can match the competitor's price",
    "No rush, revisit next quarter",
];
const EMAILS: &[&str] = &[
    "Sent brochure and price sheet",
    "Replied with questions about warranty",
    "Followed up on the financing quote",
    "Shared inventory list for their budget",
];
const NOTES: &[&str] = &[
    "Prefers text messages over calls.",
    "Needs it by Friday for a new hire; very motivated.",
    "Fleet of 3 possible if the first purchase goes well.",
    "Price-sensitive: lead with the monthly payment.",
    "Repeat customer, bought a sedan in 2023.",
    "Decision maker is the CFO, not our contact.",
];
const INVENTORY: &[(&str, &str, i64, i32)] = &[
    ("Trailblazer LX SUV", "SUV", 38_500, 4),
    ("Summit 4x4 SUV", "SUV", 52_900, 2),
    ("Workhorse 1500 Pickup", "Pickup truck", 44_200, 6),
    ("Workhorse 2500 HD Pickup", "Pickup truck", 61_000, 1),
    ("Volt Runner EV", "Electric vehicle", 41_990, 3),
    ("Volt Runner EV Long Range", "Electric vehicle", 49_990, 0),
    ("City Glide Sedan", "Sedan", 27_400, 8),
    ("Family Hauler Minivan", "Minivan", 39_800, 2),
    ("Metro Cargo Van", "Cargo van", 36_700, 5),
    ("Horizon Hybrid Crossover", "Hybrid crossover", 33_300, 4),
    ("Apex GT Coupe", "Sports car", 68_000, 1),
];

/// Rows waiting to be inserted, parents before children, so memory stays
/// flat however many leads are generated.
#[derive(Default)]
struct Batch {
    leads: Vec<lead::ActiveModel>,
    activities: Vec<lead_activity::ActiveModel>,
    notes: Vec<lead_note::ActiveModel>,
    assignments: Vec<assignment::ActiveModel>,
}

impl Batch {
    async fn flush<C: sea_orm::ConnectionTrait>(&mut self, conn: &C) -> AppResult<()> {
        if !self.leads.is_empty() {
            lead::Entity::insert_many(std::mem::take(&mut self.leads))
                .exec(conn)
                .await?;
        }
        for chunk in std::mem::take(&mut self.activities).chunks(1000) {
            lead_activity::Entity::insert_many(chunk.to_vec())
                .exec(conn)
                .await?;
        }
        for chunk in std::mem::take(&mut self.notes).chunks(1000) {
            lead_note::Entity::insert_many(chunk.to_vec())
                .exec(conn)
                .await?;
        }
        for chunk in std::mem::take(&mut self.assignments).chunks(1000) {
            assignment::Entity::insert_many(chunk.to_vec())
                .exec(conn)
                .await?;
        }
        Ok(())
    }
}

/// Seeds the demo data (with `leads` leads) in one transaction.
pub async fn seed(
    db: &DatabaseConnection,
    production: bool,
    leads: usize,
    thresholds: crate::scoring::Thresholds,
) -> AppResult<Outcome> {
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
    let txn = db.begin().await?;
    let mut ids = Vec::new();
    for (email, name, role) in DEMO_USERS {
        let user = accounts::insert_user(
            &txn,
            Email::parse("email", email)?,
            name.to_string(),
            role,
            hash.clone(),
            "email",
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
    inventory_item::Entity::insert_many(items)
        .exec(&txn)
        .await?;

    let count = leads;
    let mut batch = Batch::default();
    for i in 0..count {
        if batch.leads.len() >= 500 {
            batch.flush(&txn).await?;
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
        batch.leads.push(lead::ActiveModel {
            id: Set(id),
            search_text: Set(search_text(
                first,
                last,
                email.as_deref(),
                company,
                phone.as_deref(),
            )),
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
        });
    }
    batch.flush(&txn).await?;
    txn.commit().await?;
    // Small demos are scored now so the API shows scores at once; a large
    // benchmark set is left to `leadscore rescore` (or the sweep).
    if count <= SCORE_AT_SEED {
        crate::service::sweep::rescore_stale(
            db,
            thresholds,
            Utc::now() + Duration::seconds(1),
            |_| {},
        )
        .await?;
    }
    Ok(Outcome::Seeded {
        users: DEMO_USERS.len(),
        leads: count,
    })
}
