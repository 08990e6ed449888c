//! The fit, checked against scikit-learn (`cargo bench --bench learned --
//! --check-fit`, then `python3 benches/learned/check_fit.py`): every row of
//! the data set encoded by the same encoder as training, fitted by the same
//! call, and the design matrix, outcomes and weights written to
//! `target/fit-check/` for the script to refit and compare.
use std::fmt::Write;

use leadscore::learning::{
    encoder::Encoder,
    fitting::DEFAULT_ALPHA,
    logistic,
    raw::{Raw, RawRow},
    EncoderConfig,
};

pub fn run(rows: &[super::Row]) {
    let raw: Vec<RawRow> = rows
        .iter()
        .map(|row| {
            row.fields
                .iter()
                .filter(|(name, _)| {
                    !super::LEAKY.contains(&name.as_str())
                        && !["Prospect ID", "Lead Number", "Converted"].contains(&name.as_str())
                })
                .filter_map(|(name, value)| {
                    let value = super::answered(value)?;
                    let raw = match value {
                        "Yes" => Raw::Flag(true),
                        "No" => Raw::Flag(false),
                        v => v
                            .parse::<f64>()
                            .map_or_else(|_| Raw::Cat(v.into()), Raw::Num),
                    };
                    Some((name.clone(), raw))
                })
                .collect()
        })
        .collect();
    let alpha = DEFAULT_ALPHA;
    let (encoder, _) = Encoder::fit(&raw, &EncoderConfig::for_rows(raw.len()));
    let width = encoder.width;
    let y: Vec<bool> = rows.iter().map(|r| r.converted).collect();
    let mut flat = Vec::with_capacity(rows.len() * width);
    let mut matrix = String::new();
    for (row, converted) in raw.iter().zip(&y) {
        let x = encoder.encode(row);
        let cells: Vec<String> = x.iter().map(|v| format!("{v:e}")).collect();
        writeln!(matrix, "{},{}", u8::from(*converted), cells.join(",")).expect("write");
        flat.extend(x);
    }
    // The fit training makes: rows held sparse in f32 (their rounding is
    // part of what the comparison with scikit-learn measures).
    let weights = logistic::fit_dense(flat, width, &y, alpha).expect("fit");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/fit-check");
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::write(format!("{dir}/matrix.csv"), matrix).expect("matrix");
    let mut out = format!("alpha,{:e}\nintercept,{:e}\n", alpha, weights.intercept);
    for (j, w) in weights.coefficients.iter().enumerate() {
        writeln!(out, "w{j},{w:e}").expect("write");
    }
    std::fs::write(format!("{dir}/weights.csv"), out).expect("weights");
    println!(
        "{} rows x {width} columns fitted with alpha {}; written to {dir}",
        rows.len(),
        alpha
    );
}
