//! When a client says something happened. Anyone may date a write in the
//! past week (last Tuesday's meeting, logged today); dating it further back is how
//! history is imported, which only an admin (or an API key acting for one)
//! may do, and every such write is audited as back-dated. Nothing is dated
//! in the future.
use chrono::{DateTime, Duration, Utc};

use crate::{
    auth::Actor,
    error::{AppError, AppResult},
};

/// How far back anyone may date a write.
pub const GRACE_DAYS: i64 = 7;
/// Clocks disagree a little: this much ahead of ours is still "now".
const SKEW_MINUTES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub at: DateTime<Utc>,
    /// Earlier than [`GRACE_DAYS`] ago: an import of history.
    pub backdated: bool,
}

/// The time for `field`: `given`, checked, or `now`.
pub fn when(
    actor: &Actor,
    field: &str,
    given: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<When> {
    let Some(at) = given else {
        return Ok(When {
            at: now,
            backdated: false,
        });
    };
    if at > now + Duration::minutes(SKEW_MINUTES) {
        return Err(AppError::bad_input(field, "must not be in the future"));
    }
    let backdated = at < now - Duration::days(GRACE_DAYS);
    if backdated && !actor.is_admin() {
        return Err(AppError::Forbidden(format!(
            "only an admin (or an API key) may date {field} more than {GRACE_DAYS} days back: \
             that is how history is imported"
        )));
    }
    Ok(When { at, backdated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::user::Role;

    fn actor(role: Role) -> Actor {
        Actor {
            role,
            ..Actor::operator()
        }
    }

    #[test]
    fn anyone_dates_a_write_today_only_admins_import_history_and_nobody_the_future() {
        let now = Utc::now();
        let rep = actor(Role::SalesRep);
        let morning = when(&rep, "occurred_at", Some(now - Duration::hours(3)), now).unwrap();
        assert!(!morning.backdated);
        let last_year = Some(now - Duration::days(365));
        assert_eq!(
            when(&rep, "occurred_at", last_year, now)
                .unwrap_err()
                .code(),
            "FORBIDDEN"
        );
        assert!(
            when(&actor(Role::Admin), "occurred_at", last_year, now)
                .unwrap()
                .backdated
        );
        let tomorrow = Some(now + Duration::days(1));
        assert_eq!(
            when(&rep, "occurred_at", tomorrow, now).unwrap_err().code(),
            "BAD_USER_INPUT"
        );
        assert_eq!(when(&rep, "occurred_at", None, now).unwrap().at, now);
    }
}
