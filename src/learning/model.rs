//! One learned model: its encoder, weights and calibration, and how it
//! explains a prediction. [`super::fitting`] trains it.
use serde::{Deserialize, Serialize};

use super::{
    calibration::Platt,
    encoder::Encoder,
    explain::{label, value_text, Contribution},
    logistic::Weights,
    raw::{Raw, RawRow},
};

/// The seed lead ids are hashed with (folds, samples): fixed, so training
/// is repeatable.
pub const SEED: u64 = 0x1ead_5c0e;

/// A stable 64-bit hash (FNV-1a) of `bytes` and the seed.
pub fn slice_key(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ SEED;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A feature's share of what the model weighs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    pub name: String,
    pub kind: String,
    /// Σ |weight| × spread of its columns, all features summing to 1.
    pub importance: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedModel {
    pub encoder: Encoder,
    pub weights: Weights,
    pub calibration: Platt,
    /// Each column's mean over the training leads: the average lead,
    /// against which contributions are measured.
    pub baseline: Vec<f64>,
}

/// A lead's calibrated conversion probability and what moved it.
#[derive(Debug, Clone)]
pub struct Prediction {
    pub probability: f64,
    pub contributions: Vec<Contribution>,
}

/// Each feature's share of what the model weighs: Σ |weight| × the
/// spread of its columns.
pub(super) fn importances(encoder: &Encoder, weights: &Weights, spread: &[f64]) -> Vec<Importance> {
    let raw: Vec<(String, String, f64)> = encoder
        .features
        .iter()
        .map(|f| {
            let weight: f64 = f
                .columns()
                .map(|j| weights.coefficients[j].abs() * spread[j])
                .sum();
            (f.name.clone(), f.kind.name().to_string(), weight)
        })
        .collect();
    let total: f64 = raw
        .iter()
        .map(|(_, _, w)| w)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let mut out: Vec<Importance> = raw
        .into_iter()
        .map(|(name, kind, w)| Importance {
            name,
            kind,
            importance: w / total,
        })
        .collect();
    out.sort_by(|a, b| {
        b.importance
            .total_cmp(&a.importance)
            .then(a.name.cmp(&b.name))
    });
    out
}

impl LearnedModel {
    pub fn predict(&self, row: &RawRow) -> Prediction {
        let x = self.encoder.encode(row);
        let z = self.weights.logit(&x);
        let probability = self.calibration.probability(z);
        // Each feature's log-odds against the average lead's.
        let shifts: Vec<f64> = self
            .encoder
            .features
            .iter()
            .map(|spec| {
                spec.columns()
                    .map(|j| self.weights.coefficients[j] * (x[j] - self.baseline[j]))
                    .sum()
            })
            .collect();
        // The probability points between the average lead and this one,
        // shared in proportion to the log-odds each feature moved: they add
        // up to the whole difference, and a near-certain lead still shows
        // what made it so (a one-at-a-time removal would show nothing there).
        let moved: f64 = shifts.iter().sum();
        let average = self.calibration.probability(z - moved);
        let per_logit = if moved.abs() > 1e-9 {
            (probability - average) / moved
        } else {
            (self.calibration.probability(z + 1e-4) - self.calibration.probability(z - 1e-4)) / 2e-4
        };
        let contributions = self
            .encoder
            .features
            .iter()
            .zip(&shifts)
            .map(|(spec, shift)| Contribution {
                feature: spec.name.clone(),
                label: label(&spec.name),
                value: value_text(spec, row.get(&spec.name).unwrap_or(&Raw::Missing)),
                points: 100.0 * per_logit * shift,
            })
            .collect();
        Prediction {
            probability,
            contributions,
        }
    }
}

#[cfg(test)]
mod tests;
