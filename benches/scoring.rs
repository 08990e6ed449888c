//! Scoring one lead's data in memory (target: under 20 µs):
//! `cargo bench --bench scoring`. The input is a busy lead: 60 engagement
//! events, 5 texts with urgency phrases to scan and 20 inventory items.
use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use leadscore::scoring::{
    self, Event, EventKind, InventoryItem, LeadFacts, ScoringInput, Stage, Text, TextSource,
    Thresholds,
};

/// Money is kept in cents.
fn cents(dollars: i64) -> i64 {
    dollars * 100
}

fn busy_lead() -> ScoringInput {
    let now = Utc.with_ymd_and_hms(2026, 11, 19, 15, 0, 0).unwrap();
    let events = (0..60)
        .map(|i| Event {
            kind: EventKind::ALL[i % EventKind::ALL.len()],
            at: now - Duration::hours(i as i64 * 7),
            seconds: Some(45),
        })
        .collect();
    let texts = [
        "Can we do this ASAP?",
        "We're not ready to buy, no rush",
        "Need it by Friday",
        "Following up on the quote",
        "Ready to sign this week",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| Text {
        source: TextSource::Chat,
        text: t.to_string(),
        at: now - Duration::days(i as i64),
    })
    .collect();
    let inventory = (0..20)
        .map(|i| InventoryItem {
            name: format!("Model {i}"),
            category: ["SUV", "Cargo van", "Sedan", "Pickup truck"][i % 4].into(),
            price: cents(30_000 + i as i64 * 1_000),
            currency: "USD".into(),
            quantity_available: (i % 3) as i32,
        })
        .collect::<Vec<_>>();
    ScoringInput {
        lead: LeadFacts {
            has_contact: true,
            budget_min: Some(cents(25_000)),
            budget_max: Some(cents(45_000)),
            currency: "USD".into(),
            product_interest: Some("Cargo van".into()),
            purchase_timeline: Some("This month".into()),
            is_repeat_customer: true,
            stage: Some(Stage::Open),
            last_activity_at: Some(now - Duration::hours(3)),
        },
        events,
        texts,
        inventory: inventory.into(),
    }
}

fn score_one_lead(c: &mut Criterion) {
    let input = busy_lead();
    let now = Utc.with_ymd_and_hms(2026, 11, 19, 15, 0, 0).unwrap();
    c.bench_function("score one busy lead (60 events, 5 texts, 20 items)", |b| {
        b.iter(|| scoring::score(black_box(&input), black_box(now), Thresholds::default()))
    });
}

criterion_group!(benches, score_one_lead);
criterion_main!(benches);
