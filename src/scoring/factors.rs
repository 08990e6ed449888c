//! Every factor is one row of [`FACTORS`]: its name, category, cap,
//! half-life, formula in words, and the function that computes its points
//! and the evidence behind them. The README's factor table is this table.
use chrono::{DateTime, Utc};

use super::{
    decay::{ago, weight, window},
    input::{EventKind, InventoryItem, ScoringInput},
    urgency,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Engagement,
    BuyingSignals,
    DemographicFit,
}

impl Category {
    /// The most a category can add to the total.
    pub fn cap(self) -> f64 {
        match self {
            Self::Engagement => 35.0,
            Self::BuyingSignals => 40.0,
            Self::DemographicFit => 25.0,
        }
    }
}

/// What one factor contributes, before its cap.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub points: f64,
    /// In words, citing what was counted; empty when nothing was.
    pub evidence: String,
}

pub struct Factor {
    pub name: &'static str,
    pub category: Category,
    pub cap: f64,
    /// Days after which a signal counts half; none for facts that do not age.
    pub half_life_days: Option<f64>,
    pub formula: &'static str,
    pub compute: fn(&ScoringInput, DateTime<Utc>) -> Contribution,
}

pub const FACTORS: &[Factor] = &[
    Factor { name: "recency", category: Category::Engagement, cap: 8.0, half_life_days: Some(7.0), formula: "8 x decay(age of the last touch: any event or logged activity)", compute: recency },
    Factor { name: "email_opens", category: Category::Engagement, cap: 6.0, half_life_days: Some(14.0), formula: "2 per email opened, decayed", compute: email_opens },
    Factor { name: "email_clicks", category: Category::Engagement, cap: 7.0, half_life_days: Some(14.0), formula: "3.5 per email link clicked, decayed", compute: email_clicks },
    Factor { name: "email_replies", category: Category::Engagement, cap: 7.0, half_life_days: Some(14.0), formula: "7 per email reply, decayed", compute: email_replies },
    Factor { name: "website_visits", category: Category::Engagement, cap: 7.0, half_life_days: Some(14.0), formula: "1 per page view plus 0.5 per minute on the site, decayed", compute: website_visits },
    Factor { name: "pricing_views", category: Category::BuyingSignals, cap: 10.0, half_life_days: Some(7.0), formula: "3 per pricing page view, decayed", compute: pricing_views },
    Factor { name: "calculator_use", category: Category::BuyingSignals, cap: 8.0, half_life_days: Some(7.0), formula: "5 per payment-calculator use, decayed", compute: calculator_use },
    Factor { name: "urgency_language", category: Category::BuyingSignals, cap: 10.0, half_life_days: Some(7.0), formula: "6 per chat message, note or activity with an urgency phrase that is not negated, decayed", compute: urgency_language },
    Factor { name: "budget_clarity", category: Category::BuyingSignals, cap: 7.0, half_life_days: None, formula: "5 for a budget range (3 for one bound) plus 2 for a purchase timeline", compute: budget_clarity },
    Factor { name: "high_intent_actions", category: Category::BuyingSignals, cap: 5.0, half_life_days: Some(14.0), formula: "4 per demo request, 2 per form, 1 per brochure, decayed", compute: high_intent_actions },
    Factor { name: "product_match", category: Category::DemographicFit, cap: 10.0, half_life_days: None, formula: "10 when the product interest matches inventory in stock, 4 when it matches only sold-out items", compute: product_match },
    Factor { name: "budget_fit", category: Category::DemographicFit, cap: 10.0, half_life_days: None, formula: "10 when the budget covers a matching in-stock item, 5 when it reaches 80% of the cheapest", compute: budget_fit },
    Factor { name: "repeat_customer", category: Category::DemographicFit, cap: 5.0, half_life_days: None, formula: "5 for a repeat customer", compute: repeat_customer },
];

fn none() -> Contribution {
    Contribution {
        points: 0.0,
        evidence: String::new(),
    }
}

/// Decayed count of events of `kinds`, how many there were, and the oldest.
fn tally(
    input: &ScoringInput,
    now: DateTime<Utc>,
    kinds: &[EventKind],
    half_life: f64,
) -> (f64, usize, Option<DateTime<Utc>>) {
    input
        .events
        .iter()
        .filter(|e| kinds.contains(&e.kind))
        .fold((0.0, 0, None), |(sum, n, oldest), e| {
            (
                sum + weight(e.at, now, half_life),
                n + 1,
                Some(oldest.map_or(e.at, |o: DateTime<Utc>| o.min(e.at))),
            )
        })
}

fn counted(
    input: &ScoringInput,
    now: DateTime<Utc>,
    kind: EventKind,
    half_life: f64,
    per: f64,
    noun: (&str, &str),
) -> Contribution {
    let (weighted, n, oldest) = tally(input, now, &[kind], half_life);
    match oldest {
        Some(oldest) => Contribution {
            points: weighted * per,
            evidence: format!(
                "{n} {} {}",
                if n == 1 { noun.0 } else { noun.1 },
                window(oldest, now)
            ),
        },
        None => none(),
    }
}

fn recency(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    let last_event = input.events.iter().map(|e| e.at).max();
    let last = last_event
        .max(input.lead.last_activity_at)
        .max(input.texts.iter().map(|t| t.at).max());
    match last {
        Some(at) => Contribution {
            points: 8.0 * weight(at, now, 7.0),
            evidence: format!("last touch {}", ago(at, now)),
        },
        None => none(),
    }
}

fn email_opens(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    counted(
        input,
        now,
        EventKind::EmailOpened,
        14.0,
        2.0,
        ("email open", "email opens"),
    )
}

fn email_clicks(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    counted(
        input,
        now,
        EventKind::EmailClicked,
        14.0,
        3.5,
        ("email click", "email clicks"),
    )
}

fn email_replies(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    counted(
        input,
        now,
        EventKind::EmailReplied,
        14.0,
        7.0,
        ("email reply", "email replies"),
    )
}

fn website_visits(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    let views: Vec<_> = input
        .events
        .iter()
        .filter(|e| e.kind == EventKind::PageView)
        .collect();
    let Some(oldest) = views.iter().map(|e| e.at).min() else {
        return none();
    };
    let points: f64 = views
        .iter()
        .map(|e| weight(e.at, now, 14.0) * (1.0 + 0.5 * e.seconds.unwrap_or(0) as f64 / 60.0))
        .sum();
    let minutes = views
        .iter()
        .map(|e| e.seconds.unwrap_or(0) as u64)
        .sum::<u64>()
        / 60;
    Contribution {
        points,
        evidence: format!(
            "{} page views ({minutes} minutes on the site) {}",
            views.len(),
            window(oldest, now)
        ),
    }
}

fn pricing_views(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    counted(
        input,
        now,
        EventKind::PricingView,
        7.0,
        3.0,
        ("pricing view", "pricing views"),
    )
}

fn calculator_use(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    counted(
        input,
        now,
        EventKind::CalculatorUsed,
        7.0,
        5.0,
        ("payment-calculator use", "payment-calculator uses"),
    )
}

fn urgency_language(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    let mut points = 0.0;
    let mut newest: Option<(DateTime<Utc>, &'static str)> = None;
    for text in &input.texts {
        if let Some(phrase) = urgency::detect(&text.text) {
            points += 6.0 * weight(text.at, now, 7.0);
            if newest.is_none_or(|(at, _)| text.at > at) {
                newest = Some((text.at, phrase));
            }
        }
    }
    match newest {
        Some((at, phrase)) => Contribution {
            points,
            evidence: format!("said \"{phrase}\" {}", ago(at, now)),
        },
        None => none(),
    }
}

fn budget_clarity(input: &ScoringInput, _now: DateTime<Utc>) -> Contribution {
    let lead = &input.lead;
    let (budget, said) = match (lead.budget_min, lead.budget_max) {
        (Some(_), Some(_)) => (5.0, "a budget range"),
        (Some(_), None) | (None, Some(_)) => (3.0, "one budget bound"),
        (None, None) => (0.0, ""),
    };
    let timeline = lead
        .purchase_timeline
        .as_deref()
        .filter(|t| !t.trim().is_empty());
    let points = budget + if timeline.is_some() { 2.0 } else { 0.0 };
    let evidence = match (said.is_empty(), timeline) {
        (true, None) => String::new(),
        (false, None) => said.to_string(),
        (true, Some(t)) => format!("purchase timeline \"{t}\""),
        (false, Some(t)) => format!("{said} and purchase timeline \"{t}\""),
    };
    Contribution { points, evidence }
}

fn high_intent_actions(input: &ScoringInput, now: DateTime<Utc>) -> Contribution {
    let mut points = 0.0;
    let mut parts = Vec::new();
    for (kind, per, noun) in [
        (EventKind::DemoRequested, 4.0, "demo request"),
        (EventKind::FormSubmitted, 2.0, "form submitted"),
        (EventKind::BrochureDownloaded, 1.0, "brochure download"),
    ] {
        let (weighted, n, _) = tally(input, now, &[kind], 14.0);
        if n > 0 {
            points += weighted * per;
            parts.push(format!("{n} {noun}{}", if n == 1 { "" } else { "s" }));
        }
    }
    Contribution {
        points,
        evidence: parts.join(", "),
    }
}

/// Inventory items the lead's product interest points at (by category or name).
pub fn matching(input: &ScoringInput) -> Vec<&InventoryItem> {
    let Some(interest) = input
        .lead
        .product_interest
        .as_deref()
        .map(|i| i.trim().to_lowercase())
        .filter(|i| !i.is_empty())
    else {
        return Vec::new();
    };
    input
        .inventory
        .iter()
        .filter(|item| {
            let (category, name) = (item.category.to_lowercase(), item.name.to_lowercase());
            category == interest
                || category.contains(&interest)
                || interest.contains(&category)
                || name.contains(&interest)
        })
        .collect()
}

fn product_match(input: &ScoringInput, _now: DateTime<Utc>) -> Contribution {
    let items = matching(input);
    let in_stock: Vec<_> = items.iter().filter(|i| i.quantity_available > 0).collect();
    let interest = input.lead.product_interest.as_deref().unwrap_or_default();
    if !in_stock.is_empty() {
        let units: i32 = in_stock.iter().map(|i| i.quantity_available).sum();
        Contribution {
            points: 10.0,
            evidence: format!(
                "wants {interest}: {} matching models in stock ({units} units)",
                in_stock.len()
            ),
        }
    } else if !items.is_empty() {
        Contribution {
            points: 4.0,
            evidence: format!("wants {interest}: matching models are sold out"),
        }
    } else {
        none()
    }
}

fn budget_fit(input: &ScoringInput, _now: DateTime<Utc>) -> Contribution {
    let Some(budget) = input.lead.budget_max.or(input.lead.budget_min) else {
        return none();
    };
    let cheapest = matching(input)
        .into_iter()
        .filter(|i| {
            i.quantity_available > 0 && i.currency.eq_ignore_ascii_case(&input.lead.currency)
        })
        .min_by_key(|i| i.price);
    let Some(item) = cheapest else { return none() };
    let price = format!("{} {:.0}", item.currency, item.price as f64 / 100.0);
    if budget >= item.price {
        Contribution {
            points: 10.0,
            evidence: format!("budget covers {} at {price}", item.name),
        }
    } else if budget * 5 >= item.price * 4 {
        Contribution {
            points: 5.0,
            evidence: format!("budget reaches 80% of {} at {price}", item.name),
        }
    } else {
        none()
    }
}

fn repeat_customer(input: &ScoringInput, _now: DateTime<Utc>) -> Contribution {
    if input.lead.is_repeat_customer {
        Contribution {
            points: 5.0,
            evidence: "repeat customer".into(),
        }
    } else {
        none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_category_caps_add_up_to_the_category_cap() {
        for category in [
            Category::Engagement,
            Category::BuyingSignals,
            Category::DemographicFit,
        ] {
            let sum: f64 = FACTORS
                .iter()
                .filter(|f| f.category == category)
                .map(|f| f.cap)
                .sum();
            assert!((sum - category.cap()).abs() < 1e-9, "{category:?}: {sum}");
        }
        let names: std::collections::HashSet<_> = FACTORS.iter().map(|f| f.name).collect();
        assert_eq!(names.len(), FACTORS.len(), "factor names are unique");
    }
}
