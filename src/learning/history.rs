//! What was known about a lead at one moment, and the raw features read
//! from it. Training reads each labelled lead as it was just before its
//! outcome; scoring reads an open lead as it is now. Both go through
//! [`features`], so the model is always fed the same way.
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::raw::{tokens, Raw, RawRow};
use crate::scoring::{
    self, urgency, EventKind, InventoryItem, LeadFacts, ScoringInput, Stage, Text, Thresholds,
};

/// Features with a fixed name, and the families named `family.<part>`.
const NAMES: [&str; 19] = [
    "source",
    "job_title",
    "company",
    "email",
    "phone",
    "budget",
    "budget_range",
    "product_interest",
    "purchase_timeline",
    "country",
    "city",
    "repeat_customer",
    "lead_age_days",
    "time_on_site",
    "pages_per_visit",
    "last_touch",
    "days_since_last_touch",
    "notes",
    "urgent_messages",
];
const FAMILIES: [&str; 4] = ["attributes.", "events.", "activities.", "rules."];

/// Whether `name` (or, ending in `*`, a prefix) can name a feature this
/// module reads, so a typo in an exclusion is refused, not ignored.
pub fn names_a_feature(name: &str) -> bool {
    match name.strip_suffix('*') {
        Some(prefix) => {
            NAMES.iter().any(|n| n.starts_with(prefix))
                || FAMILIES
                    .iter()
                    .any(|f| f.starts_with(prefix) || prefix.starts_with(f))
        }
        None => {
            NAMES.contains(&name)
                || FAMILIES
                    .iter()
                    .any(|f| name.len() > f.len() && name.starts_with(f))
        }
    }
}

/// The lead's own fields (never its status: that is the outcome).
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub created_at: DateTime<Utc>,
    pub source: String,
    pub job_title: Option<String>,
    pub company: bool,
    pub email: bool,
    pub phone: bool,
    /// Minor units of `currency`.
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    pub currency: String,
    pub product_interest: Option<String>,
    pub purchase_timeline: Option<String>,
    pub repeat_customer: bool,
    pub country: Option<String>,
    pub city: Option<String>,
}

/// An engagement event.
#[derive(Debug, Clone)]
pub struct Touch {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// Time on the site, for a PAGE_VIEW.
    pub seconds: Option<u32>,
    /// Pages seen in the visit, for a PAGE_VIEW.
    pub pages: Option<f64>,
}

/// A logged activity: a call, email, meeting, SMS or other.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `CALL`, `EMAIL`, ...
    pub kind: String,
    /// `INBOUND`, `OUTBOUND`, or none.
    pub direction: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct LeadHistory {
    pub profile: Profile,
    pub attributes: Map<String, Value>,
    pub events: Vec<Touch>,
    pub activities: Vec<Logged>,
    /// Chat messages, notes and activity summaries.
    pub texts: Vec<Text>,
    pub inventory: Arc<[InventoryItem]>,
}

/// Attribute keys read, at most: the encoder bounds the rest.
const MAX_ATTRIBUTES: usize = 200;

/// The raw features of `history` as of `cutoff`; anything dated at or after
/// `cutoff` is ignored, so nothing that happened after an outcome can
/// reach the model that learns from it.
pub fn features(history: &LeadHistory, cutoff: DateTime<Utc>) -> RawRow {
    observe(history, cutoff).0
}

/// [`features`], and the rule engine's total at `cutoff`: the simple
/// baseline a model is measured against.
pub fn observe(history: &LeadHistory, cutoff: DateTime<Utc>) -> (RawRow, u8) {
    let mut row = RawRow::new();
    let mut put = |name: String, value: Raw| {
        row.insert(name, value);
    };
    let p = &history.profile;
    put("source".into(), Raw::Cat(p.source.clone()));
    if let Some(title) = p.job_title.as_deref() {
        put("job_title".into(), Raw::Tokens(tokens(title)));
    }
    put("company".into(), Raw::Flag(p.company));
    put("email".into(), Raw::Flag(p.email));
    put("phone".into(), Raw::Flag(p.phone));
    if let Some(budget) = p.budget_max.or(p.budget_min) {
        put("budget".into(), Raw::Num(budget as f64 / 100.0));
    }
    put(
        "budget_range".into(),
        Raw::Flag(p.budget_min.is_some() && p.budget_max.is_some()),
    );
    for (name, value) in [
        ("product_interest", &p.product_interest),
        ("purchase_timeline", &p.purchase_timeline),
        ("country", &p.country),
        ("city", &p.city),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            put(name.into(), Raw::Cat(v.to_string()));
        }
    }
    put("repeat_customer".into(), Raw::Flag(p.repeat_customer));
    put(
        "lead_age_days".into(),
        Raw::Num(((cutoff - p.created_at).num_hours() as f64 / 24.0).max(0.0)),
    );
    for (key, value) in history.attributes.iter().take(MAX_ATTRIBUTES) {
        let raw = match value {
            Value::Number(n) => n.as_f64().map_or(Raw::Missing, Raw::Num),
            Value::Bool(b) => Raw::Flag(*b),
            Value::String(s) if !s.trim().is_empty() => Raw::Cat(s.trim().to_string()),
            // Nested values and nulls say nothing a model can weigh.
            _ => Raw::Missing,
        };
        if raw != Raw::Missing {
            put(format!("attributes.{key}"), raw);
        }
    }
    engagement(history, cutoff, &mut put);
    let total = rules(history, cutoff, &mut put);
    (row, total)
}

fn engagement(history: &LeadHistory, cutoff: DateTime<Utc>, put: &mut impl FnMut(String, Raw)) {
    let month_ago = cutoff - Duration::days(30);
    let events: Vec<&Touch> = history.events.iter().filter(|e| e.at < cutoff).collect();
    for kind in EventKind::ALL {
        let of_kind = events.iter().filter(|e| e.kind == kind);
        let all = of_kind.clone().count();
        if all > 0 {
            let name = kind.as_str().to_lowercase();
            put(format!("events.{name}"), Raw::Num(all as f64));
            let recent = of_kind.filter(|e| e.at >= month_ago).count();
            put(format!("events.{name}.30d"), Raw::Num(recent as f64));
        }
    }
    let visits: Vec<&&Touch> = events
        .iter()
        .filter(|e| e.kind == EventKind::PageView)
        .collect();
    let seconds: u64 = visits.iter().filter_map(|v| v.seconds).map(u64::from).sum();
    put("time_on_site".into(), Raw::Num(seconds as f64));
    let pages: Vec<f64> = visits.iter().filter_map(|v| v.pages).collect();
    if !pages.is_empty() {
        put(
            "pages_per_visit".into(),
            Raw::Num(pages.iter().sum::<f64>() / pages.len() as f64),
        );
    }
    let activities: Vec<&Logged> = history
        .activities
        .iter()
        .filter(|a| a.at < cutoff)
        .collect();
    for activity in &activities {
        let name = match &activity.direction {
            Some(d) => format!("activities.{}.{}", activity.kind, d).to_lowercase(),
            None => format!("activities.{}", activity.kind).to_lowercase(),
        };
        let count = activities
            .iter()
            .filter(|a| a.kind == activity.kind && a.direction == activity.direction)
            .count();
        put(name, Raw::Num(count as f64));
    }
    // The newest touch of any kind, and how long ago it was.
    let newest_event = events
        .iter()
        .max_by_key(|e| e.at)
        .map(|e| (e.at, e.kind.as_str().to_string()));
    let newest_activity = activities.iter().max_by_key(|a| a.at).map(|a| {
        let what = match &a.direction {
            Some(d) => format!("{}_{}", a.kind, d),
            None => a.kind.clone(),
        };
        (a.at, what)
    });
    let last = match (newest_event, newest_activity) {
        (Some(e), Some(a)) => Some(if a.0 > e.0 { a } else { e }),
        (e, a) => e.or(a),
    };
    match last {
        Some((at, what)) => {
            put("last_touch".into(), Raw::Cat(what));
            put(
                "days_since_last_touch".into(),
                Raw::Num(((cutoff - at).num_hours() as f64 / 24.0).max(0.0)),
            );
        }
        None => put("last_touch".into(), Raw::Cat("NONE".into())),
    }
    let texts = history.texts.iter().filter(|t| t.at < cutoff);
    let notes = texts
        .clone()
        .filter(|t| t.source == scoring::TextSource::Note)
        .count();
    put("notes".into(), Raw::Num(notes as f64));
    let urgent = texts.filter(|t| urgency::detect(&t.text).is_some()).count();
    put("urgent_messages".into(), Raw::Num(urgent as f64));
}

/// The rule engine's factor points at `cutoff`, as features: what the rules
/// already know is the model's to weigh.
fn rules(history: &LeadHistory, cutoff: DateTime<Utc>, put: &mut impl FnMut(String, Raw)) -> u8 {
    let p = &history.profile;
    let activities = history.activities.iter().filter(|a| a.at < cutoff);
    let input = ScoringInput {
        lead: LeadFacts {
            has_contact: p.email || p.phone,
            budget_min: p.budget_min,
            budget_max: p.budget_max,
            currency: p.currency.clone(),
            product_interest: p.product_interest.clone(),
            purchase_timeline: p.purchase_timeline.clone(),
            is_repeat_customer: p.repeat_customer,
            stage: Some(Stage::Open),
            last_activity_at: activities.map(|a| a.at).max(),
        },
        events: history
            .events
            .iter()
            .filter(|e| e.at < cutoff)
            .map(|e| scoring::Event {
                kind: e.kind,
                at: e.at,
                seconds: e.seconds,
            })
            .collect(),
        texts: history
            .texts
            .iter()
            .filter(|t| t.at < cutoff)
            .cloned()
            .collect(),
        inventory: history.inventory.clone(),
    };
    let score = scoring::score(&input, cutoff, Thresholds::default());
    for factor in score.factors {
        put(format!("rules.{}", factor.name), Raw::Num(factor.points));
    }
    score.total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_name_real_features_or_families_and_typos_are_caught() {
        for good in [
            "source",
            "attributes.plan",
            "attributes.*",
            "events.*",
            "rules.*",
            "time_*",
        ] {
            assert!(names_a_feature(good), "{good}");
        }
        for bad in ["sorce", "attributes.", "plan", "xyz*", ""] {
            assert!(!names_a_feature(bad), "{bad}");
        }
    }

    fn at(days_ago: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            - Duration::days(days_ago)
    }

    fn history() -> LeadHistory {
        LeadHistory {
            profile: Profile {
                created_at: at(40),
                source: "REFERRAL".into(),
                job_title: Some("Head of Sales".into()),
                email: true,
                currency: "USD".into(),
                ..Profile::default()
            },
            attributes: serde_json::json!({ "occupation": "Student", "visits": 4, "paid": true, "nested": {"a": 1} })
                .as_object()
                .unwrap()
                .clone(),
            events: vec![
                Touch { kind: EventKind::PageView, at: at(10), seconds: Some(600), pages: Some(3.0) },
                Touch { kind: EventKind::PageView, at: at(2), seconds: Some(300), pages: Some(5.0) },
                Touch { kind: EventKind::EmailOpened, at: at(1), seconds: None, pages: None },
            ],
            activities: vec![Logged { kind: "SMS".into(), direction: Some("OUTBOUND".into()), at: at(3) }],
            texts: Vec::new(),
            inventory: Arc::from(Vec::new()),
        }
    }

    #[test]
    fn a_lead_reads_as_named_features_of_every_kind() {
        let row = features(&history(), at(0));
        assert_eq!(row["source"], Raw::Cat("REFERRAL".into()));
        assert_eq!(
            row["job_title"],
            Raw::Tokens(vec!["head".into(), "of".into(), "sales".into()])
        );
        assert_eq!(row["attributes.occupation"], Raw::Cat("Student".into()));
        assert_eq!(row["attributes.visits"], Raw::Num(4.0));
        assert_eq!(row["attributes.paid"], Raw::Flag(true));
        assert!(!row.contains_key("attributes.nested"));
        assert_eq!(row["events.page_view"], Raw::Num(2.0));
        assert_eq!(row["time_on_site"], Raw::Num(900.0));
        assert_eq!(row["pages_per_visit"], Raw::Num(4.0));
        assert_eq!(row["activities.sms.outbound"], Raw::Num(1.0));
        assert_eq!(row["last_touch"], Raw::Cat("EMAIL_OPENED".into()));
        assert_eq!(row["days_since_last_touch"], Raw::Num(1.0));
        assert!(row.contains_key("rules.website_visits"));
    }

    #[test]
    fn nothing_at_or_after_the_cutoff_changes_the_features() {
        let before = features(&history(), at(5));
        let mut later = history();
        later.events.push(Touch {
            kind: EventKind::DemoRequested,
            at: at(5),
            seconds: None,
            pages: None,
        });
        later.activities.push(Logged {
            kind: "CALL".into(),
            direction: None,
            at: at(4),
        });
        later.texts.push(Text {
            source: scoring::TextSource::Note,
            text: "ready to buy today".into(),
            at: at(1),
        });
        assert_eq!(features(&later, at(5)), before);
    }
}
