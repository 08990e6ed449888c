//! How well probabilities rank and how honest they are, on held-out leads.
use serde::{Deserialize, Serialize};

/// The figures a model is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Area under the ROC curve: the chance a converting lead outranks one
    /// that does not (0.5 is chance).
    pub auc: f64,
    /// Mean squared error of the probabilities.
    pub brier: f64,
    /// Expected calibration error over ten equal-width bins.
    pub calibration_error: f64,
    /// Conversion in the top tenth over the base rate.
    pub top_decile_lift: f64,
    /// How many held-out leads these figures come from.
    pub holdout: usize,
}

impl Metrics {
    pub fn of(p: &[f64], y: &[bool]) -> Self {
        Self {
            auc: auc(p, y),
            brier: brier(p, y),
            calibration_error: calibration_error(p, y, 10),
            top_decile_lift: lift(p, y, 0.1),
            holdout: p.len(),
        }
    }
}

/// ROC AUC by ranks (Mann-Whitney), ties counted half; 0.5 when one class
/// is absent.
pub fn auc(p: &[f64], y: &[bool]) -> f64 {
    let positives = y.iter().filter(|v| **v).count();
    let negatives = y.len() - positives;
    if positives == 0 || negatives == 0 {
        return 0.5;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        // Ranks i+1..=j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        rank_sum += order[i..=j].iter().filter(|k| y[**k]).count() as f64 * mean_rank;
        i = j + 1;
    }
    let positives = positives as f64;
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives as f64)
}

pub fn brier(p: &[f64], y: &[bool]) -> f64 {
    if p.is_empty() {
        return 0.0;
    }
    p.iter()
        .zip(y)
        .map(|(p, y)| (p - f64::from(u8::from(*y))).powi(2))
        .sum::<f64>()
        / p.len() as f64
}

/// The mean gap between predicted and observed rates over `bins`
/// equal-width bins, weighted by how many leads each holds.
pub fn calibration_error(p: &[f64], y: &[bool], bins: usize) -> f64 {
    if p.is_empty() {
        return 0.0;
    }
    let mut sums = vec![(0.0_f64, 0.0_f64, 0_usize); bins];
    for (p, y) in p.iter().zip(y) {
        let bin = ((p * bins as f64) as usize).min(bins - 1);
        sums[bin].0 += p;
        sums[bin].1 += f64::from(u8::from(*y));
        sums[bin].2 += 1;
    }
    // Each bin weighs n_b / N and contributes |mean p - mean y|: that is
    // |sum p - sum y| / N.
    sums.iter()
        .map(|(p_sum, y_sum, _)| (p_sum - y_sum).abs())
        .sum::<f64>()
        / p.len() as f64
}

/// The conversion rate among the top `fraction` by probability.
pub fn top_rate(p: &[f64], y: &[bool], fraction: f64) -> f64 {
    let k = ((p.len() as f64 * fraction).round() as usize).clamp(1, p.len().max(1));
    if p.is_empty() {
        return 0.0;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|a, b| p[*b].total_cmp(&p[*a]).then(a.cmp(b)));
    order[..k].iter().filter(|i| y[**i]).count() as f64 / k as f64
}

/// [`top_rate`] over the base rate.
pub fn lift(p: &[f64], y: &[bool], fraction: f64) -> f64 {
    let base = y.iter().filter(|v| **v).count() as f64 / y.len().max(1) as f64;
    if base == 0.0 {
        return 0.0;
    }
    top_rate(p, y, fraction) / base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_is_one_for_a_perfect_ranking_a_half_for_ties_and_counts_pairs() {
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), 1.0);
        assert_eq!(auc(&[0.5; 4], &[false, true, false, true]), 0.5);
        // One positive below one of two negatives: 1 of 2 pairs misordered.
        assert_eq!(auc(&[0.3, 0.1, 0.2], &[false, false, true]), 0.5);
        assert_eq!(auc(&[0.3, 0.1, 0.4], &[false, false, true]), 1.0);
    }

    #[test]
    fn calibration_error_is_the_weighted_gap_between_predicted_and_observed() {
        // Bin 0.2-0.3: predicted 0.25, observed 0.5 -> gap 0.25 for all four.
        let p = [0.25; 4];
        let y = [true, false, true, false];
        assert!((calibration_error(&p, &y, 10) - 0.25).abs() < 1e-12);
        assert!((brier(&[1.0, 0.0], &[true, false])).abs() < 1e-12);
    }

    #[test]
    fn the_top_fifth_and_lift_read_from_the_best_ranked() {
        let p = [0.9, 0.8, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.05];
        let y = [
            true, true, false, false, false, false, false, false, false, false,
        ];
        assert_eq!(top_rate(&p, &y, 0.2), 1.0);
        assert!((lift(&p, &y, 0.2) - 5.0).abs() < 1e-12);
    }
}
