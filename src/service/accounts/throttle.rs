//! Throttling of password guesses and sign-ups, derived from the audit log
//! (so it holds across replicas and needs no table of its own).
//!
//! Password guesses (failed logins and wrong current passwords in
//! `changePassword`) are counted three ways, each with its own allowance in
//! 15 minutes: per account from one address (5), per account from anywhere
//! (20, against guessing spread over many addresses) and per address across
//! accounts (100, so one person's typos never lock out a colleague behind the
//! same address). Past its allowance a key is locked for 30 s, doubling with
//! each further failure up to 15 minutes. A successful sign-in resets the
//! account keys, not the address key (one valid account must not launder
//! guesses at others). Nothing is ever locked for good.
//!
//! Sign-ups are counted per address: each attempt that reached the password
//! hash, whether it created an account or not.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{
    entity::audit_log::{self, Column},
    error::{AppError, AppResult},
};

pub const LOGIN_FAILED: &str = "login.failed";
pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
pub const LOGIN_THROTTLED: &str = "login.throttled";
pub const SIGNUP_SUCCEEDED: &str = "user.registered";
pub const SIGNUP_REFUSED: &str = "signup.refused";

const WINDOW: Duration = Duration::minutes(15);
const SIGNUP_WINDOW: Duration = Duration::hours(1);
const BASE_LOCK_SECS: i64 = 30;
const MAX_LOCK_SECS: i64 = 15 * 60;

/// One way of counting failures.
#[derive(Clone, Copy)]
struct Rule {
    /// Failures allowed in [`WINDOW`] before the key locks.
    free: usize,
    reset_by_success: bool,
}

const ACCOUNT_FROM_ADDRESS: Rule = Rule {
    free: 5,
    reset_by_success: true,
};
const ACCOUNT: Rule = Rule {
    free: 20,
    reset_by_success: true,
};
const ADDRESS: Rule = Rule {
    free: 100,
    reset_by_success: false,
};

/// How long the lock lasts after `failures` recent failures (pure, for tests).
pub fn lock_duration(failures: usize, free: usize) -> Option<Duration> {
    if failures < free {
        return None;
    }
    let doublings = (failures - free).min(16) as u32;
    Some(Duration::seconds(
        (BASE_LOCK_SECS << doublings).min(MAX_LOCK_SECS),
    ))
}

#[derive(Clone, Copy)]
enum Key<'a> {
    AccountFromAddress(&'a str, &'a str),
    Account(&'a str),
    Address(&'a str),
}

impl Key<'_> {
    fn condition(self) -> Condition {
        match self {
            Key::AccountFromAddress(email, ip) => Condition::all()
                .add(Column::Subject.eq(email))
                .add(Column::Ip.eq(ip)),
            Key::Account(email) => Condition::all().add(Column::Subject.eq(email)),
            Key::Address(ip) => Condition::all().add(Column::Ip.eq(ip)),
        }
    }
}

async fn recent<C: ConnectionTrait>(
    conn: &C,
    key: Key<'_>,
    action: &str,
    since: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<DateTime<Utc>>> {
    Ok(audit_log::Entity::find()
        .select_only()
        .column(Column::OccurredAt)
        .filter(Column::Action.eq(action))
        .filter(key.condition())
        .filter(Column::OccurredAt.gt(since))
        .order_by_desc(Column::OccurredAt)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?)
}

async fn locked_until<C: ConnectionTrait>(
    conn: &C,
    key: Key<'_>,
    rule: Rule,
    now: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    let window_start = now - WINDOW;
    let since = if rule.reset_by_success {
        recent(conn, key, LOGIN_SUCCEEDED, window_start, 1)
            .await?
            .first()
            .copied()
            .unwrap_or(window_start)
    } else {
        window_start
    };
    let failures = recent(conn, key, LOGIN_FAILED, since, rule.free as u64 + 17).await?;
    Ok(
        match (lock_duration(failures.len(), rule.free), failures.first()) {
            (Some(lock), Some(last)) if *last + lock > now => Some(*last + lock),
            _ => None,
        },
    )
}

/// Refuses a password guess with TOO_MANY_REQUESTS while any of its keys is locked.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut until = locked_until(conn, Key::Account(email), ACCOUNT, now).await?;
    if let Some(ip) = ip {
        for (key, rule) in [
            (Key::AccountFromAddress(email, ip), ACCOUNT_FROM_ADDRESS),
            (Key::Address(ip), ADDRESS),
        ] {
            until = until.max(locked_until(conn, key, rule, now).await?);
        }
    }
    match until {
        Some(until) => Err(AppError::TooManyRequests {
            reason: "too many failed sign-in attempts",
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        }),
        None => Ok(()),
    }
}

/// Refuses a sign-up from `ip` once `per_hour` attempts from it reached the
/// password hash within the last hour.
pub async fn check_signup<C: ConnectionTrait>(
    conn: &C,
    ip: Option<&str>,
    per_hour: u32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(ip) = ip else {
        return Ok(());
    };
    let recent = audit_log::Entity::find()
        .filter(Column::Action.is_in([SIGNUP_SUCCEEDED, SIGNUP_REFUSED]))
        .filter(Column::Ip.eq(ip))
        .filter(Column::OccurredAt.gt(now - SIGNUP_WINDOW));
    if recent.clone().count(conn).await? < u64::from(per_hour) {
        return Ok(());
    }
    let oldest: Option<DateTime<Utc>> = recent
        .select_only()
        .column(Column::OccurredAt)
        .order_by_asc(Column::OccurredAt)
        .into_tuple()
        .one(conn)
        .await?;
    let retry = oldest.map_or(SIGNUP_WINDOW, |at| at + SIGNUP_WINDOW - now);
    Err(AppError::TooManyRequests {
        reason: "too many sign-ups from this address",
        retry_after_secs: retry.num_seconds().max(1) as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_starts_past_the_allowance_and_doubles_up_to_fifteen_minutes() {
        assert_eq!(lock_duration(4, 5), None);
        assert_eq!(lock_duration(5, 5), Some(Duration::seconds(30)));
        assert_eq!(lock_duration(6, 5), Some(Duration::seconds(60)));
        assert_eq!(lock_duration(7, 5), Some(Duration::seconds(120)));
        assert_eq!(lock_duration(30, 5), Some(Duration::minutes(15)));
        assert_eq!(lock_duration(99, 100), None);
        assert_eq!(lock_duration(100, 100), Some(Duration::seconds(30)));
    }
}
