//! Rules and a learned model, blended by how much the model learned from:
//! a model trained on barely enough outcomes weighs little, so scores do
//! not jump when the first one arrives, and the rules fade out as outcomes
//! grow.
use std::sync::Arc;

use uuid::Uuid;

use super::{compare::Policy, model::LearnedModel};
use crate::scoring::{Classification, Thresholds};

/// The model a server scores with, and what it learned from.
#[derive(Debug)]
pub struct ActiveModel {
    pub id: Uuid,
    pub version: i32,
    pub labelled: u64,
    pub model: LearnedModel,
}

/// What scores rest on now: the active model, or the rules and why.
#[derive(Debug, Clone)]
pub enum Basis {
    Learned(Arc<ActiveModel>),
    Rules { won: u64, lost: u64 },
}

/// What decides a learned score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnedSettings {
    /// Labelled leads (WON plus LOST) a model needs...
    pub min_labelled: u64,
    /// ...with at least this many of each outcome.
    pub min_per_outcome: u64,
    /// Probabilities from which a fully learned score is HOT, and WARM.
    pub hot: f64,
    pub warm: f64,
    /// What a new model must show to replace the active one by itself.
    pub policy: Policy,
}

impl Default for LearnedSettings {
    fn default() -> Self {
        Self {
            min_labelled: 200,
            min_per_outcome: 40,
            hot: 0.6,
            warm: 0.3,
            policy: Policy::default(),
        }
    }
}

impl LearnedSettings {
    /// Whether these outcomes are enough to learn from; why not, if not.
    pub fn enough(&self, won: u64, lost: u64) -> Result<(), String> {
        let labelled = won + lost;
        if labelled < self.min_labelled {
            return Err(format!(
                "rules only: {labelled} of {} outcomes",
                self.min_labelled
            ));
        }
        if won.min(lost) < self.min_per_outcome {
            return Err(format!(
                "rules only: {won} won and {lost} lost; a model needs {} of each",
                self.min_per_outcome
            ));
        }
        Ok(())
    }

    /// The learned probability's share of a score, 0 to 1: none at the
    /// threshold, all of it at five times the threshold.
    pub fn weight(&self, labelled: u64) -> f64 {
        let min = self.min_labelled.max(1) as f64;
        ((labelled as f64 - min) / (4.0 * min)).clamp(0.0, 1.0)
    }
}

/// A score on the 0-1 scale from the rules' total and the model's
/// probability, and its classification by thresholds blended the same way.
pub fn blend(
    rule_total: u8,
    probability: f64,
    weight: f64,
    rules: Thresholds,
    learned: &LearnedSettings,
) -> (f64, Classification) {
    let mix = |rule: f64, model: f64| (1.0 - weight) * rule + weight * model;
    let value = mix(f64::from(rule_total) / 100.0, probability);
    let hot = mix(f64::from(rules.hot) / 100.0, learned.hot);
    let warm = mix(f64::from(rules.warm) / 100.0, learned.warm);
    let class = if value >= hot {
        Classification::Hot
    } else if value >= warm {
        Classification::Warm
    } else {
        Classification::Cold
    };
    (value, class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_data_scores_by_the_rules_and_says_why() {
        let settings = LearnedSettings::default();
        assert_eq!(
            settings.enough(30, 27).unwrap_err(),
            "rules only: 57 of 200 outcomes"
        );
        assert!(settings.enough(190, 20).unwrap_err().contains("40 of each"));
        assert!(settings.enough(100, 100).is_ok());
    }

    #[test]
    fn the_model_weighs_nothing_at_the_threshold_and_everything_at_five_times_it() {
        let settings = LearnedSettings::default();
        assert_eq!(settings.weight(200), 0.0);
        assert_eq!(settings.weight(600), 0.5);
        assert_eq!(settings.weight(50_000), 1.0);
        // At weight 0 the rules decide; at 1 the probability does.
        let rules = Thresholds::default();
        assert_eq!(
            blend(75, 0.1, 0.0, rules, &settings),
            (0.75, Classification::Hot)
        );
        let (value, class) = blend(10, 0.65, 1.0, rules, &settings);
        assert!((value - 0.65).abs() < 1e-12);
        assert_eq!(class, Classification::Hot);
    }
}
