//! Champion and challenger: whether a newly trained model should replace
//! what scores now. Both are judged on the same leads (held out from the
//! candidate, never learned from by the incumbent), and the candidate wins
//! only when those leads are enough to tell and its advantage is unlikely
//! to be chance (DeLong's paired test). Comparing each model's AUC on its
//! own holdout let a lucky first model, measured on 33 leads, block every
//! better one after it.
use serde::{Deserialize, Serialize};

use super::metrics::delong;

/// What a fair comparison needs (settings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub min_leads: usize,
    pub min_per_outcome: usize,
    /// The p-value under which the candidate's advantage counts as real.
    pub significance: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_leads: 200,
            min_per_outcome: 30,
            significance: 0.05,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    Activate,
    KeepReady,
}

/// A comparison's figures and its verdict, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub leads: usize,
    pub won: usize,
    pub lost: usize,
    pub incumbent_auc: f64,
    pub candidate_auc: f64,
    pub difference: f64,
    /// None when the leads were too few to test.
    pub p_value: Option<f64>,
    pub decision: Decision,
    pub reason: String,
}

/// Judges a candidate against `incumbent` (words: "model v3", "the
/// rules") from `contest`: per lead, the candidate's probability, the
/// incumbent's score, and the outcome.
pub fn compare(contest: &[(f64, f64, bool)], policy: &Policy, incumbent: &str) -> Comparison {
    let candidate: Vec<f64> = contest.iter().map(|c| c.0).collect();
    let scores: Vec<f64> = contest.iter().map(|c| c.1).collect();
    let outcomes: Vec<bool> = contest.iter().map(|c| c.2).collect();
    let won = outcomes.iter().filter(|w| **w).count();
    let lost = outcomes.len() - won;
    let test = delong(&candidate, &scores, &outcomes);
    let mut comparison = Comparison {
        leads: contest.len(),
        won,
        lost,
        incumbent_auc: test.b_auc,
        candidate_auc: test.a_auc,
        difference: test.difference,
        p_value: None,
        decision: Decision::KeepReady,
        reason: String::new(),
    };
    if contest.len() < policy.min_leads || won.min(lost) < policy.min_per_outcome {
        comparison.reason = format!(
            "only {} outcomes that {incumbent} did not learn from ({won} won, {lost} lost): \
             a fair comparison needs at least {} with {} of each",
            contest.len(),
            policy.min_leads,
            policy.min_per_outcome
        );
        return comparison;
    }
    comparison.p_value = Some(test.p_value);
    let figures = format!(
        "AUC {:.3} against {:.3} for {incumbent} on the same {} leads ({:+.3}, p = {:.4})",
        test.a_auc,
        test.b_auc,
        contest.len(),
        test.difference,
        test.p_value
    );
    if test.difference > 0.0 && test.p_value < policy.significance {
        comparison.decision = Decision::Activate;
        comparison.reason = format!("better: {figures}");
    } else if test.difference > 0.0 {
        comparison.reason = format!(
            "not clearly better: {figures}; the difference could be chance (p must be under {})",
            policy.significance
        );
    } else {
        comparison.reason = format!("no better: {figures}");
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leads whose candidate score tracks the outcome `signal` well and
    /// whose incumbent score tracks it `weak`ly.
    fn contest(n: usize, signal: f64, weak: f64) -> Vec<(f64, f64, bool)> {
        let mut state = 0x9e37_79b9_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 100_000) as f64 / 100_000.0
        };
        (0..n)
            .map(|_| {
                let won = next() < 0.4;
                let base = if won { 1.0 } else { 0.0 };
                (signal * base + next(), weak * base + next(), won)
            })
            .collect()
    }

    #[test]
    fn a_clearly_better_candidate_on_enough_leads_is_activated() {
        let judged = compare(&contest(800, 0.9, 0.1), &Policy::default(), "model v1");
        assert_eq!(judged.decision, Decision::Activate, "{judged:?}");
        assert!(judged.p_value.unwrap() < 0.001);
        assert!(
            judged.reason.starts_with("better: AUC"),
            "{}",
            judged.reason
        );
    }

    #[test]
    fn too_few_leads_or_too_small_a_difference_leave_it_ready_with_the_reason() {
        let few = compare(&contest(60, 0.9, 0.1), &Policy::default(), "model v1");
        assert_eq!(few.decision, Decision::KeepReady);
        assert_eq!(few.p_value, None);
        assert!(few.reason.contains("only 60 outcomes"), "{}", few.reason);

        let close = compare(&contest(400, 0.32, 0.30), &Policy::default(), "the rules");
        assert_eq!(close.decision, Decision::KeepReady, "{close:?}");
        assert!(close.reason.contains("could be chance") || close.reason.starts_with("no better"));
        assert!(close.p_value.is_some());
    }
}
