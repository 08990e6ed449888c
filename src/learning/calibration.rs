//! Platt scaling: a raw model's log-odds `z` become `σ(a·z + b)`, with `a`
//! and `b` fitted on leads the model did not learn from, so that "0.7"
//! means seven in ten such leads convert.
use serde::{Deserialize, Serialize};

use super::logistic::{fit_dense, sigmoid};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    pub a: f64,
    pub b: f64,
}

impl Platt {
    pub const IDENTITY: Platt = Platt { a: 1.0, b: 0.0 };

    /// Fits on held-out log-odds and outcomes; the identity when there is
    /// too little to fit on. One contrary outcome is added at each end
    /// (lost at the highest log-odds, won at the lowest): a held-out set the
    /// model happens to separate perfectly otherwise drove the slope
    /// towards infinity, and new leads got probabilities like 1e-19 (Platt's
    /// own remedy, smoothed targets, does the same).
    pub fn fit(logits: &[f64], y: &[bool]) -> Self {
        let (low, high) = logits
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), z| {
                (l.min(*z), h.max(*z))
            });
        let mut z = logits.to_vec();
        let mut outcomes = y.to_vec();
        if low.is_finite() && high.is_finite() {
            z.extend([high, low]);
            outcomes.extend([false, true]);
        }
        match fit_dense(z, 1, &outcomes, 1e-6) {
            Ok(w) if logits.len() >= 20 && w.coefficients[0] > 0.0 => Platt {
                a: w.coefficients[0],
                b: w.intercept,
            },
            _ => Self::IDENTITY,
        }
    }

    pub fn probability(&self, z: f64) -> f64 {
        sigmoid(self.a * z + self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfectly_separated_holdout_still_gives_a_moderate_slope() {
        let logits: Vec<f64> = (0..24)
            .map(|i| if i % 2 == 0 { 2.0 } else { -2.0 })
            .collect();
        let y: Vec<bool> = (0..24).map(|i| i % 2 == 0).collect();
        let platt = Platt::fit(&logits, &y);
        assert!(platt.a < 5.0, "{platt:?}");
        assert!(
            platt.probability(-2.0) > 1e-3 && platt.probability(2.0) < 0.999,
            "{platt:?}"
        );
    }

    #[test]
    fn overconfident_log_odds_are_pulled_back_towards_the_observed_rate() {
        // The model says ±3 (95% / 5%), but the truth is 75% / 25%.
        let mut logits = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let high = i % 2 == 0;
            logits.push(if high { 3.0 } else { -3.0 });
            y.push(if high { i % 8 != 0 } else { i % 8 == 1 });
        }
        let platt = Platt::fit(&logits, &y);
        assert!((platt.probability(3.0) - 0.75).abs() < 0.03, "{platt:?}");
        assert!((platt.probability(-3.0) - 0.25).abs() < 0.03, "{platt:?}");
    }
}
