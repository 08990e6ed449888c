//! One demo lead's life: how keen it arrived (its first web visits and the
//! score they earned it at creation), then its rep's first call and its
//! walk through the stages over weeks, ending won, lost or still open.
//! The odds of winning follow the score at creation and the rep, so the
//! demo's reports tell a story a user recognises: HOT converts more than
//! WARM, WARM more than COLD, and the fast rep answers first and wins more.
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::Set;
use serde_json::json;
use uuid::Uuid;

use super::data::{Batch, Rng, CALLS, EMAILS};
use crate::{
    entity::{
        engagement_event,
        lead::LeadStatus,
        lead_activity::{self, ActivityKind, Direction},
        lead_score, lead_status_change,
    },
    scoring::{self, Event, EventKind, InventoryItem, LeadFacts, ScoringInput, Stage, Thresholds},
    service::scores::codec::score_row,
};

/// How a rep works: days a lead spends in a stage on average, hours to
/// the first call, and how their win odds compare with the team's.
pub struct Rep {
    pub id: Uuid,
    pub stage_days: f64,
    pub response_hours: (usize, usize),
    pub win_factor: f64,
}

const ARRIVAL_EVENTS: [EventKind; 9] = [
    EventKind::PageView,
    EventKind::EmailOpened,
    EventKind::PageView,
    EventKind::EmailClicked,
    EventKind::EmailReplied,
    EventKind::PricingView,
    EventKind::CalculatorUsed,
    EventKind::FormSubmitted,
    EventKind::DemoRequested,
];
const LATER_EVENTS: [EventKind; 5] = [
    EventKind::PageView,
    EventKind::EmailOpened,
    EventKind::EmailClicked,
    EventKind::PricingView,
    EventKind::EmailReplied,
];
const STAGES: [LeadStatus; 4] = [
    LeadStatus::Contacted,
    LeadStatus::Qualified,
    LeadStatus::Proposal,
    LeadStatus::Negotiation,
];

pub struct Journey<'a> {
    pub rng: &'a mut Rng,
    pub batch: &'a mut Batch,
    pub now: DateTime<Utc>,
    pub manager: Uuid,
    pub thresholds: Thresholds,
    pub inventory: Arc<[InventoryItem]>,
}

/// What the lead row needs to know of its life.
pub struct Lived {
    pub status: LeadStatus,
    pub score: lead_score::Model,
    pub last_activity: Option<DateTime<Utc>>,
    /// When the rep's work ended (won or lost).
    pub closed_at: Option<DateTime<Utc>>,
}

impl Journey<'_> {
    /// `keen` (0 to 99) is how ready to buy the lead arrived; `facts` what
    /// it told us when it came in.
    pub fn live(
        &mut self,
        lead_id: Uuid,
        created_at: DateTime<Utc>,
        keen: usize,
        facts: LeadFacts,
        rep: Option<&Rep>,
        assigned_at: DateTime<Utc>,
    ) -> Lived {
        let score = self.arrive(lead_id, created_at, keen, facts);
        let total = f64::from(score.total) / 100.0;
        let odds = (0.02 + total.powf(2.5)) * rep.map_or(0.25, |r| r.win_factor);
        let wins = self.rng.below(1000) < (odds.min(0.95) * 1000.0) as usize;
        // A lead that will not be won drops out earlier the colder it is.
        let drops_after = self
            .rng
            .below(1 + score.total as usize / 20)
            .min(STAGES.len());
        self.change(lead_id, None, LeadStatus::New, created_at);

        let mut lived = Lived {
            status: LeadStatus::New,
            score,
            last_activity: None,
            closed_at: None,
        };
        let Some(rep) = rep else {
            // Nobody works it: after a month or two, most go cold for good.
            let lost_at = created_at + Duration::days(30 + self.rng.below(40) as i64);
            if lost_at < self.now && self.rng.chance(60) {
                self.change(lead_id, Some(LeadStatus::New), LeadStatus::Lost, lost_at);
                lived.status = LeadStatus::Lost;
            }
            self.later_events(lead_id, created_at, lost_at.min(self.now), 1);
            return lived;
        };
        let (low, high) = rep.response_hours;
        let minutes = low * 60 + self.rng.below((high - low) * 60 + 1);
        let mut at = assigned_at + Duration::minutes(minutes as i64);
        let mut stage = 0;
        let mut reached = LeadStatus::New;
        loop {
            if at >= self.now {
                break;
            }
            let outcome = if stage == STAGES.len() {
                Some(if wins {
                    LeadStatus::Won
                } else {
                    LeadStatus::Lost
                })
            } else if !wins && stage > drops_after {
                Some(LeadStatus::Lost)
            } else {
                None
            };
            self.call(lead_id, rep.id, at, outcome.is_none());
            lived.last_activity = Some(at);
            let next = outcome.unwrap_or_else(|| STAGES[stage]);
            // Some qualified leads go straight to a proposal.
            let skips = next == LeadStatus::Qualified && self.rng.chance(15);
            if !skips {
                self.change(lead_id, Some(reached), next, at);
                reached = next;
            }
            if outcome.is_some() {
                lived.closed_at = Some(at);
                break;
            }
            stage += 1;
            let mut days = rep.stage_days * (0.4 + self.rng.below(120) as f64 / 100.0);
            if !wins && stage > drops_after {
                // A lead on its way out is chased a while before it is given up.
                days *= 2.0 + self.rng.below(300) as f64 / 100.0;
            }
            at += Duration::minutes((days * 24.0 * 60.0) as i64);
        }
        lived.status = reached;
        let end = lived.closed_at.unwrap_or(self.now);
        self.later_events(lead_id, created_at, end, 1 + keen / 40);
        lived
    }

    /// The web visits that made the lead (in the two days before it came
    /// in, more the keener it was) and the score they earned it then.
    fn arrive(
        &mut self,
        lead_id: Uuid,
        created_at: DateTime<Utc>,
        keen: usize,
        facts: LeadFacts,
    ) -> lead_score::Model {
        let mut events = Vec::new();
        for _ in 0..(keen / 5 + self.rng.below(2)) {
            // The keener, the likelier the pricing page, a reply, a demo request.
            let reach = (keen * ARRIVAL_EVENTS.len() / 100 + self.rng.below(3))
                .min(ARRIVAL_EVENTS.len() - 1);
            let kind = ARRIVAL_EVENTS[self.rng.below(reach + 1)];
            let at = created_at - Duration::minutes(self.rng.below(48 * 60) as i64 + 1);
            events.push(self.event(lead_id, kind, at));
        }
        let input = ScoringInput {
            lead: LeadFacts {
                stage: Some(Stage::Open),
                ..facts
            },
            events,
            texts: Vec::new(),
            inventory: self.inventory.clone(),
        };
        let score = scoring::score(&input, created_at, self.thresholds);
        let mut row = score_row(Uuid::now_v7(), lead_id, &score);
        row.scored_at = created_at + Duration::minutes(1);
        self.batch.scores.push(row.clone().into());
        row
    }

    fn later_events(&mut self, lead_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>, most: usize) {
        let span = (to - from).num_minutes().max(1) as usize;
        for _ in 0..self.rng.below(most * 2 + 1) {
            let kind = LATER_EVENTS[self.rng.below(LATER_EVENTS.len())];
            let at = from + Duration::minutes(self.rng.below(span) as i64);
            self.event(lead_id, kind, at);
        }
    }

    /// Records an event; returns it as the engine reads it.
    fn event(&mut self, lead_id: Uuid, kind: EventKind, at: DateTime<Utc>) -> Event {
        let seconds = (kind == EventKind::PageView).then(|| 20 + self.rng.below(300) as u32);
        self.batch.events.push(engagement_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            lead_id: Set(lead_id),
            event_type: Set(kind.as_str().to_string()),
            occurred_at: Set(at),
            external_id: Set(None),
            metadata: Set(seconds.map_or_else(|| json!({}), |s| json!({ "seconds": s }))),
            api_key_id: Set(None),
            recorded_by: Set(None),
            created_at: Set(at),
        });
        Event { kind, at, seconds }
    }

    fn call(&mut self, lead_id: Uuid, rep: Uuid, at: DateTime<Utc>, outbound: bool) {
        let (kind, summary) = if self.rng.chance(65) {
            (ActivityKind::Call, *self.rng.pick(CALLS))
        } else {
            (ActivityKind::Email, *self.rng.pick(EMAILS))
        };
        self.batch.activities.push(lead_activity::ActiveModel {
            id: Set(Uuid::now_v7()),
            lead_id: Set(lead_id),
            actor_id: Set(Some(rep)),
            kind: Set(kind),
            direction: Set(Some(if outbound {
                Direction::Outbound
            } else {
                Direction::Inbound
            })),
            summary: Set(summary.to_string()),
            occurred_at: Set(at),
            created_at: Set(at),
        });
    }

    fn change(
        &mut self,
        lead_id: Uuid,
        from: Option<LeadStatus>,
        to: LeadStatus,
        at: DateTime<Utc>,
    ) {
        self.batch
            .status_changes
            .push(lead_status_change::ActiveModel {
                id: Set(Uuid::now_v7()),
                lead_id: Set(lead_id),
                from_status: Set(from),
                to_status: Set(to),
                changed_at: Set(at),
                changed_by: Set(Some(self.manager)),
            });
    }
}
