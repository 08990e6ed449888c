//! Learning from outcomes: pure, like the rule engine beside it. The
//! service layer gathers what was known about each lead before its outcome
//! ([`history`]); here it becomes raw features, then encoded columns
//! ([`encoder`]) held sparse ([`design`]), a logistic regression
//! ([`logistic`]), calibrated ([`calibration`]) and measured on leads it
//! never saw ([`fitting`], [`metrics`]), then weighed against what scores
//! now on the same leads ([`compare`]);
//! each prediction is explained in words ([`explain`]) and blended with
//! the rules by how much the model learned from ([`blend`]).
pub mod blend;
pub mod calibration;
pub mod compare;
pub mod design;
pub mod encoder;
pub mod explain;
pub mod fitting;
pub mod history;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod raw;
pub mod spline;

pub use blend::{ActiveModel, Basis, LearnedSettings};
pub use encoder::EncoderConfig;
pub use explain::{drivers, Contribution};
pub use fitting::{
    train, train_rows, Collector, Evaluation, Labelled, Method, TrainConfig, Trained, TrainingSet,
};
pub use history::{features, observe, LeadHistory, Logged, Profile, Touch};
pub use metrics::Metrics;
pub use model::{slice_key, Importance, LearnedModel, Prediction};
pub use raw::{Raw, RawRow};
