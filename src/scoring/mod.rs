//! The scoring engine: pure and deterministic. No database, no async, and
//! the current time is an argument, so the same inputs at the same instant
//! always give the same score and the same words.
//!
//! Total 0-100 = engagement (cap 35) + buying signals (cap 40) + demographic
//! fit (cap 25), each the capped sum of its factors in [`factors::FACTORS`].
use chrono::{DateTime, Duration, Utc};

pub mod decay;
pub mod factors;
pub mod input;
pub mod insights;
pub mod urgency;

pub use factors::Category;
pub use input::{
    Event, EventKind, InventoryItem, LeadFacts, ScoringInput, Stage, Text, TextSource,
};
pub use insights::{Insight, InsightKind, InsightWriter, RuleWriter};

/// Recorded with every score, so history says which rules made it.
pub const MODEL_VERSION: &str = "rules-2026.11";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    Hot,
    Warm,
    Cold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PriorityTier {
    /// Call now.
    P1,
    /// Today.
    P2,
    /// This week.
    P3,
    /// Nurture.
    P4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfidenceLevel {
    Low,
    Medium,
    High,
}

/// Classification thresholds (configurable): HOT at `hot` and above, WARM
/// from `warm`, COLD below.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub hot: u8,
    pub warm: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { hot: 70, warm: 40 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FactorScore {
    pub name: &'static str,
    pub category: Category,
    pub points: f64,
    pub max_points: f64,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub total: u8,
    pub engagement: f64,
    pub buying_signals: f64,
    pub demographic: f64,
    pub factors: Vec<FactorScore>,
    pub confidence: f64,
    pub confidence_level: ConfidenceLevel,
    pub classification: Classification,
    /// None for WON and LOST leads: they are never prioritized.
    pub priority_tier: Option<PriorityTier>,
    /// What the model lacked ("no budget", ...).
    pub missing: Vec<&'static str>,
    pub insights: Vec<Insight>,
    /// "rules-2026.11", or "learned-v3" once a learned model scores.
    pub model_version: String,
    pub scored_at: DateTime<Utc>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores a lead at `now` with the default insight writer.
pub fn score(input: &ScoringInput, now: DateTime<Utc>, thresholds: Thresholds) -> Score {
    score_with(input, now, thresholds, &RuleWriter)
}

pub fn score_with(
    input: &ScoringInput,
    now: DateTime<Utc>,
    thresholds: Thresholds,
    writer: &dyn InsightWriter,
) -> Score {
    let mut factors = Vec::with_capacity(factors::FACTORS.len());
    let mut sums = [0.0_f64; 3];
    for factor in factors::FACTORS {
        let contribution = (factor.compute)(input, now);
        let points = contribution.points.clamp(0.0, factor.cap);
        sums[factor.category as usize] += points;
        factors.push(FactorScore {
            name: factor.name,
            category: factor.category,
            points: round1(points),
            max_points: factor.cap,
            evidence: contribution.evidence,
        });
    }
    let engagement = sums[Category::Engagement as usize].min(Category::Engagement.cap());
    let buying = sums[Category::BuyingSignals as usize].min(Category::BuyingSignals.cap());
    let demographic = sums[Category::DemographicFit as usize].min(Category::DemographicFit.cap());
    let total = (engagement + buying + demographic)
        .round()
        .clamp(0.0, 100.0) as u8;
    let classification = if total >= thresholds.hot {
        Classification::Hot
    } else if total >= thresholds.warm {
        Classification::Warm
    } else {
        Classification::Cold
    };
    let (confidence, missing) = confidence(input, now);
    let confidence_level = if confidence >= 0.7 {
        ConfidenceLevel::High
    } else if confidence >= 0.4 {
        ConfidenceLevel::Medium
    } else {
        ConfidenceLevel::Low
    };
    let mut score = Score {
        total,
        engagement: round1(engagement),
        buying_signals: round1(buying),
        demographic: round1(demographic),
        factors,
        confidence: (confidence * 100.0).round() / 100.0,
        confidence_level,
        classification,
        priority_tier: priority(input, now, classification),
        missing,
        insights: Vec::new(),
        model_version: MODEL_VERSION.into(),
        scored_at: now,
    };
    score.insights = writer.write(input, &score, now);
    score
}

/// The newest sign of life: an event, a logged activity or a text.
pub fn last_touch(input: &ScoringInput) -> Option<DateTime<Utc>> {
    let events = input.events.iter().map(|e| e.at).max();
    let texts = input.texts.iter().map(|t| t.at).max();
    events.max(texts).max(input.lead.last_activity_at)
}

/// P1 call now, P2 today, P3 this week, P4 nurture; none for closed leads.
pub fn priority(
    input: &ScoringInput,
    now: DateTime<Utc>,
    class: Classification,
) -> Option<PriorityTier> {
    let stage = input.lead.stage.unwrap_or(Stage::Open);
    if stage == Stage::Closed {
        return None;
    }
    let quiet_for = last_touch(input).map(|at| now - at);
    let within = |d: Duration| quiet_for.is_some_and(|q| q <= d);
    let tier = match class {
        Classification::Hot if within(Duration::hours(48)) => PriorityTier::P1,
        Classification::Hot => PriorityTier::P2,
        Classification::Warm if within(Duration::days(7)) => PriorityTier::P2,
        Classification::Warm => PriorityTier::P3,
        Classification::Cold if within(Duration::days(3)) => PriorityTier::P3,
        Classification::Cold => PriorityTier::P4,
    };
    // Money on the table (proposal, negotiation) is never left to nurture.
    Some(if stage == Stage::Late {
        tier.min(PriorityTier::P2)
    } else {
        tier
    })
}

/// Which kinds of input exist (60%) and how much recent evidence (40%).
fn confidence(input: &ScoringInput, now: DateTime<Utc>) -> (f64, Vec<&'static str>) {
    use EventKind::*;
    let has = |kinds: &[EventKind]| input.events.iter().any(|e| kinds.contains(&e.kind));
    let lead = &input.lead;
    let checks: [(bool, &'static str); 7] = [
        (lead.has_contact, "no contact details"),
        (
            has(&[EmailSent, EmailOpened, EmailClicked, EmailReplied]),
            "no email activity",
        ),
        (
            has(&[
                PageView,
                PricingView,
                CalculatorUsed,
                BrochureDownloaded,
                InventoryViewed,
            ]),
            "no website activity",
        ),
        (
            lead.budget_min.is_some() || lead.budget_max.is_some(),
            "no budget",
        ),
        (
            lead.product_interest
                .as_deref()
                .is_some_and(|p| !p.trim().is_empty()),
            "no product interest",
        ),
        (
            lead.purchase_timeline
                .as_deref()
                .is_some_and(|p| !p.trim().is_empty()),
            "no purchase timeline",
        ),
        (
            !input.texts.is_empty() || lead.last_activity_at.is_some(),
            "no conversation yet",
        ),
    ];
    let present = checks.iter().filter(|(ok, _)| *ok).count() as f64 / checks.len() as f64;
    let recent = input
        .events
        .iter()
        .filter(|e| now - e.at <= Duration::days(30))
        .count()
        + input
            .texts
            .iter()
            .filter(|t| now - t.at <= Duration::days(30))
            .count();
    let volume = (recent as f64 / 15.0).min(1.0);
    let missing = checks
        .iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, what)| *what)
        .collect();
    (0.6 * present + 0.4 * volume, missing)
}

#[cfg(test)]
mod tests;
