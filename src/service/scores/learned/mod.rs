//! Learned scoring: outcomes ([`outcomes`]) and what was known before them
//! ([`history`]) train a model ([`training`], on demand or on a
//! [`schedule`]); [`models`] keeps and activates it, [`basis`] serves
//! it, and [`predict`] blends its probability into each score.
pub mod basis;
pub mod history;
pub mod models;
pub mod outcomes;
pub mod predict;
pub mod schedule;
pub mod training;
