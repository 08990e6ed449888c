//! One sea-orm entity per table. Data only: rules live in `service/` and `scoring/`.
pub mod api_key;
pub mod assignment;
pub mod audit_log;
pub mod engagement_event;
pub mod inventory_item;
pub mod lead;
pub mod lead_activity;
pub mod lead_insight;
pub mod lead_note;
pub mod lead_score;
pub mod lead_status_change;
pub mod notification;
pub mod refresh_token;
pub mod rescore_job;
pub mod scoring_model;
pub mod user;
