//! A generated B2B lead data set whose true model is known: a company size
//! with an inverted-U effect (on its logarithm), a revenue threshold, an
//! industry, a budget flag that matters far more in one industry (an
//! interaction), engagement sent as events and logged activities with
//! diminishing returns, a source, and noise columns that carry nothing.
//! Each lead's true conversion probability is kept, so a model can be
//! measured against the best any model could do on the same leads.
//! Shared by the learning tests and `cargo bench --bench learned --
//! --generated`.
#![allow(dead_code)]

use serde_json::{json, Map, Value};

/// A generated lead, relative to its outcome: every event and activity is
/// some days before it.
#[derive(Debug, Clone)]
pub struct Lead {
    pub source: &'static str,
    pub job_title: &'static str,
    pub country: &'static str,
    pub attributes: Map<String, Value>,
    /// (event kind as the API names it, days before the outcome, seconds
    /// on site, pages) per event.
    pub events: Vec<(&'static str, f64, Option<u32>, Option<u32>)>,
    /// (kind, direction, days before the outcome) per logged activity.
    pub activities: Vec<(&'static str, Option<&'static str>, f64)>,
    /// The true probability of conversion.
    pub p: f64,
    pub converted: bool,
}

/// xorshift64*: deterministic, no crate needed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// A count with mean `mean` (Poisson, by inversion).
    pub fn count(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut product) = (0, self.uniform());
        while product > limit && k < 100 {
            k += 1;
            product *= self.uniform();
        }
        k
    }

    pub fn pick<T: Copy>(&mut self, items: &[(T, f64)]) -> (T, f64) {
        let total: f64 = items.iter().map(|i| i.1.max(0.0)).sum();
        let mut at = self.uniform() * total;
        for item in items {
            at -= item.1.max(0.0);
            if at <= 0.0 {
                return *item;
            }
        }
        items[items.len() - 1]
    }
}

const INDUSTRIES: [(&str, f64); 5] = [
    ("software", 0.3),
    ("retail", 0.2),
    ("finance", 0.2),
    ("health", 0.15),
    ("manufacturing", 0.15),
];
const INDUSTRY_EFFECT: [(&str, f64); 5] = [
    ("software", 0.3),
    ("retail", -0.4),
    ("finance", 0.2),
    ("health", 0.0),
    ("manufacturing", -0.2),
];
const SOURCES: [(&str, f64); 4] = [
    ("REFERRAL", 0.15),
    ("WEBSITE", 0.45),
    ("SOCIAL_MEDIA", 0.25),
    ("EMAIL_CAMPAIGN", 0.15),
];
const SOURCE_EFFECT: [(&str, f64); 4] = [
    ("REFERRAL", 0.7),
    ("WEBSITE", 0.0),
    ("SOCIAL_MEDIA", -0.4),
    ("EMAIL_CAMPAIGN", -0.1),
];
const TITLES: [(&str, f64); 4] = [
    ("Head of Operations", 0.3),
    ("Sales Manager", 0.3),
    ("Analyst", 0.2),
    ("Founder", 0.2),
];
const COUNTRIES: [(&str, f64); 4] = [
    ("Germany", 0.3),
    ("France", 0.25),
    ("Spain", 0.25),
    ("Italy", 0.2),
];

fn effect(table: &[(&str, f64)], key: &str) -> f64 {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0.0, |(_, e)| *e)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `n` leads from the seeded world.
pub fn generate(n: usize, seed: u64) -> Vec<Lead> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| one(&mut rng)).collect()
}

fn one(rng: &mut Rng) -> Lead {
    let log_employees = 4.0 + 1.3 * rng.normal();
    let employees = log_employees.exp().round().max(1.0);
    let revenue = (14.0 + 1.2 * rng.normal()).exp().round();
    let (industry, _) = rng.pick(&INDUSTRIES);
    let budget = rng.uniform() < 0.4;
    let (source, _) = rng.pick(&SOURCES);
    let (job_title, _) = rng.pick(&TITLES);
    let (country, _) = rng.pick(&COUNTRIES);
    // A latent interest drives engagement, which in turn tells of it.
    let interest = rng.normal();
    let pricing = rng.count((0.8 + 0.6 * interest).exp().min(12.0));
    let visits = rng.count((1.2 + 0.4 * interest).exp().min(20.0));
    let demo = rng.uniform() < sigmoid(-1.5 + 0.9 * interest);
    let replies = rng.count((-0.7 + 0.5 * interest).exp().min(6.0));

    let z = -1.9
        + (1.0 - 0.35 * (log_employees - 4.5).powi(2))
        + if revenue > 5.0e6 { 0.9 } else { 0.0 }
        + effect(&INDUSTRY_EFFECT, industry)
        + if budget { 0.4 } else { 0.0 }
        + if budget && industry == "software" {
            1.2
        } else {
            0.0
        }
        + 0.6 * f64::from(pricing).ln_1p()
        + if demo { 0.9 } else { 0.0 }
        + 0.5 * f64::from(replies.min(3))
        + effect(&SOURCE_EFFECT, source);
    let p = sigmoid(z);
    let converted = rng.uniform() < p;

    let mut attributes = Map::new();
    attributes.insert("employees".into(), json!(employees));
    attributes.insert("annual_revenue".into(), json!(revenue));
    attributes.insert("industry".into(), json!(industry));
    attributes.insert("has_budget".into(), json!(budget));
    // Noise: nothing above depends on these.
    attributes.insert(
        "noise_score".into(),
        json!((rng.normal() * 100.0).round() / 100.0),
    );
    attributes.insert("noise_count".into(), json!(rng.count(4.0)));
    attributes.insert(
        "noise_region".into(),
        json!(format!("region-{}", (rng.uniform() * 20.0) as u32)),
    );
    let mut events = Vec::new();
    for _ in 0..visits {
        let seconds = (60.0 + 240.0 * rng.uniform()) as u32;
        events.push((
            "PAGE_VIEW",
            1.0 + 25.0 * rng.uniform(),
            Some(seconds),
            Some(3),
        ));
    }
    for _ in 0..pricing {
        events.push(("PRICING_VIEW", 1.0 + 20.0 * rng.uniform(), None, None));
    }
    if demo {
        events.push(("DEMO_REQUESTED", 1.0 + 10.0 * rng.uniform(), None, None));
    }
    let activities = (0..replies)
        .map(|_| ("EMAIL", Some("INBOUND"), 1.0 + 15.0 * rng.uniform()))
        .collect();
    Lead {
        source,
        job_title,
        country,
        attributes,
        events,
        activities,
        p,
        converted,
    }
}

/// What the API is sent for `lead`, its outcome (or, for an open lead,
/// the moment it is scored) at `at`: the createLead input, then, once its
/// id is known, its events and its logged activities.
pub fn lead_input(lead: &Lead, number: usize, at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "firstName": "Lead",
        "lastName": format!("B2B {number}"),
        "source": lead.source,
        "jobTitle": lead.job_title,
        "country": lead.country,
        "email": format!("lead{number}@b2b.example"),
        "attributes": lead.attributes,
        "createdAt": at - chrono::Duration::days(40),
        "allowDuplicate": true,
    })
}

fn before(at: chrono::DateTime<chrono::Utc>, days: f64) -> chrono::DateTime<chrono::Utc> {
    at - chrono::Duration::seconds((days * 86_400.0) as i64)
}

pub fn events_input(lead: &Lead, id: &str, at: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    lead.events
        .iter()
        .map(|(kind, days, seconds, pages)| {
            let mut metadata = Map::new();
            if let Some(s) = seconds {
                metadata.insert("seconds".into(), json!(s));
            }
            if let Some(p) = pages {
                metadata.insert("pages".into(), json!(p));
            }
            json!({ "leadId": id, "type": kind, "occurredAt": before(at, *days), "metadata": metadata })
        })
        .collect()
}

pub fn activities_input(lead: &Lead, id: &str, at: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    lead.activities
        .iter()
        .map(|(kind, direction, days)| {
            json!({ "leadId": id, "kind": kind, "direction": direction,
                    "summary": "Email received", "occurredAt": before(at, *days) })
        })
        .collect()
}
