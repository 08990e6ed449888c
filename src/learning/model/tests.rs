use super::*;
use crate::learning::{
    explain::drivers,
    fitting::{train_rows, Labelled, TrainConfig, Trained},
    logistic::sigmoid,
    metrics::auc,
};

type Example = (RawRow, Labelled);

/// A small deterministic generator (xorshift), so tests need no seed crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 1_000_000) as f64 / 1_000_000.0
    }
}

const SOURCES: [(&str, f64); 4] = [
    ("REFERRAL", 1.6),
    ("WEBSITE", 0.0),
    ("ADS", -0.8),
    ("EVENT", 0.4),
];

/// Leads from a known logistic model over a source, two attributes and
/// engagement; returns the examples and each one's true probability.
fn generated(n: usize, seed: u64) -> (Vec<Example>, Vec<f64>) {
    let mut rng = Rng(seed);
    let mut examples = Vec::new();
    let mut truth = Vec::new();
    for i in 0..n {
        let (source, source_effect) = SOURCES[(rng.next() * 4.0) as usize % 4];
        let tenure = (rng.next() * 20.0).round();
        let student = rng.next() < 0.3;
        let visits = (rng.next() * rng.next() * 12.0).round();
        let z = -1.0 + source_effect + 0.08 * tenure - 1.2 * f64::from(u8::from(student))
            + 0.9 * visits.ln_1p();
        let p = sigmoid(z);
        let mut row = RawRow::new();
        row.insert("source".into(), Raw::Cat(source.into()));
        row.insert("attributes.tenure".into(), Raw::Num(tenure));
        row.insert(
            "attributes.occupation".into(),
            Raw::Cat(if student { "Student" } else { "Working" }.into()),
        );
        row.insert("events.page_view".into(), Raw::Num(visits));
        // Noise the model must learn to ignore.
        row.insert(
            "attributes.shoe_size".into(),
            Raw::Num((rng.next() * 10.0).round()),
        );
        examples.push((
            row,
            Labelled {
                key: slice_key(&(i as u64 ^ seed).to_le_bytes()),
                converted: rng.next() < p,
                at: i as i64,
                rule_total: 0,
                incumbent: None,
            },
        ));
        truth.push(p);
    }
    (examples, truth)
}

fn train(examples: &[Example]) -> Result<Trained, crate::learning::logistic::FitError> {
    let config = TrainConfig {
        alpha: 1.0,
        threads: 2,
    };
    train_rows(examples.iter().cloned(), Vec::new(), &config)
}

#[test]
fn on_data_from_a_known_model_the_learned_auc_is_within_two_points_of_the_truth() {
    let (examples, _) = generated(4_000, 7);
    let trained = train(&examples).unwrap();
    // Fresh leads from the same world, none seen in training.
    let (fresh, truth) = generated(3_000, 99);
    let y: Vec<bool> = fresh.iter().map(|e| e.1.converted).collect();
    let learned: Vec<f64> = fresh
        .iter()
        .map(|e| trained.model.predict(&e.0).probability)
        .collect();
    let (ours, best) = (auc(&learned, &y), auc(&truth, &y));
    assert!(
        best - ours <= 0.02,
        "learned {ours:.3}, true model {best:.3}"
    );
    assert!(
        trained.evaluation.metrics.auc > 0.7,
        "{:?}",
        trained.evaluation.metrics
    );
    assert!(
        trained.evaluation.metrics.calibration_error < 0.1,
        "{:?}",
        trained.evaluation.metrics
    );
    let noise = trained
        .importances
        .iter()
        .position(|i| i.name == "attributes.shoe_size")
        .unwrap();
    assert!(noise >= 3, "{:?}", trained.importances);
}

#[test]
fn the_top_driver_of_a_lead_is_the_feature_that_truly_moved_it() {
    let (examples, _) = generated(4_000, 7);
    let trained = train(&examples).unwrap();
    // Average in everything but its source, which is the best there is.
    let mut row = RawRow::new();
    row.insert("source".into(), Raw::Cat("REFERRAL".into()));
    row.insert("attributes.tenure".into(), Raw::Num(10.0));
    row.insert("attributes.occupation".into(), Raw::Cat("Working".into()));
    row.insert("events.page_view".into(), Raw::Num(2.0));
    row.insert("attributes.shoe_size".into(), Raw::Num(5.0));
    let prediction = trained.model.predict(&row);
    let top = &drivers(&prediction.contributions)[0];
    assert_eq!(top.feature, "source", "{:?}", prediction.contributions);
    assert_eq!(top.text().split(" (").next(), Some("Source: REFERRAL"));
    // And a student's occupation pulls down.
    row.insert("attributes.occupation".into(), Raw::Cat("Student".into()));
    let student = trained.model.predict(&row);
    let occupation = student
        .contributions
        .iter()
        .find(|c| c.feature == "attributes.occupation")
        .unwrap();
    assert!(occupation.points < -5.0, "{occupation:?}");
    assert_eq!(occupation.label, "Occupation");
}

#[test]
fn the_same_leads_give_the_same_model() {
    let (examples, _) = generated(2_000, 3);
    let one = train(&examples).unwrap();
    let two = train(&examples).unwrap();
    assert_eq!(one.model, two.model);
    assert_eq!(one.evaluation.metrics, two.evaluation.metrics);
}

#[test]
fn an_attribute_with_a_value_per_lead_or_of_mixed_types_does_not_break_training() {
    let (mut examples, _) = generated(2_000, 5);
    for (i, (row, _)) in examples.iter_mut().enumerate() {
        row.insert(
            "attributes.external_ref".into(),
            Raw::Cat(format!("ref-{i}")),
        );
        let mixed = if i % 3 == 0 {
            Raw::Cat("n/a".into())
        } else {
            Raw::Num(i as f64)
        };
        row.insert("attributes.mixed".into(), mixed);
    }
    let trained = train(&examples).unwrap();
    assert!(
        trained
            .notes
            .iter()
            .any(|n| n.starts_with("attributes.external_ref:")),
        "{:?}",
        trained.notes
    );
    assert!(
        trained.model.encoder.width < 80,
        "{}",
        trained.model.encoder.width
    );
    assert!(trained.evaluation.metrics.auc > 0.7);
}
