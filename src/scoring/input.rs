//! What the engine scores: plain data gathered by the service layer.
use chrono::{DateTime, Utc};

/// Engagement events an integration reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    EmailSent,
    EmailOpened,
    EmailClicked,
    EmailReplied,
    PageView,
    PricingView,
    CalculatorUsed,
    BrochureDownloaded,
    FormSubmitted,
    ChatMessage,
    DemoRequested,
    InventoryViewed,
    /// The lead's mailbox refused an email.
    EmailBounced,
    EmailUnsubscribed,
    EmailMarkedSpam,
    /// The lead sent a text message.
    SmsReceived,
    /// A call with the lead took place (telephony integrations).
    CallCompleted,
}

impl EventKind {
    pub const ALL: [EventKind; 17] = [
        Self::EmailSent,
        Self::EmailOpened,
        Self::EmailClicked,
        Self::EmailReplied,
        Self::PageView,
        Self::PricingView,
        Self::CalculatorUsed,
        Self::BrochureDownloaded,
        Self::FormSubmitted,
        Self::ChatMessage,
        Self::DemoRequested,
        Self::InventoryViewed,
        Self::EmailBounced,
        Self::EmailUnsubscribed,
        Self::EmailMarkedSpam,
        Self::SmsReceived,
        Self::CallCompleted,
    ];

    /// The stored and wire name, e.g. `PRICING_VIEW`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailSent => "EMAIL_SENT",
            Self::EmailOpened => "EMAIL_OPENED",
            Self::EmailClicked => "EMAIL_CLICKED",
            Self::EmailReplied => "EMAIL_REPLIED",
            Self::PageView => "PAGE_VIEW",
            Self::PricingView => "PRICING_VIEW",
            Self::CalculatorUsed => "CALCULATOR_USED",
            Self::BrochureDownloaded => "BROCHURE_DOWNLOADED",
            Self::FormSubmitted => "FORM_SUBMITTED",
            Self::ChatMessage => "CHAT_MESSAGE",
            Self::DemoRequested => "DEMO_REQUESTED",
            Self::InventoryViewed => "INVENTORY_VIEWED",
            Self::EmailBounced => "EMAIL_BOUNCED",
            Self::EmailUnsubscribed => "EMAIL_UNSUBSCRIBED",
            Self::EmailMarkedSpam => "EMAIL_MARKED_SPAM",
            Self::SmsReceived => "SMS_RECEIVED",
            Self::CallCompleted => "CALL_COMPLETED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// Time on page, for PAGE_VIEW.
    pub seconds: Option<u32>,
}

/// Where a piece of free text came from; all of it is read for urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    Chat,
    Note,
    Activity,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub source: TextSource,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// The lead's pipeline stage, as far as prioritizing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Open,
    /// PROPOSAL or NEGOTIATION: money is on the table.
    Late,
    /// WON or LOST: never prioritized.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadFacts {
    pub has_contact: bool,
    /// Minor units of `currency`.
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    pub currency: String,
    pub product_interest: Option<String>,
    pub purchase_timeline: Option<String>,
    pub is_repeat_customer: bool,
    pub stage: Option<Stage>,
    /// The newest logged activity (calls, emails, meetings) that is not an event.
    pub last_activity_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InventoryItem {
    pub name: String,
    pub category: String,
    /// Minor units of `currency`.
    pub price: i64,
    pub currency: String,
    pub quantity_available: i32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoringInput {
    pub lead: LeadFacts,
    pub events: Vec<Event>,
    /// Chat messages, notes and activity summaries.
    pub texts: Vec<Text>,
    /// Shared by every lead of a batch: scoring reads it, never copies it.
    pub inventory: std::sync::Arc<[InventoryItem]>,
}
