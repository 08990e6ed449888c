//! The encoded training rows, held sparse and in f32: a million labelled
//! leads must fit a small instance. Each column is shifted by its most
//! common value (read from a sample), so a row keeps only what sets the
//! lead apart: most of our columns are one-hot zeros or a standardised
//! value most leads share. A linear model with an unpenalised intercept
//! fits the same weights on shifted columns; [`Design::unshift`] gives the
//! intercept back. f32 keeps seven significant digits, far more than any
//! feature value is known to.
/// Rows read to choose each column's shift: any shift is exact, the most
/// common value just makes the rows sparsest.
pub const SHIFT_SAMPLE: usize = 2_000;

#[derive(Debug, Clone, Default)]
pub struct Design {
    pub width: usize,
    pub shift: Vec<f64>,
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
}

impl Design {
    /// An empty design of `width` columns, each shifted by its most common
    /// value among `sample`'s rows.
    pub fn new(width: usize, sample: &[Vec<f64>]) -> Self {
        let shift = (0..width)
            .map(|j| {
                let mut counts: std::collections::HashMap<u64, usize> =
                    std::collections::HashMap::new();
                for row in sample.iter().take(SHIFT_SAMPLE) {
                    *counts.entry(row[j].to_bits()).or_default() += 1;
                }
                counts
                    .into_iter()
                    .max_by_key(|(bits, n)| (*n, std::cmp::Reverse(*bits)))
                    .map_or(0.0, |(bits, _)| f64::from_bits(bits))
            })
            .collect();
        Self {
            width,
            shift,
            starts: vec![0],
            columns: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Appends one encoded row (`width` values).
    pub fn push(&mut self, dense: &[f64]) {
        for (j, v) in dense.iter().enumerate() {
            let shifted = v - self.shift[j];
            if shifted != 0.0 {
                self.columns.push(j as u32);
                self.values.push(shifted as f32);
            }
        }
        self.starts.push(self.values.len());
    }

    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s shifted cells: (column, value).
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let span = self.starts[i]..self.starts[i + 1];
        self.columns[span.clone()]
            .iter()
            .zip(&self.values[span])
            .map(|(j, v)| (*j as usize, f64::from(*v)))
    }

    /// Row `i`'s log-odds under shifted weights `w` (coefficients, then
    /// the shifted intercept).
    pub fn logit(&self, w: &[f64], i: usize) -> f64 {
        self.row(i).map(|(j, v)| w[j] * v).sum::<f64>() + w[w.len() - 1]
    }

    /// The intercept on unshifted columns, given the shifted fit's.
    pub fn unshift(&self, coefficients: &[f64], shifted_intercept: f64) -> f64 {
        shifted_intercept
            - coefficients
                .iter()
                .zip(&self.shift)
                .map(|(w, c)| w * c)
                .sum::<f64>()
    }

    /// Bytes held, roughly (for the log).
    pub fn bytes(&self) -> usize {
        self.starts.capacity() * std::mem::size_of::<usize>()
            + self.columns.capacity() * 4
            + self.values.capacity() * 4
    }

    /// Each column's mean and standard deviation over rows `rows`, on the
    /// unshifted scale.
    pub fn moments(&self, rows: &[u32]) -> (Vec<f64>, Vec<f64>) {
        let n = rows.len().max(1) as f64;
        let mut sum = vec![0.0; self.width];
        let mut squares = vec![0.0; self.width];
        for &i in rows {
            for (j, v) in self.row(i as usize) {
                sum[j] += v;
                squares[j] += v * v;
            }
        }
        let mean_shifted: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let sd = squares
            .iter()
            .zip(&mean_shifted)
            .map(|(q, m)| (q / n - m * m).max(0.0).sqrt())
            .collect();
        let mean = mean_shifted
            .iter()
            .zip(&self.shift)
            .map(|(m, s)| m + s)
            .collect();
        (mean, sd)
    }
}
