//! The streams subscriptions are built from. Each listens on the bus before
//! it reads anything, so nothing falls between the two.
mod notifications;
mod scores;
mod unread;

pub use notifications::{notification_feed, NotificationItem, MAX_REPLAY};
pub use scores::score_watch;
pub use unread::unread_counter;

use crate::error::AppError;

/// What a stream ends with when its user's access ended.
pub(crate) fn access_ended() -> AppError {
    AppError::Unauthenticated(
        "your session ended or your access changed: sign in again and resubscribe".into(),
    )
}
