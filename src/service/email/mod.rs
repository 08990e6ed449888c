//! Email: notifications mailed through an outbox written in their own
//! transaction, so a crash loses none and a rollback sends none; a worker
//! sends due messages, retries what the server could not take (1 minute
//! doubling to 6 hours, 8 attempts) and dead-letters what it refused.
//! Each user chooses per kind: instant, daily digest or off.
pub mod admin;
pub mod digest;
pub mod outbox;
pub mod preferences;
pub mod worker;

/// Attempts before a message that keeps failing is dead.
pub const MAX_ATTEMPTS: i32 = 8;

/// How long after attempt `attempts` (1-based) the next comes: 1 minute,
/// doubling, at most 6 hours.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let minutes = 1i64 << (attempts.clamp(1, 12) - 1);
    chrono::Duration::minutes(minutes.min(6 * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_a_minute_doubling_to_six_hours() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|a| backoff(a).num_minutes())
            .collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(backoff(20).num_minutes(), 360);
    }
}
