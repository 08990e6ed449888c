//! Every report computed the slow, obvious way, in Rust, over the rows the
//! test wrote: what the SQL must agree with. Results are plain tuples,
//! compared field by field with the service's.
#![allow(clippy::type_complexity)]
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use leadscore::{
    auth::Actor,
    entity::{
        assignment::AssignmentStatus,
        lead::{self, LeadSource, LeadStatus},
        lead_activity::ActivityKind,
        lead_score::PriorityTier,
        user::Role,
    },
    learning::metrics,
    service::reports::{
        buckets::{bucket_of, nearest_rank, ScoreBands},
        funnel::{rank, STAGES},
        series::Metric,
        Period,
    },
};
use uuid::Uuid;

use crate::report_world::World;

pub struct Oracle<'a> {
    pub w: &'a World,
    pub actor: &'a Actor,
    pub source: Option<LeadSource>,
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

fn logged(kind: ActivityKind) -> bool {
    matches!(
        kind,
        ActivityKind::Call
            | ActivityKind::Email
            | ActivityKind::Meeting
            | ActivityKind::Sms
            | ActivityKind::Other
    )
}

fn closed(s: LeadStatus) -> bool {
    matches!(s, LeadStatus::Won | LeadStatus::Lost)
}

/// Percentiles 50 and 90 of `values`.
pub fn p50_p90(mut values: Vec<f64>) -> (Option<f64>, Option<f64>) {
    (nearest_rank(&mut values, 50), nearest_rank(&mut values, 90))
}

impl Oracle<'_> {
    /// The rule of `leads`: live, and for a rep actively assigned to them.
    pub fn leads(&self) -> Vec<&lead::Model> {
        self.w
            .leads
            .iter()
            .filter(|l| l.deleted_at.is_none())
            .filter(|l| self.source.is_none_or(|s| s == l.source))
            .filter(|l| {
                self.actor.role != Role::SalesRep
                    || self.w.assignments.iter().any(|a| {
                        a.lead_id == l.id
                            && a.assignee_id == self.actor.user_id
                            && a.status == AssignmentStatus::Active
                    })
            })
            .collect()
    }

    fn created_in(&self, p: Period) -> Vec<&lead::Model> {
        self.leads()
            .into_iter()
            .filter(|l| p.contains(l.created_at))
            .collect()
    }

    fn history(&self, lead: Uuid) -> Vec<&leadscore::entity::lead_status_change::Model> {
        let mut h: Vec<_> = self
            .w
            .history
            .iter()
            .filter(|h| h.lead_id == lead)
            .collect();
        h.sort_by_key(|h| (h.changed_at, h.id));
        h
    }

    fn outcome_at(&self, lead: Uuid) -> Option<DateTime<Utc>> {
        self.history(lead)
            .iter()
            .filter(|h| closed(h.to_status))
            .map(|h| h.changed_at)
            .max()
    }

    /// (status, classification, tier, source) → (count, currency → (leads, min, max)).
    pub fn pipeline(&self) -> BTreeMap<String, (i64, BTreeMap<String, (i64, i64, i64)>)> {
        let mut out: BTreeMap<String, (i64, BTreeMap<String, (i64, i64, i64)>)> = BTreeMap::new();
        for l in self.leads() {
            let keys = [
                format!("status {:?}", l.status),
                format!("class {:?}", l.classification),
                format!("tier {:?}", l.priority_tier),
                format!("source {:?}", l.source),
                format!("side {}", if closed(l.status) { "closed" } else { "open" }),
                "total".to_string(),
            ];
            for key in keys {
                let e = out.entry(key).or_default();
                e.0 += 1;
                if l.budget_min.is_some() || l.budget_max.is_some() {
                    let b = e.1.entry(l.currency.clone()).or_default();
                    b.0 += 1;
                    b.1 += l.budget_min.unwrap_or(0);
                    b.2 += l.budget_max.unwrap_or(0);
                }
            }
        }
        out
    }

    /// Per stage: (reached, lost, exited, p50, p90).
    pub fn funnel(&self, cohort: Period) -> (i64, Vec<(i64, i64, i64, Option<f64>, Option<f64>)>) {
        let leads = self.created_in(cohort);
        let mut stages = vec![(0, 0, 0, None, None); STAGES.len()];
        let mut stays: HashMap<LeadStatus, Vec<f64>> = HashMap::new();
        for l in &leads {
            let h = self.history(l.id);
            let furthest = h
                .iter()
                .filter_map(|c| rank(c.to_status))
                .chain(rank(l.status))
                .max()
                .unwrap_or(0);
            for s in &mut stages[..=furthest] {
                s.0 += 1;
            }
            if l.status == LeadStatus::Lost {
                stages[furthest.min(4)].1 += 1;
            }
            let mut per: HashMap<LeadStatus, f64> = HashMap::new();
            for pair in h.windows(2) {
                if !closed(pair[0].to_status) {
                    *per.entry(pair[0].to_status).or_default() +=
                        secs(pair[0].changed_at, pair[1].changed_at);
                }
            }
            for (status, total) in per {
                stays.entry(status).or_default().push(total);
            }
        }
        for (i, status) in STAGES.iter().enumerate() {
            let values = stays.remove(status).unwrap_or_default();
            stages[i].2 = values.len() as i64;
            (stages[i].3, stages[i].4) = p50_p90(values);
        }
        (leads.len() as i64, stages)
    }

    /// Per rep id: (assigned, contacted, responses, p50, p90, won, lost, open P1, untouched P1).
    pub fn team(
        &self,
        period: Period,
        untouched_hours: i64,
    ) -> BTreeMap<Uuid, (i64, i64, i64, Option<f64>, Option<f64>, i64, i64, i64, i64)> {
        let visible: HashMap<Uuid, &lead::Model> =
            self.leads().into_iter().map(|l| (l.id, l)).collect();
        let rep_actor = self.actor.role == Role::SalesRep;
        let mut out: BTreeMap<Uuid, _> = BTreeMap::new();
        let mut responses: HashMap<Uuid, Vec<f64>> = HashMap::new();
        let mut assigned: HashMap<Uuid, (Vec<Uuid>, Vec<Uuid>)> = HashMap::new();
        for a in &self.w.assignments {
            if !visible.contains_key(&a.lead_id) || !period.contains(a.assigned_at) {
                continue;
            }
            if rep_actor && a.assignee_id != self.actor.user_id {
                continue;
            }
            let first = self
                .w
                .activities
                .iter()
                .filter(|x| x.lead_id == a.lead_id && x.actor_id == Some(a.assignee_id))
                .filter(|x| logged(x.kind) && x.occurred_at >= a.assigned_at)
                .map(|x| x.occurred_at)
                .min();
            let e = assigned.entry(a.assignee_id).or_default();
            e.0.push(a.lead_id);
            if let Some(first) = first {
                e.1.push(a.lead_id);
                responses
                    .entry(a.assignee_id)
                    .or_default()
                    .push(secs(a.assigned_at, first));
            }
        }
        let cutoff = Utc::now() - Duration::hours(untouched_hours);
        let mut owned: HashMap<Uuid, (i64, i64, i64, i64)> = HashMap::new();
        for (id, l) in &visible {
            let Some(owner) = self
                .w
                .assignments
                .iter()
                .filter(|a| a.lead_id == *id)
                .max_by_key(|a| (a.assigned_at, a.id))
            else {
                continue;
            };
            let e = owned.entry(owner.assignee_id).or_default();
            if closed(l.status) && self.outcome_at(*id).is_some_and(|at| period.contains(at)) {
                if l.status == LeadStatus::Won {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
            if owner.status == AssignmentStatus::Active
                && l.priority_tier == Some(PriorityTier::P1)
                && !closed(l.status)
            {
                e.2 += 1;
                let touch = self
                    .w
                    .activities
                    .iter()
                    .filter(|x| x.lead_id == *id && logged(x.kind))
                    .map(|x| x.occurred_at)
                    .max();
                let last = touch
                    .filter(|t| *t > owner.assigned_at)
                    .unwrap_or(owner.assigned_at);
                if last < cutoff {
                    e.3 += 1;
                }
            }
        }
        for u in &self.w.users {
            if rep_actor && u.id != self.actor.user_id {
                continue;
            }
            let (leads, answered) = assigned.remove(&u.id).unwrap_or_default();
            let distinct = |mut v: Vec<Uuid>| {
                v.sort();
                v.dedup();
                v.len() as i64
            };
            let times = responses.remove(&u.id).unwrap_or_default();
            let n = times.len() as i64;
            let (p50, p90) = p50_p90(times);
            let o = owned.remove(&u.id).unwrap_or_default();
            let row = (
                distinct(leads),
                distinct(answered),
                n,
                p50,
                p90,
                o.0,
                o.1,
                o.2,
                o.3,
            );
            if (u.role == Role::SalesRep && u.is_active) || row.0 + o.0 + o.1 + o.2 > 0 {
                out.insert(u.id, row);
            }
        }
        out
    }

    /// Per source: (leads, won, lost, mean score, median seconds to win).
    pub fn sources(
        &self,
        period: Period,
    ) -> BTreeMap<String, (i64, i64, i64, Option<f64>, Option<f64>)> {
        let mut out = BTreeMap::new();
        for source in [
            LeadSource::Website,
            LeadSource::Referral,
            LeadSource::TradeShow,
            LeadSource::Partner,
        ] {
            let leads: Vec<_> = self
                .created_in(period)
                .into_iter()
                .filter(|l| l.source == source)
                .collect();
            let won = leads.iter().filter(|l| l.status == LeadStatus::Won).count() as i64;
            let lost = leads
                .iter()
                .filter(|l| l.status == LeadStatus::Lost)
                .count() as i64;
            let scores: Vec<i32> = leads.iter().filter_map(|l| l.score).collect();
            let mean = (!scores.is_empty())
                .then(|| scores.iter().map(|s| f64::from(*s)).sum::<f64>() / scores.len() as f64);
            let to_win: Vec<f64> = leads
                .iter()
                .filter(|l| l.status == LeadStatus::Won)
                .filter_map(|l| {
                    let at = self
                        .history(l.id)
                        .iter()
                        .filter(|h| h.to_status == LeadStatus::Won)
                        .map(|h| h.changed_at)
                        .max()?;
                    Some(secs(l.created_at, at))
                })
                .collect();
            out.insert(
                format!("{source:?}"),
                (leads.len() as i64, won, lost, mean, p50_p90(to_win).0),
            );
        }
        out
    }

    /// (per band (leads, won, lost), per class (leads, won, lost), unscored, AUC, Brier).
    pub fn calibration(
        &self,
        bands: ScoreBands,
        horizon_days: i64,
        period: Period,
    ) -> (
        Vec<(i64, i64, i64)>,
        BTreeMap<String, (i64, i64, i64)>,
        i64,
        Option<f64>,
        Option<f64>,
    ) {
        let mut per_band = vec![(0, 0, 0); bands.count()];
        let mut per_class: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        let (mut unscored, mut totals, mut wins, mut brier) =
            (0, Vec::new(), Vec::new(), Vec::new());
        for l in self.created_in(period) {
            let horizon = l.created_at + Duration::days(horizon_days);
            let cutoff = self
                .outcome_at(l.id)
                .filter(|at| *at < horizon)
                .unwrap_or(horizon);
            let Some(score) = self
                .w
                .scores
                .iter()
                .filter(|s| s.lead_id == l.id && s.scored_at < cutoff)
                .max_by_key(|s| (s.scored_at, s.id))
            else {
                unscored += 1;
                continue;
            };
            let (won, lost) = (
                (l.status == LeadStatus::Won) as i64,
                (l.status == LeadStatus::Lost) as i64,
            );
            for e in [
                &mut per_band[bands.of(score.total)],
                per_class
                    .entry(format!("{:?}", score.classification))
                    .or_default(),
            ] {
                e.0 += 1;
                e.1 += won;
                e.2 += lost;
            }
            if closed(l.status) {
                totals.push(f64::from(score.total));
                wins.push(won == 1);
                if let Some(p) = score.conversion_probability {
                    brier.push((p - won as f64).powi(2));
                }
            }
        }
        let auc = (wins.iter().any(|w| *w) && wins.iter().any(|w| !*w))
            .then(|| metrics::auc(&totals, &wins));
        let brier = (!brier.is_empty()).then(|| brier.iter().sum::<f64>() / brier.len() as f64);
        (per_band, per_class, unscored, auc, brier)
    }

    pub fn series(&self, metric: Metric, buckets: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<i64> {
        let visible: HashMap<Uuid, &lead::Model> =
            self.leads().into_iter().map(|l| (l.id, l)).collect();
        let times: Vec<DateTime<Utc>> = match metric {
            Metric::LeadsCreated => visible.values().map(|l| l.created_at).collect(),
            Metric::Contacted | Metric::Won | Metric::Lost => {
                let to = match metric {
                    Metric::Contacted => LeadStatus::Contacted,
                    Metric::Won => LeadStatus::Won,
                    _ => LeadStatus::Lost,
                };
                self.w
                    .history
                    .iter()
                    .filter(|h| h.to_status == to && visible.contains_key(&h.lead_id))
                    .map(|h| h.changed_at)
                    .collect()
            }
            Metric::ActivitiesLogged => self
                .w
                .activities
                .iter()
                .filter(|x| logged(x.kind) && visible.contains_key(&x.lead_id))
                .map(|x| x.occurred_at)
                .collect(),
            Metric::EngagementEvents => self
                .w
                .events
                .iter()
                .filter(|e| visible.contains_key(&e.lead_id))
                .map(|e| e.occurred_at)
                .collect(),
        };
        let mut counts = vec![0; buckets.len()];
        for t in times {
            if let Some(i) = bucket_of(buckets, t) {
                counts[i] += 1;
            }
        }
        counts
    }

    /// (bands, unscored).
    pub fn distribution(&self, bands: ScoreBands) -> (Vec<i64>, i64) {
        let mut out = vec![0; bands.count()];
        let mut unscored = 0;
        for l in self.leads() {
            match l.score {
                Some(s) => out[bands.of(s)] += 1,
                None => unscored += 1,
            }
        }
        (out, unscored)
    }
}
