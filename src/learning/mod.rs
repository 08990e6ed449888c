//! Learning from outcomes: pure, like the rule engine beside it. The
//! service layer gathers what was known about each lead before its outcome
//! ([`history`]); here it becomes raw features, then encoded columns
//! ([`encoder`]), a logistic regression ([`logistic`]), calibrated
//! ([`calibration`]) and measured on leads it never saw ([`metrics`]);
//! each prediction is explained in words ([`explain`]) and blended with
//! the rules by how much the model learned from ([`blend`]).
pub mod blend;
pub mod calibration;
pub mod encoder;
pub mod explain;
pub mod history;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod raw;

pub use blend::{ActiveModel, Basis, LearnedSettings};
pub use encoder::EncoderConfig;
pub use explain::{drivers, Contribution};
pub use history::{features, observe, LeadHistory, Logged, Profile, Touch};
pub use metrics::Metrics;
pub use model::{
    slice_key, train, Example, Importance, LearnedModel, Prediction, TrainConfig, Trained,
};
pub use raw::{Raw, RawRow};
