//! Training on labelled leads, in bounded memory, measured honestly.
//!
//! Rows arrive one at a time ([`Collector::push`]). The first
//! [`ENCODER_SAMPLE`] are kept raw to type and bound the features (their
//! order is a hash of the lead's id, so they are a fair sample); from then
//! on each row is encoded at once into the sparse f32 [`Design`] and its raw
//! form dropped. A million labelled leads hold a few hundred megabytes.
//!
//! How a model is measured depends on how much there is to learn from:
//! - under [`CROSS_VALIDATE_BELOW`] leads, five-fold cross-validation: every
//!   lead is scored by a model that did not learn from it, so the figures
//!   (and their confidence interval) rest on all of them, and Platt's
//!   calibration is fitted on those out-of-fold scores;
//! - above, out of time: the most recent fifth of the leads the incumbent
//!   did not learn from are held out, scored by a model fitted on the rest.
//!
//! Either way the held-out scores sit beside the incumbent's (the model
//! scoring now, or the rules) on the same leads, for [`super::compare`].
//! The model kept is then fitted on every lead but a tenth (its Platt
//! calibration's, when measured out of time), so what scores learned from
//! the newest outcomes too.
use serde::{Deserialize, Serialize};

use super::{
    calibration::Platt,
    design::Design,
    encoder::{Encoder, EncoderConfig},
    logistic::{self, FitError, Weights},
    metrics::{self, auc_interval, AucInterval, Metrics},
    model::{importances, Importance, LearnedModel},
    raw::RawRow,
};

/// The L2 penalty servers train with: scikit-learn's default `C = 1`.
pub const DEFAULT_ALPHA: f64 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The L2 penalty (scikit-learn's `1/C`).
    pub alpha: f64,
    /// Threads the fit may use.
    pub threads: usize,
}

/// What training made, with its measurements.
#[derive(Debug, Clone)]
pub struct Trained {
    pub model: LearnedModel,
    pub evaluation: Evaluation,
    pub importances: Vec<Importance>,
    /// Features folded or dropped, for the log.
    pub notes: Vec<String>,
}

/// Rows the encoder is fitted on.
pub const ENCODER_SAMPLE: usize = 20_000;
/// Below this many labelled leads the figures come from cross-validation.
pub const CROSS_VALIDATE_BELOW: usize = 5_000;
const FOLDS: u64 = 5;
/// The share of leads held out of time.
const HELD_OUT_SHARE: usize = 5;
/// At least this many held out of time, when there are.
const HELD_OUT_MIN: usize = 200;

/// A labelled lead as training keeps it, beside its row of the design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Labelled {
    /// [`super::slice_key`] of its id: its fold, or whether it calibrates.
    pub key: u64,
    pub converted: bool,
    /// When the outcome came (seconds since 1970): what "recent" means.
    pub at: i64,
    /// The rules' total (0-100) just before the outcome.
    pub rule_total: u8,
    /// What scores now (the active model's probability, or the rules'
    /// total as one, with no model) just before the outcome, for a lead the
    /// active model did not learn from; none for one it did.
    pub incumbent: Option<f32>,
}

/// How a model's figures were measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    CrossValidated { folds: u64 },
    OutOfTime,
}

impl Method {
    pub fn describe(self) -> String {
        match self {
            Method::CrossValidated { folds } => format!("{folds}-fold cross-validation"),
            Method::OutOfTime => "the most recent outcomes, held out".into(),
        }
    }
}

/// What measuring a candidate found.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub method: Method,
    pub metrics: Metrics,
    pub interval: AucInterval,
    /// The rules' AUC on the same held-out leads.
    pub rules_auc: f64,
    /// For each held-out lead that has an incumbent score: the candidate's
    /// probability, the incumbent's, and the outcome.
    pub contest: Vec<(f64, f64, bool)>,
}

/// Collects labelled rows into a training set.
pub struct Collector {
    config: EncoderConfig,
    pending: Vec<(RawRow, Labelled)>,
    fitted: Option<(Encoder, Vec<String>, Design)>,
    leads: Vec<Labelled>,
    buffer: Vec<f64>,
}

impl Collector {
    /// `config`'s bounds are scaled to the sample the encoder is fitted on.
    pub fn new(excluded: Vec<String>) -> Self {
        Self {
            config: EncoderConfig {
                excluded,
                ..EncoderConfig::for_rows(ENCODER_SAMPLE)
            },
            pending: Vec::new(),
            fitted: None,
            leads: Vec::new(),
            buffer: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.leads.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, row: RawRow, lead: Labelled) {
        match &mut self.fitted {
            Some((encoder, _, design)) => {
                self.buffer.clear();
                self.buffer.resize(encoder.width, 0.0);
                encoder.encode_into(&row, &mut self.buffer);
                design.push(&self.buffer);
                self.leads.push(lead);
            }
            None => {
                self.pending.push((row, lead));
                if self.pending.len() == ENCODER_SAMPLE {
                    self.fit_encoder();
                }
            }
        }
    }

    fn fit_encoder(&mut self) {
        let mut config = self.config.clone();
        config.min_count = EncoderConfig::for_rows(self.pending.len()).min_count;
        let rows: Vec<&RawRow> = self.pending.iter().map(|(row, _)| row).collect();
        let (encoder, notes) = Encoder::fit_refs(&rows, &config);
        let sample: Vec<Vec<f64>> = rows
            .iter()
            .take(super::design::SHIFT_SAMPLE)
            .map(|row| encoder.encode(row))
            .collect();
        let design = Design::new(encoder.width, &sample);
        self.fitted = Some((encoder, notes, design));
        for (row, lead) in std::mem::take(&mut self.pending) {
            self.push(row, lead);
        }
    }

    pub fn finish(mut self) -> TrainingSet {
        if self.fitted.is_none() {
            self.fit_encoder();
        }
        let (encoder, notes, design) = self.fitted.unwrap_or_default();
        TrainingSet {
            encoder,
            notes,
            design,
            leads: self.leads,
        }
    }
}

/// Every labelled lead, encoded.
pub struct TrainingSet {
    pub encoder: Encoder,
    pub notes: Vec<String>,
    pub design: Design,
    pub leads: Vec<Labelled>,
}

impl TrainingSet {
    fn outcomes(&self) -> Vec<bool> {
        self.leads.iter().map(|l| l.converted).collect()
    }

    fn logits(&self, weights: &Weights, rows: &[u32]) -> Vec<f64> {
        let shifted = shifted(weights, &self.design);
        rows.iter()
            .map(|&i| self.design.logit(&shifted, i as usize))
            .collect()
    }
}

/// `weights` on the design's shifted columns: the coefficients, then the
/// intercept they need there.
fn shifted(weights: &Weights, design: &Design) -> Vec<f64> {
    let intercept = weights.intercept
        + weights
            .coefficients
            .iter()
            .zip(&design.shift)
            .map(|(w, c)| w * c)
            .sum::<f64>();
    let mut w = weights.coefficients.clone();
    w.push(intercept);
    w
}

/// Measures a candidate on `set` and fits the model to keep.
pub fn train(set: &TrainingSet, config: &TrainConfig) -> Result<Trained, FitError> {
    if set.encoder.width == 0 {
        return Err(FitError("no feature is given on enough leads".into()));
    }
    let y = set.outcomes();
    let fit = |rows: &[u32]| logistic::fit(&set.design, rows, &y, config.alpha, config.threads);
    let n = set.leads.len();
    let (method, held_out, held_out_p, kept, calibration) = if n < CROSS_VALIDATE_BELOW {
        let mut oof = vec![0.0; n];
        for fold in 0..FOLDS {
            let (out, train): (Vec<u32>, Vec<u32>) =
                (0..n as u32).partition(|&i| set.leads[i as usize].key % FOLDS == fold);
            if out.is_empty() {
                continue;
            }
            let weights = fit(&train)?;
            for (i, z) in out.iter().zip(set.logits(&weights, &out)) {
                oof[*i as usize] = z;
            }
        }
        let calibration = Platt::fit(&oof, &y);
        let p: Vec<f64> = oof.iter().map(|z| calibration.probability(*z)).collect();
        let all: Vec<u32> = (0..n as u32).collect();
        let kept = fit(&all)?;
        (
            Method::CrossValidated { folds: FOLDS },
            all,
            p,
            (kept, (0..n as u32).collect::<Vec<_>>()),
            calibration,
        )
    } else {
        let held_out = held_out_of_time(&set.leads);
        let is_held = {
            let mut marks = vec![false; n];
            for i in &held_out {
                marks[*i as usize] = true;
            }
            marks
        };
        let calibrates = |i: u32| set.leads[i as usize].key % 10 == 0;
        let (calibrating, fitting): (Vec<u32>, Vec<u32>) = (0..n as u32)
            .filter(|i| !is_held[*i as usize])
            .partition(|i| calibrates(*i));
        let measured = fit(&fitting)?;
        let platt = Platt::fit(
            &set.logits(&measured, &calibrating),
            &calibrating
                .iter()
                .map(|i| y[*i as usize])
                .collect::<Vec<_>>(),
        );
        let p: Vec<f64> = set
            .logits(&measured, &held_out)
            .into_iter()
            .map(|z| platt.probability(z))
            .collect();
        let (calibrating, fitting): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|i| calibrates(*i));
        let kept = fit(&fitting)?;
        let calibration = Platt::fit(
            &set.logits(&kept, &calibrating),
            &calibrating
                .iter()
                .map(|i| y[*i as usize])
                .collect::<Vec<_>>(),
        );
        (Method::OutOfTime, held_out, p, (kept, fitting), calibration)
    };
    let truth: Vec<bool> = held_out.iter().map(|i| y[*i as usize]).collect();
    let rules: Vec<f64> = held_out
        .iter()
        .map(|i| f64::from(set.leads[*i as usize].rule_total))
        .collect();
    let contest = held_out
        .iter()
        .zip(&held_out_p)
        .filter_map(|(i, p)| {
            let lead = set.leads[*i as usize];
            lead.incumbent.map(|s| (*p, f64::from(s), lead.converted))
        })
        .collect();
    let evaluation = Evaluation {
        method,
        metrics: Metrics::of(&held_out_p, &truth),
        interval: auc_interval(&held_out_p, &truth),
        rules_auc: metrics::auc(&rules, &truth),
        contest,
    };
    let (weights, fitted_rows) = kept;
    let (baseline, spread) = set.design.moments(&fitted_rows);
    let importances = importances(&set.encoder, &weights, &spread);
    Ok(Trained {
        model: LearnedModel {
            encoder: set.encoder.clone(),
            weights,
            calibration,
            baseline,
        },
        evaluation,
        importances,
        notes: set.notes.clone(),
    })
}

/// Collects `rows` and trains on them: for tests and tools that hold
/// every row already.
pub fn train_rows(
    rows: impl IntoIterator<Item = (RawRow, Labelled)>,
    excluded: Vec<String>,
    config: &TrainConfig,
) -> Result<Trained, FitError> {
    let mut collector = Collector::new(excluded);
    for (row, lead) in rows {
        collector.push(row, lead);
    }
    train(&collector.finish(), config)
}

/// The leads held out of time: the most recent fifth (at least
/// [`HELD_OUT_MIN`]) of those with an incumbent score, so the candidate is
/// measured where the incumbent can be; when too few have one, the most
/// recent fifth of all.
fn held_out_of_time(leads: &[Labelled]) -> Vec<u32> {
    let wanted = (leads.len() / HELD_OUT_SHARE).max(HELD_OUT_MIN);
    let mut contested: Vec<u32> = (0..leads.len() as u32)
        .filter(|i| leads[*i as usize].incumbent.is_some())
        .collect();
    if contested.len() < HELD_OUT_MIN {
        contested = (0..leads.len() as u32).collect();
    }
    contested.sort_by_key(|i| std::cmp::Reverse((leads[*i as usize].at, *i)));
    contested.truncate(wanted.min(contested.len() / 2).max(1));
    contested.sort_unstable();
    contested
}
