//! How reports cut scores and time into buckets: pure, so they are tested
//! alone and the oracle in the tests uses the same cuts.
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{AppError, AppResult};

/// Score bands of `width` points: 0-9, 10-19, ..., 90-100 for 10 (the
/// top band takes 100, as in Einstein's 81-100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreBands {
    width: i32,
}

impl ScoreBands {
    pub fn new(field: &str, width: i32) -> AppResult<Self> {
        if !(1..=50).contains(&width) {
            return Err(AppError::bad_input(field, "must be from 1 to 50"));
        }
        Ok(Self { width })
    }

    pub fn count(self) -> usize {
        (100 / self.width) as usize
    }

    /// The band of `score` (0 to 100).
    pub fn of(self, score: i32) -> usize {
        ((score.clamp(0, 100) / self.width) as usize).min(self.count() - 1)
    }

    /// The lowest and highest score of band `i`.
    pub fn bounds(self, i: usize) -> (i32, i32) {
        let low = i as i32 * self.width;
        let high = if i + 1 == self.count() {
            100
        } else {
            low + self.width - 1
        };
        (low, high)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

/// At most this many buckets in one series (a year of days).
pub const MAX_BUCKETS: usize = 366;

pub fn time_zone(field: &str, name: &str) -> AppResult<Tz> {
    name.parse::<Tz>()
        .map_err(|_| AppError::bad_input(field, format!("unknown IANA time zone {name:?}")))
}

/// The calendar buckets (days, Monday-first weeks or months in `tz`)
/// that `[from, to)` touches, each cut to that range.
pub fn time_buckets(
    granularity: Granularity,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    if from >= to {
        return Err(AppError::bad_input("from", "must be before to"));
    }
    let local = from.with_timezone(&tz).date_naive();
    let mut day = match granularity {
        Granularity::Day => local,
        Granularity::Week => local - Days::new(u64::from(local.weekday().num_days_from_monday())),
        Granularity::Month => local.with_day(1).unwrap_or(local),
    };
    let mut out = Vec::new();
    let mut start = midnight(tz, day);
    while start < to {
        if out.len() == MAX_BUCKETS {
            return Err(AppError::bad_input(
                "to",
                format!("more than {MAX_BUCKETS} buckets: choose a coarser granularity or a shorter range"),
            ));
        }
        day = match granularity {
            Granularity::Day => day + Days::new(1),
            Granularity::Week => day + Days::new(7),
            Granularity::Month => day + Months::new(1),
        };
        let end = midnight(tz, day);
        out.push((start.max(from), end.min(to)));
        start = end;
    }
    Ok(out)
}

/// The first instant of `day` in `tz` (after a gap when midnight is
/// skipped by a clock change).
fn midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let mut at = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..48 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&at)
}

/// The index of the bucket holding `at`, if any (buckets are sorted and
/// adjacent).
pub fn bucket_of(buckets: &[(DateTime<Utc>, DateTime<Utc>)], at: DateTime<Utc>) -> Option<usize> {
    let i = buckets.partition_point(|(start, _)| *start <= at);
    (i > 0 && at < buckets[i - 1].1).then(|| i - 1)
}

/// Nearest-rank `percent`-th percentile of `values`: the smallest value
/// with at least that share at or below it (what the SQL computes too).
pub fn nearest_rank(values: &mut [f64], percent: usize) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (percent * values.len())
        .div_ceil(100)
        .clamp(1, values.len());
    Some(values[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn score_bands_put_100_in_the_top_band() {
        let bands = ScoreBands::new("w", 10).unwrap();
        assert_eq!(bands.count(), 10);
        assert_eq!(bands.of(0), 0);
        assert_eq!(bands.of(99), 9);
        assert_eq!(bands.of(100), 9);
        assert_eq!(bands.bounds(9), (90, 100));
        let odd = ScoreBands::new("w", 30).unwrap();
        assert_eq!((odd.count(), odd.bounds(2), odd.of(100)), (3, (60, 100), 2));
        assert_eq!(ScoreBands::new("w", 1).unwrap().count(), 100);
    }

    #[test]
    fn a_band_width_outside_1_to_50_names_the_argument() {
        for width in [0, 51, -5] {
            let err = ScoreBands::new("bucketWidth", width).unwrap_err();
            assert!(
                matches!(err, AppError::BadUserInput { ref field, .. } if field == "bucketWidth")
            );
        }
    }

    #[test]
    fn weeks_start_on_monday_in_the_given_zone_and_are_cut_to_the_range() {
        let tz = time_zone("tz", "America/New_York").unwrap();
        let b = time_buckets(
            Granularity::Week,
            tz,
            utc("2026-03-04T12:00:00Z"),
            utc("2026-03-20T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].0, utc("2026-03-04T12:00:00Z"));
        // Monday 9 March, midnight EDT (clocks went forward on the 8th).
        assert_eq!(b[0].1, utc("2026-03-09T04:00:00Z"));
        assert_eq!(b[1].1, utc("2026-03-16T04:00:00Z"));
        assert_eq!(b[2].1, utc("2026-03-20T00:00:00Z"));
    }

    #[test]
    fn days_across_a_clock_change_are_23_and_25_hours_long() {
        let tz = time_zone("tz", "Europe/Berlin").unwrap();
        let b = time_buckets(
            Granularity::Day,
            tz,
            utc("2026-03-28T23:00:00Z"),
            utc("2026-03-30T22:00:00Z"),
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].1 - b[0].0).num_hours(), 23);
        let autumn = time_buckets(
            Granularity::Day,
            tz,
            utc("2026-10-24T22:00:00Z"),
            utc("2026-10-25T23:00:00Z"),
        )
        .unwrap();
        assert_eq!((autumn[0].1 - autumn[0].0).num_hours(), 25);
    }

    #[test]
    fn months_follow_the_calendar_and_too_many_buckets_are_refused() {
        let tz = time_zone("tz", "UTC").unwrap();
        let b = time_buckets(
            Granularity::Month,
            tz,
            utc("2026-01-15T00:00:00Z"),
            utc("2026-04-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(
            b[1],
            (utc("2026-02-01T00:00:00Z"), utc("2026-03-01T00:00:00Z"))
        );
        let err = time_buckets(
            Granularity::Day,
            tz,
            utc("2025-01-01T00:00:00Z"),
            utc("2026-01-03T00:00:00Z"),
        )
        .unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "to"));
        assert!(time_zone("timeZone", "Mars/Olympus").is_err());
    }

    #[test]
    fn bucket_of_finds_the_bucket_or_none_outside() {
        let tz = time_zone("tz", "UTC").unwrap();
        let b = time_buckets(
            Granularity::Day,
            tz,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-01-03T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(bucket_of(&b, utc("2026-01-01T00:00:00Z")), Some(0));
        assert_eq!(bucket_of(&b, utc("2026-01-02T23:59:59Z")), Some(1));
        assert_eq!(bucket_of(&b, utc("2026-01-03T00:00:00Z")), None);
        assert_eq!(bucket_of(&b, utc("2025-12-31T23:59:59Z")), None);
    }

    #[test]
    fn nearest_rank_is_the_smallest_value_covering_the_share() {
        let mut v = vec![5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(nearest_rank(&mut v, 50), Some(3.0));
        assert_eq!(nearest_rank(&mut v, 90), Some(5.0));
        let mut ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(nearest_rank(&mut ten, 90), Some(9.0));
        assert_eq!(nearest_rank(&mut ten, 50), Some(5.0));
        assert_eq!(nearest_rank(&mut [], 50), None);
    }
}
