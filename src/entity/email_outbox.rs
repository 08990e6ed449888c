//! Messages to send, written in the transaction that caused them. The
//! worker claims due rows for a while (`locked_until`), sends, and records
//! the outcome; the row id is the message's Message-ID, so a resend after
//! a crash between the server's accept and the status update is
//! recognisably the same message.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmailStatus {
    /// Waiting for its next attempt.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Refused for good (a 5xx) or out of attempts: an admin may retry it.
    #[sea_orm(string_value = "DEAD")]
    Dead,
    /// Not sent: by the time it was due, its recipient turned the kind
    /// off or left.
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// A notification kind, or `DIGEST`, or `SUMMARY`.
    pub kind: String,
    pub dedupe_key: String,
    pub lead_id: Option<Uuid>,
    /// Written without the lead's name; the name is added when the message
    /// is sent, if the recipient may still see the lead then.
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: EmailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
