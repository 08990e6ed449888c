use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeadStatus {
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "CONTACTED")]
    Contacted,
    #[sea_orm(string_value = "QUALIFIED")]
    Qualified,
    #[sea_orm(string_value = "PROPOSAL")]
    Proposal,
    #[sea_orm(string_value = "NEGOTIATION")]
    Negotiation,
    #[sea_orm(string_value = "WON")]
    Won,
    #[sea_orm(string_value = "LOST")]
    Lost,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeadSource {
    #[sea_orm(string_value = "WEBSITE")]
    Website,
    #[sea_orm(string_value = "REFERRAL")]
    Referral,
    #[sea_orm(string_value = "WALK_IN")]
    WalkIn,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "EMAIL_CAMPAIGN")]
    EmailCampaign,
    #[sea_orm(string_value = "SOCIAL_MEDIA")]
    SocialMedia,
    #[sea_orm(string_value = "TRADE_SHOW")]
    TradeShow,
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub source: LeadSource,
    pub status: LeadStatus,
    /// Minor units (cents) of `currency`.
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    /// ISO 4217 code.
    pub currency: String,
    pub product_interest: Option<String>,
    pub purchase_timeline: Option<String>,
    pub is_repeat_customer: bool,
    /// A JSON object of custom fields.
    pub attributes: Json,
    /// The id another system gives this lead (what an import matches on).
    pub external_id: Option<String>,
    /// The phone's digits, kept in step on every write: what an import
    /// matches a phone on, however it was punctuated.
    pub phone_key: Option<String>,
    /// Lower-cased name, email, company and phone, kept in step on every write.
    pub search_text: String,
    /// The latest score, denormalised from `lead_scores` for sorting and filtering.
    pub score: Option<i32>,
    pub classification: Option<super::lead_score::Classification>,
    /// NULL for WON and LOST leads: never prioritized.
    pub priority_tier: Option<super::lead_score::PriorityTier>,
    pub score_confidence: Option<f64>,
    pub scored_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_activity_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    /// Soft delete: set, the lead leaves every query; its history stays.
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
