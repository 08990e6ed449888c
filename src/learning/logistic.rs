//! L2-regularised logistic regression: smartcore's L-BFGS with its
//! backtracking line search minimises `Σ log(1+e^{-y·wx}) + α/2·‖w‖²`,
//! intercept unpenalised (scikit-learn's `LogisticRegression` with
//! `C = 1/α`, smartcore's own objective). The objective is ours because
//! smartcore's reads a dense matrix cell by cell through its array traits,
//! which was 92% of training time at 30k leads. Our features are mostly
//! one-hot zeros or standardised values most leads share, so each column is
//! shifted by its most common value and rows are kept sparse: each pass
//! touches only what sets a lead apart. With the intercept unpenalised the
//! shift changes no coefficient; the intercept takes it back at the end.
use std::{collections::HashMap, ops::Range};

use serde::{Deserialize, Serialize};
use smartcore::optimization::{
    first_order::{lbfgs::LBFGS, FirstOrderOptimizer},
    line_search::Backtracking,
    FunctionOrder,
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

/// Ranges of rows the loss and its gradient are summed over in parallel;
/// fixed, so the sums (and so the model) are the same on any machine.
const PARTS: usize = 4;
/// Below this many rows one thread is quicker.
const PARALLEL_FROM: usize = 4_096;
/// Per row: see `fit`.
const GRADIENT_TOLERANCE: f64 = 1e-8;

/// Rows read to choose each column's shift: any shift is exact, the most
/// common value just makes the rows sparsest.
const SHIFT_SAMPLE: usize = 2_000;

/// The rows' cells that differ from their column's shift, row after row
/// (compressed sparse rows).
struct SparseRows {
    shift: Vec<f64>,
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f64>,
}

impl SparseRows {
    fn from_dense(x: &[f64], width: usize) -> Self {
        let sample = &x[..x.len().min(SHIFT_SAMPLE * width)];
        let shift = (0..width)
            .map(|j| {
                let mut counts: HashMap<u64, usize> = HashMap::new();
                for row in sample.chunks_exact(width) {
                    *counts.entry(row[j].to_bits()).or_default() += 1;
                }
                counts
                    .into_iter()
                    .max_by_key(|(bits, n)| (*n, std::cmp::Reverse(*bits)))
                    .map_or(0.0, |(bits, _)| f64::from_bits(bits))
            })
            .collect();
        let mut rows = SparseRows {
            shift,
            starts: vec![0],
            columns: Vec::new(),
            values: Vec::new(),
        };
        for row in x.chunks_exact(width) {
            for (j, v) in row.iter().enumerate() {
                let shifted = v - rows.shift[j];
                if shifted != 0.0 {
                    rows.columns.push(j as u32);
                    rows.values.push(shifted);
                }
            }
            rows.starts.push(rows.values.len());
        }
        rows
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Row `i`'s log-odds under `w` (coefficients, then the intercept).
    fn logit(&self, w: &[f64], i: usize) -> f64 {
        let span = self.starts[i]..self.starts[i + 1];
        self.columns[span.clone()]
            .iter()
            .zip(&self.values[span])
            .map(|(j, v)| w[*j as usize] * v)
            .sum::<f64>()
            + w[w.len() - 1]
    }

    /// `work` over [`PARTS`] consecutive ranges of rows, each on its own
    /// thread, results in row order: the same sums whatever the machine.
    fn in_parts<T: Send>(&self, work: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
        let n = self.len();
        if n < PARALLEL_FROM {
            return vec![work(0..n)];
        }
        let step = n.div_ceil(PARTS);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .step_by(step)
                .map(|start| {
                    let work = &work;
                    scope.spawn(move || work(start..(start + step).min(n)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }
}

/// `ln(1 + e^z)` without overflow.
fn ln_1pe(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Fits `y` on the rows of `x`, `width` columns each, row after row, with
/// penalty `alpha`.
pub fn fit(x: Vec<f64>, width: usize, y: &[bool], alpha: f64) -> Result<Weights, FitError> {
    if y.is_empty() || width == 0 || x.len() != y.len() * width {
        return Err(FitError("no rows or no features to learn from".into()));
    }
    if y.iter().all(|v| *v) || y.iter().all(|v| !*v) {
        return Err(FitError("every lead has the same outcome".into()));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(FitError("a feature value is not a finite number".into()));
    }
    let rows = SparseRows::from_dense(&x, width);
    drop(x);
    let label = |i: usize| if y[i] { 1.0 } else { 0.0 };
    let penalty = |w: &[f64]| 0.5 * alpha * w[..width].iter().map(|c| c * c).sum::<f64>();
    let f = |w: &Vec<f64>| -> f64 {
        rows.in_parts(|part| {
            part.map(|i| {
                let z = rows.logit(w, i);
                ln_1pe(z) - label(i) * z
            })
            .sum::<f64>()
        })
        .into_iter()
        .sum::<f64>()
            + penalty(w)
    };
    let df = |g: &mut Vec<f64>, w: &Vec<f64>| {
        let parts = rows.in_parts(|part| {
            let mut g = vec![0.0; width + 1];
            for i in part {
                let residual = sigmoid(rows.logit(w, i)) - label(i);
                let span = rows.starts[i]..rows.starts[i + 1];
                for (j, v) in rows.columns[span.clone()].iter().zip(&rows.values[span]) {
                    g[*j as usize] += residual * v;
                }
                g[width] += residual;
            }
            g
        });
        g.iter_mut().for_each(|v| *v = 0.0);
        for part in parts {
            for (total, v) in g.iter_mut().zip(part) {
                *total += v;
            }
        }
        for (gj, wj) in g[..width].iter_mut().zip(&w[..width]) {
            *gj += alpha * wj;
        }
    };
    let search = Backtracking {
        order: FunctionOrder::THIRD,
        ..Default::default()
    };
    // Converged when the summed loss's gradient is below 1e-8 per row in
    // every coordinate (coefficients within 4e-5 of scikit-learn's on the
    // X Education data), not smartcore's absolute 1e-8 on the whole sum,
    // which bought hundreds of iterations on 100k rows that moved no
    // probability.
    let optimizer = LBFGS {
        g_atol: GRADIENT_TOLERANCE * y.len() as f64,
        ..LBFGS::default()
    };
    let found = optimizer.optimize(&f, &df, &vec![0.0; width + 1], &search);
    let mut coefficients = found.x;
    let shifted_intercept = coefficients.pop().unwrap_or_default();
    let intercept = shifted_intercept
        - coefficients
            .iter()
            .zip(&rows.shift)
            .map(|(w, c)| w * c)
            .sum::<f64>();
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
