//! Learned scoring: outcomes ([`outcomes`]) and what was known before them
//! ([`history`]) train a model ([`training`], on demand or on a
//! [`schedule`]), read by [`reading`]; `choice` keeps it and activates it
//! when it beats what scores now; [`models`] lists and activates models,
//! [`basis`] serves the active one, and [`predict`] blends its
//! probability into each score.
pub mod basis;
mod choice;
pub mod drift;
pub mod history;
pub mod models;
pub mod outcomes;
pub mod predict;
mod priority;
pub mod reading;
pub mod schedule;
pub mod training;
