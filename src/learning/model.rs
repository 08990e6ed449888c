//! Training and using one learned model: features encoded, an
//! L2-regularised logistic regression fitted on 80% of the labelled leads,
//! Platt-calibrated on 10%, measured on the last 10%. Which lead falls in
//! which slice is decided by a hash of its id and a fixed seed, so the same
//! leads always give the same model.
use serde::{Deserialize, Serialize};

use super::{
    calibration::Platt,
    encoder::{Encoder, EncoderConfig},
    explain::{label, value_text, Contribution},
    logistic::{self, FitError, Weights},
    metrics::Metrics,
    raw::{Raw, RawRow},
};

/// A labelled lead as training sees it.
#[derive(Debug, Clone)]
pub struct Example {
    /// Decides the lead's slice: [`slice_key`] of its id.
    pub key: u64,
    pub row: RawRow,
    pub converted: bool,
    /// The rules' total (0-100) at the same moment: the baseline.
    pub rule_total: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice {
    Train,
    Calibrate,
    Test,
}

impl Slice {
    pub fn of(key: u64) -> Self {
        match key % 20 {
            0..=15 => Slice::Train,
            16 | 17 => Slice::Calibrate,
            _ => Slice::Test,
        }
    }
}

/// The seed every slice is drawn with: fixed, so training is repeatable.
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

/// The L2 penalty servers train with: scikit-learn's default `C = 1`.
pub const DEFAULT_ALPHA: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The L2 penalty (scikit-learn's `1/C`).
    pub alpha: f64,
    pub encoder: EncoderConfig,
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

/// What training made, with its measurements.
#[derive(Debug, Clone)]
pub struct Trained {
    pub model: LearnedModel,
    pub metrics: Metrics,
    /// The rules' AUC on the same held-out leads.
    pub rules_auc: f64,
    pub importances: Vec<Importance>,
    /// Features folded or dropped, for the log.
    pub notes: Vec<String>,
}

/// A lead's calibrated conversion probability and what moved it.
#[derive(Debug, Clone)]
pub struct Prediction {
    pub probability: f64,
    pub contributions: Vec<Contribution>,
}

pub fn train(examples: &[Example], config: &TrainConfig) -> Result<Trained, FitError> {
    let in_slice = |slice: Slice| -> Vec<&Example> {
        examples
            .iter()
            .filter(|e| Slice::of(e.key) == slice)
            .collect()
    };
    let (train, calibrate, test) = (
        in_slice(Slice::Train),
        in_slice(Slice::Calibrate),
        in_slice(Slice::Test),
    );
    let rows: Vec<RawRow> = train.iter().map(|e| e.row.clone()).collect();
    let (encoder, notes) = Encoder::fit(&rows, &config.encoder);
    drop(rows);
    if encoder.width == 0 {
        return Err(FitError("no feature is given on enough leads".into()));
    }
    let width = encoder.width;
    let mut flat = Vec::with_capacity(train.len() * width);
    for example in &train {
        flat.extend(encoder.encode(&example.row));
    }
    let (baseline, spread) = column_moments(&flat, width);
    let y: Vec<bool> = train.iter().map(|e| e.converted).collect();
    let weights = logistic::fit(flat, width, &y, config.alpha)?;
    let logits = |slice: &[&Example]| -> Vec<f64> {
        slice
            .iter()
            .map(|e| weights.logit(&encoder.encode(&e.row)))
            .collect()
    };
    let outcomes =
        |slice: &[&Example]| -> Vec<bool> { slice.iter().map(|e| e.converted).collect() };
    let calibration = Platt::fit(&logits(&calibrate), &outcomes(&calibrate));
    let test_p: Vec<f64> = logits(&test)
        .into_iter()
        .map(|z| calibration.probability(z))
        .collect();
    let metrics = Metrics::of(&test_p, &outcomes(&test));
    let rule_totals: Vec<f64> = test.iter().map(|e| f64::from(e.rule_total)).collect();
    let rules_auc = super::metrics::auc(&rule_totals, &outcomes(&test));
    let importances = importances(&encoder, &weights, &spread);
    Ok(Trained {
        model: LearnedModel {
            encoder,
            weights,
            calibration,
            baseline,
        },
        metrics,
        rules_auc,
        importances,
        notes,
    })
}

/// Each column's mean and standard deviation over row-major `flat`.
fn column_moments(flat: &[f64], width: usize) -> (Vec<f64>, Vec<f64>) {
    let rows = (flat.len() / width).max(1) as f64;
    let mut mean = vec![0.0; width];
    for row in flat.chunks(width) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows);
    let mut var = vec![0.0; width];
    for row in flat.chunks(width) {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (v - m).powi(2);
        }
    }
    let sd = var.into_iter().map(|s| (s / rows).sqrt()).collect();
    (mean, sd)
}

fn importances(encoder: &Encoder, weights: &Weights, spread: &[f64]) -> Vec<Importance> {
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
