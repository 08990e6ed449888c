//! Notifications: writing them with the change that causes them
//! ([`notice`]), the bell ([`bell`]), and what live streams read ([`live`]).
pub mod bell;
pub mod live;
pub mod notice;

pub use bell::{mark_all_read, mark_read, redact, unread_count, MAX_MARK, REDACTED};
pub use notice::{lead_label, push, Notice};
