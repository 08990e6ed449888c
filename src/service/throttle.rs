//! Login throttling, per account and per client IP, derived from the audit
//! log (so it holds across replicas and needs no table of its own).
//!
//! Five failures within 15 minutes lock further attempts for 30 s; each
//! further failure doubles the wait, up to 15 minutes. A success resets the
//! count. Nothing is ever locked for good.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    entity::audit_log::{self, Column},
    error::{AppError, AppResult},
};

pub const LOGIN_FAILED: &str = "login.failed";
pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
pub const LOGIN_THROTTLED: &str = "login.throttled";

const WINDOW: Duration = Duration::minutes(15);
const FREE_FAILURES: usize = 5;
const BASE_LOCK_SECS: i64 = 30;
const MAX_LOCK_SECS: i64 = 15 * 60;

/// How long the lock lasts after `failures` recent failures (pure, for tests).
pub fn lock_duration(failures: usize) -> Option<Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = (failures - FREE_FAILURES).min(16) as u32;
    Some(Duration::seconds(
        (BASE_LOCK_SECS << doublings).min(MAX_LOCK_SECS),
    ))
}

#[derive(Clone, Copy)]
enum Key<'a> {
    Account(&'a str),
    Ip(&'a str),
}

async fn recent<C: ConnectionTrait>(
    conn: &C,
    key: Key<'_>,
    action: &str,
    since: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<DateTime<Utc>>> {
    let by_key = match key {
        Key::Account(email) => Column::Subject.eq(email),
        Key::Ip(ip) => Column::Ip.eq(ip),
    };
    let rows = audit_log::Entity::find()
        .filter(Column::Action.eq(action))
        .filter(by_key)
        .filter(Column::OccurredAt.gt(since))
        .order_by_desc(Column::OccurredAt)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.occurred_at).collect())
}

async fn locked_until<C: ConnectionTrait>(
    conn: &C,
    key: Key<'_>,
    now: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    let window_start = now - WINDOW;
    let last_success = recent(conn, key, LOGIN_SUCCEEDED, window_start, 1).await?;
    let since = last_success.first().copied().unwrap_or(window_start);
    let failures = recent(conn, key, LOGIN_FAILED, since, 32).await?;
    Ok(match (lock_duration(failures.len()), failures.first()) {
        (Some(lock), Some(last)) if *last + lock > now => Some(*last + lock),
        _ => None,
    })
}

/// Refuses the attempt with TOO_MANY_REQUESTS while the account or the IP is locked.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut until = locked_until(conn, Key::Account(email), now).await?;
    if let Some(ip) = ip {
        until = until.max(locked_until(conn, Key::Ip(ip), now).await?);
    }
    match until {
        Some(until) => Err(AppError::TooManyRequests {
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_starts_at_the_fifth_failure_and_doubles_up_to_fifteen_minutes() {
        assert_eq!(lock_duration(4), None);
        assert_eq!(lock_duration(5), Some(Duration::seconds(30)));
        assert_eq!(lock_duration(6), Some(Duration::seconds(60)));
        assert_eq!(lock_duration(7), Some(Duration::seconds(120)));
        assert_eq!(lock_duration(30), Some(Duration::minutes(15)));
    }
}
