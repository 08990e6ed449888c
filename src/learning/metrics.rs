//! How well probabilities rank and how honest they are, on held-out leads,
//! and how sure a figure is: DeLong's variance of an AUC (DeLong, DeLong
//! and Clarke-Pearson 1988, by midranks as Sun and Xu 2014 compute it)
//! gives its confidence interval, and the paired test of two scores on the
//! same leads says whether one ranks better than the other or only seemed
//! to on these leads.
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

/// Midranks of `values` (ties share the mean of their ranks, from 1).
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j + 2) as f64 / 2.0;
        for k in &order[i..=j] {
            ranks[*k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// DeLong's structural components of `p`'s AUC: for each positive, the
/// share of negatives it outranks (ties half), and for each negative, the
/// share of positives that outrank it. Their means are the AUC.
fn components(p: &[f64], y: &[bool]) -> (Vec<f64>, Vec<f64>) {
    let positives: Vec<f64> = p
        .iter()
        .zip(y)
        .filter(|(_, y)| **y)
        .map(|(p, _)| *p)
        .collect();
    let negatives: Vec<f64> = p
        .iter()
        .zip(y)
        .filter(|(_, y)| !**y)
        .map(|(p, _)| *p)
        .collect();
    let (m, n) = (positives.len() as f64, negatives.len() as f64);
    let all: Vec<f64> = positives.iter().chain(&negatives).copied().collect();
    let overall = midranks(&all);
    let within_positives = midranks(&positives);
    let within_negatives = midranks(&negatives);
    let v10 = within_positives
        .iter()
        .zip(&overall)
        .map(|(inner, all)| (all - inner) / n)
        .collect();
    let v01 = within_negatives
        .iter()
        .zip(&overall[positives.len()..])
        .map(|(inner, all)| 1.0 - (all - inner) / m)
        .collect();
    (v10, v01)
}

/// The sample covariance of `a` and `b`.
fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    if n < 2 {
        return 0.0;
    }
    let (ma, mb) = (
        a.iter().sum::<f64>() / n as f64,
        b.iter().sum::<f64>() / n as f64,
    );
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (n - 1) as f64
}

/// The standard normal distribution's cumulative probability.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// An AUC with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AucInterval {
    pub auc: f64,
    pub low: f64,
    pub high: f64,
    pub standard_error: f64,
}

/// `p`'s AUC and its 95% interval from DeLong's variance.
pub fn auc_interval(p: &[f64], y: &[bool]) -> AucInterval {
    let (v10, v01) = components(p, y);
    if v10.is_empty() || v01.is_empty() {
        return AucInterval {
            auc: 0.5,
            low: 0.0,
            high: 1.0,
            standard_error: f64::INFINITY,
        };
    }
    let auc = v10.iter().sum::<f64>() / v10.len() as f64;
    let variance =
        covariance(&v10, &v10) / v10.len() as f64 + covariance(&v01, &v01) / v01.len() as f64;
    let se = variance.max(0.0).sqrt();
    AucInterval {
        auc,
        low: (auc - 1.959_964 * se).max(0.0),
        high: (auc + 1.959_964 * se).min(1.0),
        standard_error: se,
    }
}

/// Two scores of the same leads compared by AUC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub a_auc: f64,
    pub b_auc: f64,
    /// `a_auc - b_auc`.
    pub difference: f64,
    pub standard_error: f64,
    /// The chance of a difference this large or larger in favour of `a`
    /// if `a` ranked no better than `b` (one-sided).
    pub p_value: f64,
}

/// DeLong's test of whether score `a` ranks the leads better than score `b`
/// (paired: both scored the same leads, whose outcomes are `y`).
pub fn delong(a: &[f64], b: &[f64], y: &[bool]) -> Paired {
    let (a10, a01) = components(a, y);
    let (b10, b01) = components(b, y);
    let (m, n) = (a10.len() as f64, a01.len() as f64);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (a_auc, b_auc) = (mean(&a10), mean(&b10));
    let difference = a_auc - b_auc;
    let variance = if m < 2.0 || n < 2.0 {
        f64::INFINITY
    } else {
        (covariance(&a10, &a10) + covariance(&b10, &b10) - 2.0 * covariance(&a10, &b10)) / m
            + (covariance(&a01, &a01) + covariance(&b01, &b01) - 2.0 * covariance(&a01, &b01)) / n
    };
    let standard_error = variance.max(0.0).sqrt();
    let p_value = if standard_error > 0.0 && standard_error.is_finite() {
        1.0 - normal_cdf(difference / standard_error)
    } else if difference > 0.0 && standard_error == 0.0 {
        0.0
    } else {
        1.0
    };
    Paired {
        a_auc,
        b_auc,
        difference,
        standard_error,
        p_value,
    }
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

    /// DeLong's components and variance by their definitions, pair by
    /// pair: what the midrank computation must equal.
    fn brute(p: &[f64], y: &[bool]) -> (Vec<f64>, Vec<f64>) {
        let psi = |x: f64, y: f64| {
            if x > y {
                1.0
            } else if x == y {
                0.5
            } else {
                0.0
            }
        };
        let pos: Vec<f64> = p
            .iter()
            .zip(y)
            .filter(|(_, y)| **y)
            .map(|(p, _)| *p)
            .collect();
        let neg: Vec<f64> = p
            .iter()
            .zip(y)
            .filter(|(_, y)| !**y)
            .map(|(p, _)| *p)
            .collect();
        let v10 = pos
            .iter()
            .map(|x| neg.iter().map(|n| psi(*x, *n)).sum::<f64>() / neg.len() as f64)
            .collect();
        let v01 = neg
            .iter()
            .map(|n| pos.iter().map(|x| psi(*x, *n)).sum::<f64>() / pos.len() as f64)
            .collect();
        (v10, v01)
    }

    fn sample(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>, Vec<bool>) {
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 10_000) as f64 / 10_000.0
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let truth = next();
            let outcome = next() < truth;
            // Rounded to a tenth, so ties occur.
            a.push(((truth * 0.7 + next() * 0.3) * 10.0).round() / 10.0);
            b.push(((truth * 0.3 + next() * 0.7) * 10.0).round() / 10.0);
            y.push(outcome);
        }
        (a, b, y)
    }

    #[test]
    fn delongs_components_by_midranks_equal_their_pairwise_definition() {
        let (a, _, y) = sample(11, 300);
        let (v10, v01) = components(&a, &y);
        let (b10, b01) = brute(&a, &y);
        for (x, z) in v10.iter().zip(&b10).chain(v01.iter().zip(&b01)) {
            assert!((x - z).abs() < 1e-12, "{x} vs {z}");
        }
        let interval = auc_interval(&a, &y);
        assert!((interval.auc - auc(&a, &y)).abs() < 1e-12);
        assert!(interval.low < interval.auc && interval.auc < interval.high);
    }

    #[test]
    fn the_paired_test_finds_a_better_score_and_not_a_copy() {
        let (a, b, y) = sample(5, 2_000);
        let better = delong(&a, &b, &y);
        assert!(better.difference > 0.05, "{better:?}");
        assert!(better.p_value < 0.001, "{better:?}");
        let worse = delong(&b, &a, &y);
        assert!(worse.p_value > 0.999, "{worse:?}");
        let same = delong(&a, &a, &y);
        assert_eq!(same.difference, 0.0);
        assert_eq!(same.p_value, 1.0, "no difference, no evidence");
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }

    #[test]
    fn a_small_sample_gives_a_wide_interval() {
        let (a, _, y) = sample(3, 40);
        let (big, _, big_y) = sample(3, 4_000);
        let small = auc_interval(&a, &y);
        let large = auc_interval(&big, &big_y);
        assert!(
            small.high - small.low > 2.5 * (large.high - large.low),
            "{small:?} {large:?}"
        );
    }
}
