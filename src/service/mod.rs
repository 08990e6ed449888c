//! Business operations, one module per domain. Services take the [`Actor`]
//! (who asks) and a connection; authorization is decided here, never only in
//! resolvers. Nothing here knows about GraphQL.
//!
//! [`Actor`]: crate::auth::Actor
pub mod accounts;
pub mod activities;
pub mod api_keys;
pub mod assignments;
pub mod audit;
pub mod demo;
pub mod engagement;
pub mod inventory;
pub mod jobs;
pub mod lead_input;
pub mod leads;
pub mod notes;
pub mod notifications;
pub mod page;
pub mod rescoring;
pub mod score_store;
pub mod scores;
pub mod sweep;
pub mod throttle;
pub mod users;
