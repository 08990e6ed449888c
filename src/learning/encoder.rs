//! Raw features into numbers a linear model can weigh, typed from the
//! training rows themselves: a custom attribute no one declared becomes a
//! number, a flag, words or a category by what its values are.
//!
//! Everything is bounded: rare categories and words fold into "other", a
//! feature seen on too few leads is dropped, and there is a cap on the
//! number of features, so one attribute holding an id per lead cannot blow
//! up training. What was folded or dropped is returned as notes for the log.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{
    raw::{Raw, RawKind, RawRow},
    spline::Spline,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderConfig {
    /// Leads a category, a word, or a feature at all must be seen on.
    pub min_count: usize,
    /// Categories (or words) kept per feature; the rest are "other".
    pub max_categories: usize,
    /// Spline knots per numeric feature, at quantiles.
    pub knots: usize,
    /// Raw features kept, the most often present first.
    pub max_features: usize,
    /// Features left out: exact names, or prefixes ending in `*`.
    pub excluded: Vec<String>,
}

impl EncoderConfig {
    /// Defaults scaled to the number of training rows.
    pub fn for_rows(rows: usize) -> Self {
        Self {
            min_count: (rows / 200).max(10),
            max_categories: 40,
            knots: 5,
            max_features: 400,
            excluded: Vec::new(),
        }
    }

    pub fn excludes(&self, name: &str) -> bool {
        self.excluded.iter().any(|e| match e.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == e,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FeatureKind {
    /// `sign(x)·ln(1+|x|)`, standardised, plus one indicator per quantile
    /// bin: models trained before [`FeatureKind::Curve`] still read this.
    Numeric {
        mean: f64,
        sd: f64,
        edges: Vec<f64>,
    },
    /// A cubic spline basis on `sign(x)·ln(1+|x|)` (see [`Spline`]), its
    /// first function left out: the basis sums to one, and with the
    /// intercept beside it the fit took twice the iterations for the same
    /// model. It spans straight lines, so no standardised value is needed.
    Curve {
        spline: Spline,
    },
    Categorical {
        categories: Vec<String>,
    },
    Flag,
    Tokens {
        vocabulary: Vec<String>,
    },
}

impl FeatureKind {
    pub fn name(&self) -> &'static str {
        match self {
            FeatureKind::Numeric { .. } | FeatureKind::Curve { .. } => "NUMERIC",
            FeatureKind::Categorical { .. } => "CATEGORICAL",
            FeatureKind::Flag => "BOOLEAN",
            FeatureKind::Tokens { .. } => "TEXT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    pub name: String,
    pub kind: FeatureKind,
    /// Whether "not given" has a column of its own.
    pub missing_column: bool,
    /// Where this feature's columns start.
    pub offset: usize,
}

impl FeatureSpec {
    pub fn width(&self) -> usize {
        let own = match &self.kind {
            FeatureKind::Numeric { edges, .. } => 1 + edges.len() + 1,
            FeatureKind::Curve { spline, .. } => spline.width() - 1,
            FeatureKind::Categorical { categories } => categories.len() + 1,
            FeatureKind::Flag => 1,
            FeatureKind::Tokens { vocabulary } => vocabulary.len(),
        };
        own + usize::from(self.missing_column)
    }

    pub fn columns(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.width()
    }

    /// Writes this feature's columns of `value` into `out` (zeroed).
    fn encode(&self, value: &Raw, out: &mut [f64]) {
        let cols = &mut out[self.columns()];
        let missing = |cols: &mut [f64]| {
            if self.missing_column {
                let last = cols.len() - 1;
                cols[last] = 1.0;
            }
        };
        match (&self.kind, value) {
            (FeatureKind::Numeric { mean, sd, edges }, Raw::Num(x)) if x.is_finite() => {
                let t = squash(*x);
                cols[0] = (t - mean) / sd;
                cols[1 + edges.partition_point(|e| *e < t)] = 1.0;
            }
            (FeatureKind::Curve { spline, .. }, Raw::Num(x)) if x.is_finite() => {
                let mut basis = [0.0; 32];
                spline.basis(squash(*x), &mut basis);
                let width = spline.width();
                cols[..width - 1].copy_from_slice(&basis[1..width]);
            }
            (FeatureKind::Categorical { categories }, value) if value.kind().is_some() => {
                let text = as_text(value);
                let at = categories
                    .iter()
                    .position(|c| *c == text)
                    .unwrap_or(categories.len());
                cols[at] = 1.0;
            }
            (FeatureKind::Flag, Raw::Flag(on)) => cols[0] = f64::from(u8::from(*on)),
            (FeatureKind::Tokens { vocabulary }, Raw::Tokens(words)) => {
                for word in words {
                    if let Some(at) = vocabulary.iter().position(|v| v == word) {
                        cols[at] = 1.0;
                    }
                }
            }
            _ => missing(cols),
        }
    }
}

/// Compresses long tails (seconds on site, counts) so one outlier does not
/// dominate a standardised value.
pub fn squash(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

/// A categorical value as text: numbers and flags read as themselves.
pub fn as_text(value: &Raw) -> String {
    match value {
        Raw::Cat(s) => s.clone(),
        Raw::Num(x) => format!("{x}"),
        Raw::Flag(b) => b.to_string(),
        Raw::Tokens(words) => words.join(" "),
        Raw::Missing => String::new(),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    pub features: Vec<FeatureSpec>,
    pub width: usize,
}

#[derive(Default)]
struct Census {
    kinds: BTreeMap<RawKind, usize>,
    present: usize,
}

impl Encoder {
    /// Types and bounds every feature from `rows`; returns the encoder and
    /// notes on what was dropped or folded.
    pub fn fit(rows: &[RawRow], config: &EncoderConfig) -> (Self, Vec<String>) {
        let rows: Vec<&RawRow> = rows.iter().collect();
        Self::fit_refs(&rows, config)
    }

    /// [`Encoder::fit`] on borrowed rows.
    pub fn fit_refs(rows: &[&RawRow], config: &EncoderConfig) -> (Self, Vec<String>) {
        let mut notes = Vec::new();
        let mut census: BTreeMap<&str, Census> = BTreeMap::new();
        for row in rows {
            for (name, value) in row.iter() {
                if let Some(kind) = value.kind() {
                    let entry = census.entry(name).or_default();
                    *entry.kinds.entry(kind).or_default() += 1;
                    entry.present += 1;
                }
            }
        }
        let mut candidates: Vec<(&str, Census)> = census
            .into_iter()
            .filter(|(name, _)| !config.excludes(name))
            .filter(|(name, c)| {
                let enough = c.present >= config.min_count;
                if !enough && name.starts_with("attributes.") {
                    notes.push(format!(
                        "{name}: given on {} leads, fewer than {}; not used",
                        c.present, config.min_count
                    ));
                }
                enough
            })
            .collect();
        if candidates.len() > config.max_features {
            notes.push(format!(
                "{} features, more than {}: the least often given are not used",
                candidates.len(),
                config.max_features
            ));
            candidates.sort_by(|a, b| b.1.present.cmp(&a.1.present).then(a.0.cmp(b.0)));
            candidates.truncate(config.max_features);
            candidates.sort_by(|a, b| a.0.cmp(b.0));
        }
        let mut features = Vec::new();
        let mut offset = 0;
        for (name, census) in candidates {
            let values: Vec<&Raw> = rows.iter().filter_map(|r| r.get(name)).collect();
            let missing = rows.len() - census.present;
            let Some(kind) = type_of(name, &census, &values, config, &mut notes) else {
                continue;
            };
            let spec = FeatureSpec {
                name: name.to_string(),
                kind,
                missing_column: missing >= config.min_count,
                offset,
            };
            offset += spec.width();
            features.push(spec);
        }
        (
            Self {
                features,
                width: offset,
            },
            notes,
        )
    }

    /// The row's columns, in the order the model weighs them.
    pub fn encode(&self, row: &RawRow) -> Vec<f64> {
        let mut out = vec![0.0; self.width];
        self.encode_into(row, &mut out);
        out
    }

    /// [`Encoder::encode`] into `out` (`width` zeros).
    pub fn encode_into(&self, row: &RawRow, out: &mut [f64]) {
        for spec in &self.features {
            spec.encode(row.get(&spec.name).unwrap_or(&Raw::Missing), out);
        }
    }
}

/// How a feature is typed, or none when it carries nothing.
fn type_of(
    name: &str,
    census: &Census,
    values: &[&Raw],
    config: &EncoderConfig,
    notes: &mut Vec<String>,
) -> Option<FeatureKind> {
    let count = |k: RawKind| census.kinds.get(&k).copied().unwrap_or(0);
    let present = census.present as f64;
    if count(RawKind::Num) as f64 >= 0.9 * present {
        if count(RawKind::Num) < census.present {
            notes.push(format!(
                "{name}: {} values that are not numbers count as not given",
                census.present - count(RawKind::Num)
            ));
        }
        return numeric(values, config.knots);
    }
    if count(RawKind::Flag) == census.present {
        return Some(FeatureKind::Flag);
    }
    if count(RawKind::Tokens) as f64 >= 0.5 * present {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for value in values {
            if let Raw::Tokens(words) = value {
                for w in words {
                    *seen.entry(w).or_default() += 1;
                }
            }
        }
        let vocabulary = keep_frequent(name, seen, config, notes);
        return (!vocabulary.is_empty()).then_some(FeatureKind::Tokens { vocabulary });
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for value in values.iter().filter(|v| v.kind().is_some()) {
        *seen.entry(as_text(value)).or_default() += 1;
    }
    let distinct = seen.len();
    let owned: HashMap<&str, usize> = seen.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let categories = keep_frequent(name, owned, config, notes);
    if categories.is_empty() && distinct > 1 {
        return None;
    }
    Some(FeatureKind::Categorical { categories })
}

/// The values seen at least `min_count` times, most frequent first, at
/// most `max_categories`.
fn keep_frequent(
    name: &str,
    seen: HashMap<&str, usize>,
    config: &EncoderConfig,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let distinct = seen.len();
    let mut frequent: Vec<(&str, usize)> = seen
        .into_iter()
        .filter(|(_, n)| *n >= config.min_count)
        .collect();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    frequent.truncate(config.max_categories);
    if frequent.len() < distinct {
        notes.push(format!(
            "{name}: {distinct} distinct values; the {} given on at least {} leads are kept, the rest count as other",
            frequent.len(),
            config.min_count
        ));
    }
    frequent.into_iter().map(|(v, _)| v.to_string()).collect()
}

fn numeric(values: &[&Raw], knots: usize) -> Option<FeatureKind> {
    let mut t: Vec<f64> = values
        .iter()
        .filter_map(|v| match v {
            Raw::Num(x) if x.is_finite() => Some(squash(*x)),
            _ => None,
        })
        .collect();
    if t.is_empty() {
        return None;
    }
    let n = t.len() as f64;
    let mean = t.iter().sum::<f64>() / n;
    let sd = (t.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd < 1e-12 {
        return None;
    }
    t.sort_by(f64::total_cmp);
    match Spline::at_quantiles(&t, knots) {
        Some(spline) => Some(FeatureKind::Curve { spline }),
        // Too few distinct values for a curve: the value alone.
        None => Some(FeatureKind::Numeric {
            mean,
            sd,
            edges: Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests;
