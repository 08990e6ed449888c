use super::*;

fn row(pairs: &[(&str, Raw)]) -> RawRow {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn config() -> EncoderConfig {
    EncoderConfig {
        min_count: 2,
        max_categories: 3,
        knots: 4,
        max_features: 10,
        excluded: vec!["secret*".into()],
    }
}

#[test]
fn features_are_typed_by_their_values_and_rare_categories_fold_into_other() {
    let rows: Vec<RawRow> = (0..20)
        .map(|i| {
            row(&[
                ("visits", Raw::Num(f64::from(i))),
                ("paid", Raw::Flag(i % 2 == 0)),
                (
                    "city",
                    Raw::Cat(if i < 10 {
                        "Mumbai".into()
                    } else {
                        format!("Town {i}")
                    }),
                ),
                ("secret.id", Raw::Cat(format!("{i}"))),
            ])
        })
        .collect();
    let (encoder, notes) = Encoder::fit(&rows, &config());
    let kinds: Vec<(&str, &str)> = encoder
        .features
        .iter()
        .map(|f| (f.name.as_str(), f.kind.name()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("city", "CATEGORICAL"),
            ("paid", "BOOLEAN"),
            ("visits", "NUMERIC")
        ]
    );
    assert!(notes
        .iter()
        .any(|n| n.starts_with("city: 11 distinct values")));
    let encoded = encoder.encode(&row(&[("city", Raw::Cat("Town 99".into()))]));
    let city = &encoder.features[0];
    // Mumbai, then other: an unseen town is other.
    assert_eq!(&encoded[city.columns()], &[0.0, 1.0]);
    assert_eq!(encoded.len(), encoder.width);
}

#[test]
fn a_value_per_lead_or_a_constant_carries_nothing_and_is_dropped() {
    let rows: Vec<RawRow> = (0..50)
        .map(|i| {
            row(&[
                ("attributes.ref", Raw::Cat(format!("id-{i}"))),
                ("always", Raw::Num(3.0)),
            ])
        })
        .collect();
    let (encoder, notes) = Encoder::fit(&rows, &config());
    assert!(encoder.features.is_empty(), "{:?}", encoder.features);
    assert!(notes
        .iter()
        .any(|n| n.contains("attributes.ref: 50 distinct")));
}

#[test]
fn missing_values_get_their_own_column_and_wrong_types_count_as_missing() {
    let mut rows: Vec<RawRow> = (0..10)
        .map(|i| row(&[("budget", Raw::Num(f64::from(i * 100)))]))
        .collect();
    rows.extend((0..5).map(|_| RawRow::new()));
    let (encoder, _) = Encoder::fit(&rows, &config());
    let spec = &encoder.features[0];
    assert!(spec.missing_column);
    let encoded = encoder.encode(&row(&[("budget", Raw::Cat("lots".into()))]));
    assert_eq!(encoded[spec.columns().end - 1], 1.0);
    assert_eq!(encoded[spec.offset], 0.0);
}
