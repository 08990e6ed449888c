//! L2-regularised logistic regression, fitted by smartcore (L-BFGS on
//! `Σ log(1+e^{-y·wx}) + α/2·‖w‖²`, intercept unpenalised: the objective
//! of scikit-learn's `LogisticRegression` with `C = 1/α`).
use serde::{Deserialize, Serialize};
use smartcore::{
    linalg::basic::{arrays::Array, matrix::DenseMatrix},
    linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters},
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub coefficients: Vec<f64>,
    pub intercept: f64,
}

impl Weights {
    /// The log-odds of `x`.
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(x)
                .map(|(w, v)| w * v)
                .sum::<f64>()
    }
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct FitError(pub String);

/// Fits `y` on the rows of `x`, `width` columns each, row after row, with
/// penalty `alpha`. The rows arrive flat: one buffer, handed over, not copied.
pub fn fit(x: Vec<f64>, width: usize, y: &[bool], alpha: f64) -> Result<Weights, FitError> {
    if y.is_empty() || width == 0 || x.len() != y.len() * width {
        return Err(FitError("no rows or no features to learn from".into()));
    }
    if y.iter().all(|v| *v) || y.iter().all(|v| !*v) {
        return Err(FitError("every lead has the same outcome".into()));
    }
    let matrix = DenseMatrix::new(y.len(), width, x, false)
        .map_err(|e| FitError(format!("feature matrix: {e}")))?;
    let labels: Vec<i32> = y.iter().map(|v| i32::from(*v)).collect();
    let fitted = LogisticRegression::fit(
        &matrix,
        &labels,
        LogisticRegressionParameters::default().with_alpha(alpha),
    )
    .map_err(|e| FitError(format!("fitting: {e}")))?;
    let coefficients: Vec<f64> = (0..width)
        .map(|j| *fitted.coefficients().get((0, j)))
        .collect();
    let intercept = *fitted.intercept().get((0, 0));
    if !intercept.is_finite() || coefficients.iter().any(|c| !c.is_finite()) {
        return Err(FitError(
            "the fit did not converge to finite weights".into(),
        ));
    }
    Ok(Weights {
        coefficients,
        intercept,
    })
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_that_decides_the_outcome_gets_a_large_positive_weight() {
        // y = x0 > 0.5 with some noise in a second column.
        let x: Vec<f64> = (0..200)
            .flat_map(|i| [f64::from(i % 10) / 10.0, f64::from((i * 7) % 5)])
            .collect();
        let y: Vec<bool> = x.chunks(2).map(|r| r[0] > 0.45).collect();
        let w = fit(x, 2, &y, 1.0).unwrap();
        assert!(w.coefficients[0] > 5.0, "{w:?}");
        assert!(w.coefficients[1].abs() < 1.0, "{w:?}");
        assert!(sigmoid(w.logit(&[0.9, 0.0])) > 0.9);
    }

    #[test]
    fn one_outcome_only_is_refused_with_a_reason() {
        let err = fit(vec![1.0, 2.0], 1, &[true, true], 1.0).unwrap_err();
        assert!(err.0.contains("same outcome"));
    }
}
