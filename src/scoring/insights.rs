//! Insights: sentences a rep can use, written from the strongest factors and
//! the gaps, each citing its evidence. The writer is a trait so another one
//! (a language model, say) can replace the rules without touching scoring.
use chrono::{DateTime, Datelike, Duration, Utc};

use super::{
    factors::matching,
    input::{EventKind, ScoringInput},
    last_touch, Score,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsightKind {
    TalkingPoint,
    Concern,
    Opportunity,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insight {
    pub kind: InsightKind,
    pub text: String,
    /// The factor it rests on, or the gap it points at.
    pub evidence: String,
}

pub trait InsightWriter {
    /// Deterministic: the same inputs at the same instant give the same words.
    fn write(&self, input: &ScoringInput, score: &Score, now: DateTime<Utc>) -> Vec<Insight>;
}

/// The built-in writer: fixed sentences per factor and per gap.
pub struct RuleWriter;

/// "since Tuesday" within the week, else "in the last N days".
fn since(oldest: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let age = now - oldest;
    if age < Duration::hours(24) {
        "today".into()
    } else if age < Duration::days(6) {
        format!("since {}", oldest.weekday_name())
    } else {
        format!("in the last {} days", age.num_days() + 1)
    }
}

trait WeekdayName {
    fn weekday_name(&self) -> &'static str;
}

impl WeekdayName for DateTime<Utc> {
    fn weekday_name(&self) -> &'static str {
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][self.weekday().num_days_from_monday() as usize]
    }
}

fn times(n: usize) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

fn events(input: &ScoringInput, kind: EventKind) -> (usize, Option<DateTime<Utc>>) {
    let matching: Vec<_> = input
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.at)
        .collect();
    (matching.len(), matching.iter().min().copied())
}

impl InsightWriter for RuleWriter {
    fn write(&self, input: &ScoringInput, score: &Score, now: DateTime<Utc>) -> Vec<Insight> {
        let mut out = Vec::new();
        let evidence = |name: &str| {
            score
                .factors
                .iter()
                .find(|f| f.name == name && f.points > 0.0)
                .map(|f| f.evidence.clone())
        };
        // Strongest first: factors ordered by how much of their cap they earned.
        let mut strong: Vec<_> = score.factors.iter().filter(|f| f.points > 0.0).collect();
        strong.sort_by(|a, b| {
            (b.points / b.max_points)
                .total_cmp(&(a.points / a.max_points))
                .then(a.name.cmp(b.name))
        });
        for factor in strong.iter().take(4) {
            let text = match factor.name {
                "calculator_use" => {
                    let (n, oldest) = events(input, EventKind::CalculatorUsed);
                    oldest.map(|o| (InsightKind::TalkingPoint, format!("Used the payment calculator {} {}: open with monthly payment options", times(n), since(o, now))))
                }
                "pricing_views" => {
                    let (n, oldest) = events(input, EventKind::PricingView);
                    oldest.map(|o| {
                        (
                            InsightKind::TalkingPoint,
                            format!(
                                "Looked at pricing {} {}: be ready to talk price and trims",
                                times(n),
                                since(o, now)
                            ),
                        )
                    })
                }
                "urgency_language" => Some((
                    InsightKind::Opportunity,
                    format!(
                        "{}: propose a concrete next step today",
                        capitalise(&factor.evidence)
                    ),
                )),
                "email_replies" => Some((
                    InsightKind::TalkingPoint,
                    "Replied to your email: pick up that thread rather than starting over"
                        .to_string(),
                )),
                "product_match" | "budget_fit" => {
                    let item = matching(input)
                        .into_iter()
                        .filter(|i| i.quantity_available > 0)
                        .min_by_key(|i| i.price);
                    item.map(|i| {
                        (
                            InsightKind::Opportunity,
                            format!(
                                "{} is in stock ({} available): lead with it",
                                i.name, i.quantity_available
                            ),
                        )
                    })
                }
                "repeat_customer" => Some((
                    InsightKind::TalkingPoint,
                    "Repeat customer: thank them for coming back and mention loyalty terms"
                        .to_string(),
                )),
                "high_intent_actions" => Some((
                    InsightKind::Opportunity,
                    format!(
                        "Asked for more ({}): follow up while it is fresh",
                        factor.evidence
                    ),
                )),
                "website_visits" => Some((
                    InsightKind::TalkingPoint,
                    format!(
                        "Browsing the site ({}): ask what caught their eye",
                        factor.evidence
                    ),
                )),
                _ => None,
            };
            if let Some((kind, text)) = text {
                if !out.iter().any(|i: &Insight| i.text == text) {
                    out.push(Insight {
                        kind,
                        text,
                        evidence: factor.evidence.clone(),
                    });
                }
            }
        }
        if score.missing.contains(&"no budget") {
            out.push(Insight {
                kind: InsightKind::Concern,
                text: "No budget on file: ask what monthly payment or price range works for them"
                    .into(),
                evidence: "no budget".into(),
            });
        }
        if let Some(at) = last_touch(input).filter(|at| now - *at > Duration::days(14)) {
            out.push(Insight {
                kind: InsightKind::Concern,
                text: format!(
                    "Quiet for {} days: the score is fading, reach out before it goes cold",
                    (now - at).num_days()
                ),
                evidence: "recency".into(),
            });
        }
        if evidence("product_match").is_none()
            && input.lead.product_interest.is_some()
            && !matching(input).is_empty()
        {
            out.push(Insight {
                kind: InsightKind::Concern,
                text:
                    "What they want is sold out: offer the closest alternative or a delivery date"
                        .into(),
                evidence: "product_match".into(),
            });
        }
        if input.lead.budget_max.is_some()
            && evidence("budget_fit").is_none()
            && !matching(input).is_empty()
        {
            out.push(Insight {
                kind: InsightKind::Concern,
                text: "Budget is below the matching models: discuss financing or a trade-in".into(),
                evidence: "budget_fit".into(),
            });
        }
        out
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
