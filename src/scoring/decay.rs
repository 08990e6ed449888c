//! Time decay: a signal's weight halves every half-life, so a lead that goes
//! quiet falls down the list without anyone touching it.
use chrono::{DateTime, Utc};

/// 0.5^(age / half-life), with a signal from the future counted as new.
pub fn weight(at: DateTime<Utc>, now: DateTime<Utc>, half_life_days: f64) -> f64 {
    let age_days = (now - at).num_seconds().max(0) as f64 / 86_400.0;
    0.5_f64.powf(age_days / half_life_days)
}

/// "in the last 3 hours", "in the last 5 days": how far back `since` is.
pub fn window(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let hours = (now - since).num_hours().max(0);
    match hours {
        0 => "in the last hour".into(),
        1..=47 => format!("in the last {} hours", hours + 1),
        _ => format!("in the last {} days", (hours + 23) / 24),
    }
}

/// "2 hours ago", "3 days ago".
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - at).num_minutes().max(0);
    match minutes {
        0..=1 => "just now".into(),
        2..=119 => format!("{minutes} minutes ago"),
        120..=2879 => format!("{} hours ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn weight_halves_every_half_life_and_never_exceeds_one() {
        let now = Utc::now();
        assert!((weight(now, now, 7.0) - 1.0).abs() < 1e-9);
        assert!((weight(now - Duration::days(7), now, 7.0) - 0.5).abs() < 1e-9);
        assert!((weight(now - Duration::days(14), now, 7.0) - 0.25).abs() < 1e-9);
        assert!((weight(now + Duration::days(1), now, 7.0) - 1.0).abs() < 1e-9);
    }
}
