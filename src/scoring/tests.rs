//! The engine's promises, checked on cases and on generated inputs.
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn now() -> DateTime<Utc> {
    // A Thursday, so "since Tuesday" style wording is fixed.
    Utc.with_ymd_and_hms(2026, 11, 19, 15, 0, 0).unwrap()
}

/// Money is in cents.
fn dollars(amount: i64) -> i64 {
    amount * 100
}

fn lead() -> LeadFacts {
    LeadFacts {
        has_contact: true,
        currency: "USD".into(),
        stage: Some(Stage::Open),
        ..Default::default()
    }
}

fn event(kind: EventKind, at: DateTime<Utc>) -> Event {
    Event {
        kind,
        at,
        seconds: if kind == EventKind::PageView {
            Some(90)
        } else {
            None
        },
    }
}

fn van(price_dollars: i64, quantity: i32) -> InventoryItem {
    InventoryItem {
        name: "Metro Cargo Van".into(),
        category: "Cargo van".into(),
        price: price_dollars * 100,
        currency: "USD".into(),
        quantity_available: quantity,
    }
}

/// The hot lead: a day of heavy engagement, urgency, budget and fit.
fn hot_lead(at: DateTime<Utc>) -> ScoringInput {
    use EventKind::*;
    let mut events = Vec::new();
    for (kind, n) in [
        (EmailOpened, 3),
        (EmailClicked, 2),
        (EmailReplied, 1),
        (PageView, 6),
        (PricingView, 4),
        (CalculatorUsed, 2),
    ] {
        for i in 0..n {
            events.push(event(kind, at - Duration::minutes(30 * i + 10)));
        }
    }
    ScoringInput {
        lead: LeadFacts {
            budget_min: Some(dollars(30_000)),
            budget_max: Some(dollars(40_000)),
            product_interest: Some("Cargo van".into()),
            is_repeat_customer: true,
            ..lead()
        },
        events,
        texts: vec![Text {
            source: TextSource::Chat,
            text: "We need it by Friday, we're ready to buy".into(),
            at: at - Duration::hours(2),
        }],
        inventory: vec![van(36_700, 5)].into(),
    }
}

#[test]
fn a_lead_with_only_a_name_and_email_is_cold_with_low_confidence_and_says_what_is_missing() {
    let input = ScoringInput {
        lead: lead(),
        ..Default::default()
    };

    let score = score(&input, now(), Thresholds::default());

    assert_eq!(score.classification, Classification::Cold);
    assert_eq!(score.confidence_level, ConfidenceLevel::Low);
    for gap in [
        "no email activity",
        "no website activity",
        "no budget",
        "no product interest",
    ] {
        assert!(
            score.missing.contains(&gap),
            "{gap} missing from {:?}",
            score.missing
        );
    }
    assert!(score
        .factors
        .iter()
        .all(|f| f.points == 0.0 && f.evidence.is_empty()));
}

#[test]
fn the_hot_lead_is_hot_p1_with_high_confidence_and_evidence_in_words() {
    let score = score(&hot_lead(now()), now(), Thresholds::default());

    assert_eq!(score.classification, Classification::Hot, "{score:#?}");
    assert_eq!(score.priority_tier, Some(PriorityTier::P1));
    assert_eq!(score.confidence_level, ConfidenceLevel::High);
    let pricing = score
        .factors
        .iter()
        .find(|f| f.name == "pricing_views")
        .unwrap();
    assert_eq!(pricing.evidence, "4 pricing views in the last 2 hours");
    let urgency = score
        .factors
        .iter()
        .find(|f| f.name == "urgency_language")
        .unwrap();
    assert_eq!(urgency.evidence, "said \"by friday\" 2 hours ago");
    assert!(
        score.insights.iter().any(|i| i.text
            == "Used the payment calculator twice today: open with monthly payment options"),
        "{:#?}",
        score.insights
    );
}

#[test]
fn the_same_events_sixty_days_old_are_not_hot_and_engagement_falls_below_half() {
    let fresh = score(&hot_lead(now()), now(), Thresholds::default());
    let stale = score(
        &hot_lead(now() - Duration::days(60)),
        now(),
        Thresholds::default(),
    );

    assert_ne!(stale.classification, Classification::Hot);
    assert!(
        stale.engagement * 2.0 < fresh.engagement,
        "fresh {} stale {}",
        fresh.engagement,
        stale.engagement
    );
    assert!(stale
        .insights
        .iter()
        .any(|i| i.kind == InsightKind::Concern && i.text.starts_with("Quiet for 60 days")));
}

#[test]
fn negated_urgency_earns_nothing() {
    let mut input = ScoringInput {
        lead: lead(),
        ..Default::default()
    };
    input.texts.push(Text {
        source: TextSource::Note,
        text: "We're not ready to buy, no rush".into(),
        at: now(),
    });

    let score = score(&input, now(), Thresholds::default());

    assert_eq!(
        score
            .factors
            .iter()
            .find(|f| f.name == "urgency_language")
            .unwrap()
            .points,
        0.0
    );
}

#[test]
fn won_and_lost_leads_are_never_prioritized_and_thresholds_are_configurable() {
    let mut input = hot_lead(now());
    input.lead.stage = Some(Stage::Closed);
    let closed = score(&input, now(), Thresholds::default());
    input.lead.stage = Some(Stage::Open);
    let strict = score(&input, now(), Thresholds { hot: 95, warm: 80 });

    assert_eq!(closed.priority_tier, None);
    assert_eq!(strict.classification, Classification::Warm);
}

#[test]
fn the_same_inputs_give_the_same_score_and_words() {
    let a = score(&hot_lead(now()), now(), Thresholds::default());
    let b = score(&hot_lead(now()), now(), Thresholds::default());

    assert_eq!(a, b);
}

#[test]
fn the_readme_documents_every_factor() {
    let readme = include_str!("../../README.md");
    for factor in factors::FACTORS {
        assert!(
            readme.contains(&format!("| `{}` |", factor.name)),
            "README lacks factor {}",
            factor.name
        );
        assert!(
            readme.contains(factor.formula),
            "README's formula for {} differs from the code",
            factor.name
        );
    }
}

fn kinds() -> impl Strategy<Value = EventKind> {
    prop::sample::select(EventKind::ALL.to_vec())
}

fn events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(
        (kinds(), 0i64..(120 * 86_400), prop::option::of(0u32..3_600)),
        0..40,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .map(|(kind, age, seconds)| Event {
                kind,
                at: now() - Duration::seconds(age),
                seconds,
            })
            .collect()
    })
}

fn texts() -> impl Strategy<Value = Vec<Text>> {
    let phrases = prop::sample::select(vec![
        "call me asap",
        "no rush",
        "ready to buy",
        "not ready to buy",
        "maybe next year",
        "need it by Friday",
    ]);
    prop::collection::vec((phrases, 0i64..(60 * 86_400)), 0..5).prop_map(|raw| {
        raw.into_iter()
            .map(|(text, age)| Text {
                source: TextSource::Chat,
                text: text.into(),
                at: now() - Duration::seconds(age),
            })
            .collect()
    })
}

fn inputs() -> impl Strategy<Value = ScoringInput> {
    (
        events(),
        texts(),
        prop::option::of(0i64..dollars(100_000)),
        prop::option::of(0i64..dollars(100_000)),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["Cargo van", "SUV", "boat"])),
        0i32..3,
    )
        .prop_map(
            |(events, texts, min, max, repeat, interest, stock)| ScoringInput {
                lead: LeadFacts {
                    budget_min: min,
                    budget_max: max,
                    is_repeat_customer: repeat,
                    product_interest: interest.map(str::to_string),
                    ..lead()
                },
                events,
                texts,
                inventory: vec![van(36_700, stock)].into(),
            },
        )
}

proptest! {
    #[test]
    fn totals_and_categories_stay_within_their_caps(input in inputs()) {
        let s = score(&input, now(), Thresholds::default());
        prop_assert!(s.total <= 100);
        prop_assert!(s.engagement <= 35.0 && s.buying_signals <= 40.0 && s.demographic <= 25.0);
        for f in &s.factors {
            prop_assert!(f.points >= 0.0 && f.points <= f.max_points, "{f:?}");
        }
        prop_assert!((0.0..=1.0).contains(&s.confidence));
    }

    #[test]
    fn adding_an_event_never_lowers_the_score_at_the_same_instant(input in inputs(), kind in kinds(), age in 0i64..(120 * 86_400)) {
        let before = score(&input, now(), Thresholds::default());
        let mut more = input.clone();
        more.events.push(Event { kind, at: now() - Duration::seconds(age), seconds: Some(30) });
        let after = score(&more, now(), Thresholds::default());
        prop_assert!(after.total >= before.total, "{} then {}", before.total, after.total);
    }

    #[test]
    fn time_passing_never_raises_the_score(input in inputs(), later in 0i64..(90 * 86_400)) {
        let then = score(&input, now(), Thresholds::default());
        let after = score(&input, now() + Duration::seconds(later), Thresholds::default());
        prop_assert!(after.total <= then.total, "{} then {}", then.total, after.total);
    }
}
