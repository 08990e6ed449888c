//! L2-regularised logistic regression: smartcore's L-BFGS with its
//! backtracking line search minimises `Σ log(1+e^{-y·wx}) + α/2·‖w‖²`,
//! intercept unpenalised (scikit-learn's `LogisticRegression` with
//! `C = 1/α`, smartcore's own objective). The objective is ours because
//! smartcore's reads a dense matrix cell by cell through its array traits,
//! which was 92% of training time at 30k leads. The rows are a sparse
//! [`Design`]: each pass touches only what sets a lead apart.
use serde::{Deserialize, Serialize};
use smartcore::optimization::{
    first_order::{lbfgs::LBFGS, FirstOrderOptimizer},
    line_search::Backtracking,
    FunctionOrder,
};

use super::design::Design;

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

/// Ranges of rows the loss and its gradient are summed over; fixed, so the
/// sums (and so the model) are the same whatever runs them.
const PARTS: usize = 4;
/// Below this many rows one part is quicker.
const PARALLEL_FROM: usize = 4_096;
/// Per row: see `fit`.
const GRADIENT_TOLERANCE: f64 = 1e-8;

/// The sums over `rows`, cut into [`PARTS`] consecutive ranges computed on
/// at most `threads` threads, results in order: the same sums however many
/// threads there are.
fn in_parts<T: Send>(rows: &[u32], threads: usize, work: impl Fn(&[u32]) -> T + Sync) -> Vec<T> {
    if rows.len() < PARALLEL_FROM || threads <= 1 {
        if rows.len() < PARALLEL_FROM {
            return vec![work(rows)];
        }
        return rows.chunks(rows.len().div_ceil(PARTS)).map(&work).collect();
    }
    let parts: Vec<&[u32]> = rows.chunks(rows.len().div_ceil(PARTS)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<T>>> =
        parts.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(parts.len()) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(part) = parts.get(k) else { return };
                let value = work(part);
                *results[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
            });
        }
    });
    results
        .into_iter()
        .filter_map(|r| r.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// `ln(1 + e^z)` without overflow.
fn ln_1pe(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Fits the outcomes `y` (indexed like the design's rows) of rows `rows`
/// of `design`, with penalty `alpha`, on at most `threads` threads.
pub fn fit(
    design: &Design,
    rows: &[u32],
    y: &[bool],
    alpha: f64,
    threads: usize,
) -> Result<Weights, FitError> {
    let width = design.width;
    if rows.is_empty() || width == 0 {
        return Err(FitError("no rows or no features to learn from".into()));
    }
    let label = |i: u32| if y[i as usize] { 1.0 } else { 0.0 };
    let won = rows.iter().filter(|i| y[**i as usize]).count();
    if won == 0 || won == rows.len() {
        return Err(FitError("every lead has the same outcome".into()));
    }
    let penalty = |w: &[f64]| 0.5 * alpha * w[..width].iter().map(|c| c * c).sum::<f64>();
    let f = |w: &Vec<f64>| -> f64 {
        in_parts(rows, threads, |part| {
            part.iter()
                .map(|&i| {
                    let z = design.logit(w, i as usize);
                    ln_1pe(z) - label(i) * z
                })
                .sum::<f64>()
        })
        .into_iter()
        .sum::<f64>()
            + penalty(w)
    };
    let df = |g: &mut Vec<f64>, w: &Vec<f64>| {
        let parts = in_parts(rows, threads, |part| {
            let mut g = vec![0.0; width + 1];
            for &i in part {
                let residual = sigmoid(design.logit(w, i as usize)) - label(i);
                for (j, v) in design.row(i as usize) {
                    g[j] += residual * v;
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
        g_atol: GRADIENT_TOLERANCE * rows.len() as f64,
        ..LBFGS::default()
    };
    let found = optimizer.optimize(&f, &df, &vec![0.0; width + 1], &search);
    let mut coefficients = found.x;
    let shifted_intercept = coefficients.pop().unwrap_or_default();
    let intercept = design.unshift(&coefficients, shifted_intercept);
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

/// [`fit`] on dense rows (`width` values each, row after row), every row.
pub fn fit_dense(x: Vec<f64>, width: usize, y: &[bool], alpha: f64) -> Result<Weights, FitError> {
    if y.is_empty() || width == 0 || x.len() != y.len() * width {
        return Err(FitError("no rows or no features to learn from".into()));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(FitError("a feature value is not a finite number".into()));
    }
    let rows: Vec<Vec<f64>> = x.chunks_exact(width).map(<[f64]>::to_vec).collect();
    let mut design = Design::new(width, &rows);
    for row in &rows {
        design.push(row);
    }
    let all: Vec<u32> = (0..rows.len() as u32).collect();
    fit(&design, &all, y, alpha, 1)
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
        let w = fit_dense(x, 2, &y, 1.0).unwrap();
        assert!(w.coefficients[0] > 5.0, "{w:?}");
        assert!(w.coefficients[1].abs() < 1.0, "{w:?}");
        assert!(sigmoid(w.logit(&[0.9, 0.0])) > 0.9);
    }

    #[test]
    fn one_outcome_only_is_refused_with_a_reason() {
        let err = fit_dense(vec![1.0, 2.0], 1, &[true, true], 1.0).unwrap_err();
        assert!(err.0.contains("same outcome"));
    }
}
