//! What the demo generator draws from: a deterministic random generator,
//! word lists, and a batch writer.
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{
    entity::{
        assignment, engagement_event,
        lead::{self, LeadSource},
        lead_activity, lead_note, lead_score, lead_status_change,
    },
    error::AppResult,
};

/// A small deterministic generator: the same demo data on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

pub const FIRST: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Benjamin", "Harper", "Hiroshi", "Priya", "Kwame", "Fatima", "Diego",
    "Ingrid", "Tomasz", "Aisha", "Chen", "Lena", "Rafael", "Zoe", "Omar", "Nora", "Ethan",
];
pub const LAST: &[&str] = &[
    "Smith", "Johnson", "Garcia", "Martinez", "Brown", "Davis", "Lopez", "Wilson", "Anderson",
    "Thomas", "Nguyen", "Patel", "Kim", "Okafor", "Schmidt", "Rossi", "Kowalski", "Haddad",
    "Tanaka", "Silva", "O'Brien", "Fischer", "Dubois", "Larsen", "Moreau", "Novak", "Khan",
    "Reyes", "Walker", "Young",
];
pub const COMPANIES: &[&str] = &[
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
pub const TITLES: &[&str] = &[
    "Owner",
    "Operations Manager",
    "Fleet Manager",
    "Office Manager",
    "Purchasing Lead",
    "Director",
    "Founder",
    "Facilities Coordinator",
];
pub const PRODUCTS: &[&str] = &[
    "SUV",
    "Pickup truck",
    "Electric vehicle",
    "Sedan",
    "Minivan",
    "Cargo van",
    "Hybrid crossover",
    "Sports car",
];
pub const TIMELINES: &[&str] = &[
    "ASAP",
    "This month",
    "1-3 months",
    "3-6 months",
    "Just researching",
];
pub const SOURCES: &[LeadSource] = &[
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
pub const CALLS: &[&str] = &[
    "Intro call: wants to compare trims and financing",
    "Left a voicemail, will try again Thursday",
    "Discussed trade-in value of their current vehicle",
    "Asked for a test drive this week",
    "Budget confirmed, waiting on spouse's approval",
    "Ready to buy if we can match the competitor's price",
    "No rush, revisit next quarter",
];
pub const EMAILS: &[&str] = &[
    "Sent brochure and price sheet",
    "Replied with questions about warranty",
    "Followed up on the financing quote",
    "Shared inventory list for their budget",
];
pub const NOTES: &[&str] = &[
    "Prefers text messages over calls.",
    "Needs it by Friday for a new hire; very motivated.",
    "Fleet of 3 possible if the first purchase goes well.",
    "Price-sensitive: lead with the monthly payment.",
    "Repeat customer, bought a sedan in 2023.",
    "Decision maker is the CFO, not our contact.",
];
pub const INVENTORY: &[(&str, &str, i64, i32)] = &[
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
pub struct Batch {
    pub leads: Vec<lead::ActiveModel>,
    pub activities: Vec<lead_activity::ActiveModel>,
    pub notes: Vec<lead_note::ActiveModel>,
    pub assignments: Vec<assignment::ActiveModel>,
    pub status_changes: Vec<lead_status_change::ActiveModel>,
    pub events: Vec<engagement_event::ActiveModel>,
    pub scores: Vec<lead_score::ActiveModel>,
}

impl Batch {
    pub async fn flush<C: ConnectionTrait>(&mut self, conn: &C) -> AppResult<()> {
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
        for chunk in std::mem::take(&mut self.status_changes).chunks(1000) {
            lead_status_change::Entity::insert_many(chunk.to_vec())
                .exec(conn)
                .await?;
        }
        for chunk in std::mem::take(&mut self.events).chunks(1000) {
            engagement_event::Entity::insert_many(chunk.to_vec())
                .exec(conn)
                .await?;
        }
        for chunk in std::mem::take(&mut self.scores).chunks(1000) {
            lead_score::Entity::insert_many(chunk.to_vec())
                .exec(conn)
                .await?;
        }
        Ok(())
    }
}
