//! A random little CRM for the report tests: users, leads with status
//! histories, assignments, activities, engagement events and score rows,
//! written straight to the database and kept in memory for the oracle.
//!
//! Times are whole seconds; status changes fall on even seconds and score
//! rows on odd ones, so "the score before the outcome" is never a tie.
use chrono::{DateTime, Duration, DurationRound, Utc};
use leadscore::{
    auth::Actor,
    core::Core,
    entity::{
        assignment::{self, AssignmentStatus},
        engagement_event,
        lead::{self, LeadSource, LeadStatus},
        lead_activity::{self, ActivityKind},
        lead_score::{self, Classification, ConfidenceLevel, Factors, Missing, PriorityTier},
        lead_status_change, user,
        user::Role,
    },
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{EntityTrait, IntoActiveModel, TryIntoModel};
use uuid::Uuid;

use crate::support::person;

pub struct World {
    pub now: DateTime<Utc>,
    pub manager: Actor,
    pub reps: Vec<Actor>,
    pub users: Vec<user::Model>,
    pub leads: Vec<lead::Model>,
    pub history: Vec<lead_status_change::Model>,
    pub assignments: Vec<assignment::Model>,
    pub activities: Vec<lead_activity::Model>,
    pub events: Vec<engagement_event::Model>,
    pub scores: Vec<lead_score::Model>,
}

const SOURCES: [LeadSource; 4] = [
    LeadSource::Website,
    LeadSource::Referral,
    LeadSource::TradeShow,
    LeadSource::Partner,
];
const KINDS: [ActivityKind; 5] = [
    ActivityKind::Call,
    ActivityKind::Email,
    ActivityKind::Meeting,
    ActivityKind::StatusChange,
    ActivityKind::Assignment,
];
const STATUSES: [LeadStatus; 7] = [
    LeadStatus::New,
    LeadStatus::Contacted,
    LeadStatus::Qualified,
    LeadStatus::Proposal,
    LeadStatus::Negotiation,
    LeadStatus::Won,
    LeadStatus::Lost,
];

fn even(t: DateTime<Utc>) -> DateTime<Utc> {
    let t = t.duration_trunc(Duration::seconds(1)).unwrap();
    t - Duration::seconds(t.timestamp() % 2)
}

impl World {
    pub async fn build(core: &Core, seed: u64, leads: usize) -> World {
        let mut rng = StdRng::seed_from_u64(seed);
        let now = even(Utc::now());
        let manager = person(core, "manager@example.com", Role::Manager).await;
        let mut reps = Vec::new();
        for i in 0..3 {
            reps.push(person(core, &format!("rep{i}@example.com"), Role::SalesRep).await);
        }
        let mut w = World {
            now,
            manager,
            reps,
            users: Vec::new(),
            leads: Vec::new(),
            history: Vec::new(),
            assignments: Vec::new(),
            activities: Vec::new(),
            events: Vec::new(),
            scores: Vec::new(),
        };
        for _ in 0..leads {
            w.add_lead(&mut rng);
        }
        w.users = user::Entity::find().all(core.db()).await.unwrap();
        w.write(core).await;
        w
    }

    /// Everything already in the database (the demo's data, say), with
    /// `manager` and the reps among its users.
    pub async fn read(core: &Core, manager: &str) -> World {
        let db = core.db();
        let users = user::Entity::find().all(db).await.unwrap();
        let actor = |u: &user::Model| Actor::from_user(u, None);
        World {
            now: Utc::now(),
            manager: actor(users.iter().find(|u| u.email == manager).unwrap()),
            reps: users
                .iter()
                .filter(|u| u.role == Role::SalesRep)
                .map(actor)
                .collect(),
            leads: lead::Entity::find().all(db).await.unwrap(),
            history: lead_status_change::Entity::find().all(db).await.unwrap(),
            assignments: assignment::Entity::find().all(db).await.unwrap(),
            activities: lead_activity::Entity::find().all(db).await.unwrap(),
            events: engagement_event::Entity::find().all(db).await.unwrap(),
            scores: lead_score::Entity::find().all(db).await.unwrap(),
            users,
        }
    }

    /// Up to `days` ago, on an even second.
    fn ago(&self, rng: &mut StdRng, days: i64) -> DateTime<Utc> {
        even(self.now - Duration::seconds(rng.random_range(3_600..days * 86_400)))
    }

    fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let span = (to - from).num_seconds().max(4);
        even(from + Duration::seconds(rng.random_range(2..span)))
    }

    fn add_lead(&mut self, rng: &mut StdRng) {
        let id = Uuid::now_v7();
        let created_at = self.ago(rng, 90);
        // A walk through the stages, skipping some, losing some, reopening a few.
        let mut at = created_at;
        let mut status = LeadStatus::New;
        self.change(id, None, status, at);
        for _ in 0..rng.random_range(0..6) {
            at = Self::between(rng, at, (at + Duration::days(20)).min(self.now));
            if at >= self.now {
                break;
            }
            let next = STATUSES[rng.random_range(0..STATUSES.len())];
            if next == status {
                continue;
            }
            self.change(id, Some(status), next, at);
            status = next;
        }
        let score = rng.random_bool(0.85).then(|| rng.random_range(0..=100));
        let closed = matches!(status, LeadStatus::Won | LeadStatus::Lost);
        let budget = rng.random_bool(0.6).then(|| {
            let min = rng.random_range(1..500) * 100_000;
            (min, min + rng.random_range(0..200) * 100_000)
        });
        let mut row = IntoActiveModel::into_active_model(lead::Model {
            id,
            first_name: "Lead".into(),
            last_name: format!("L{}", self.leads.len()),
            email: None,
            phone: None,
            company: None,
            job_title: None,
            country: None,
            city: None,
            source: SOURCES[rng.random_range(0..SOURCES.len())],
            status,
            budget_min: budget.map(|b| b.0),
            budget_max: budget.filter(|_| rng.random_bool(0.8)).map(|b| b.1),
            currency: if rng.random_bool(0.7) { "USD" } else { "EUR" }.into(),
            product_interest: None,
            purchase_timeline: None,
            is_repeat_customer: false,
            attributes: serde_json::json!({}),
            external_id: None,
            phone_key: None,
            search_text: String::new(),
            score,
            classification: score.map(class_of),
            priority_tier: score.filter(|_| !closed).map(|_| {
                [PriorityTier::P1, PriorityTier::P2, PriorityTier::P3][rng.random_range(0..3)]
            }),
            score_confidence: None,
            scored_at: score.map(|_| self.now),
            created_at,
            updated_at: created_at,
            last_activity_at: None,
            created_by: None,
            deleted_at: rng.random_bool(0.05).then_some(self.now),
        });
        leadscore::service::leads::write::derive_columns(&mut row);
        self.leads.push(row.try_into_model().unwrap());
        self.add_assignments(rng, id, created_at);
        for _ in 0..rng.random_range(0..5) {
            let actor = if rng.random_bool(0.8) {
                self.reps[rng.random_range(0..self.reps.len())].user_id
            } else {
                self.manager.user_id
            };
            let occurred_at = Self::between(rng, created_at, self.now);
            self.activities.push(lead_activity::Model {
                id: Uuid::now_v7(),
                lead_id: id,
                actor_id: Some(actor),
                kind: KINDS[rng.random_range(0..KINDS.len())],
                direction: None,
                summary: "touched".into(),
                occurred_at,
                created_at: occurred_at,
            });
        }
        for _ in 0..rng.random_range(0..5) {
            let occurred_at = Self::between(rng, created_at, self.now);
            self.events.push(engagement_event::Model {
                id: Uuid::now_v7(),
                lead_id: id,
                event_type: "PAGE_VIEW".into(),
                occurred_at,
                external_id: None,
                metadata: serde_json::json!({}),
                api_key_id: None,
                recorded_by: None,
                created_at: occurred_at,
            });
        }
        for _ in 0..rng.random_range(0..4) {
            let total = rng.random_range(0..=100);
            let scored_at = Self::between(rng, created_at, self.now) + Duration::seconds(1);
            self.scores.push(score_row(
                id,
                total,
                scored_at,
                rng.random_bool(0.7).then(|| rng.random_range(0.0..1.0)),
            ));
        }
    }

    fn change(
        &mut self,
        lead_id: Uuid,
        from: Option<LeadStatus>,
        to: LeadStatus,
        at: DateTime<Utc>,
    ) {
        self.history.push(lead_status_change::Model {
            id: Uuid::now_v7(),
            lead_id,
            from_status: from,
            to_status: to,
            changed_at: at,
            changed_by: None,
        });
    }

    fn add_assignments(&mut self, rng: &mut StdRng, lead_id: Uuid, created_at: DateTime<Utc>) {
        let mut at = created_at;
        let count = rng.random_range(0..3);
        for i in 0..count {
            at = Self::between(rng, at, (at + Duration::days(10)).min(self.now));
            let last = i + 1 == count;
            let status = if !last {
                AssignmentStatus::Transferred
            } else if rng.random_bool(0.2) {
                AssignmentStatus::Completed
            } else {
                AssignmentStatus::Active
            };
            self.assignments.push(assignment::Model {
                id: Uuid::now_v7(),
                lead_id,
                assignee_id: self.reps[rng.random_range(0..self.reps.len())].user_id,
                assigned_by: Some(self.manager.user_id),
                status,
                note: None,
                assigned_at: at,
                completed_at: None,
                outcome: None,
            });
        }
    }

    async fn write(&self, core: &Core) {
        let db = core.db();
        macro_rules! put {
            ($rows:expr, $entity:ty) => {
                for chunk in $rows.chunks(200) {
                    <$entity>::insert_many(
                        chunk
                            .iter()
                            .cloned()
                            .map(IntoActiveModel::into_active_model),
                    )
                    .exec(db)
                    .await
                    .unwrap();
                }
            };
        }
        put!(self.leads, lead::Entity);
        put!(self.history, lead_status_change::Entity);
        put!(self.assignments, assignment::Entity);
        put!(self.activities, lead_activity::Entity);
        put!(self.events, engagement_event::Entity);
        put!(self.scores, lead_score::Entity);
    }
}

pub fn class_of(score: i32) -> Classification {
    match score {
        70.. => Classification::Hot,
        40..=69 => Classification::Warm,
        _ => Classification::Cold,
    }
}

pub fn score_row(
    lead_id: Uuid,
    total: i32,
    scored_at: DateTime<Utc>,
    probability: Option<f64>,
) -> lead_score::Model {
    lead_score::Model {
        id: Uuid::now_v7(),
        lead_id,
        total,
        engagement_score: 0.0,
        buying_signal_score: 0.0,
        demographic_score: 0.0,
        confidence: 0.5,
        confidence_level: ConfidenceLevel::Medium,
        classification: class_of(total),
        priority_tier: PriorityTier::P3,
        factors: Factors(Vec::new()),
        missing: Missing(Vec::new()),
        model_version: "test".into(),
        scored_at,
        conversion_probability: probability,
        basis: None,
    }
}
