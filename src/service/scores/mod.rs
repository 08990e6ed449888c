//! Scores: computing and storing them ([`rescoring`], from [`inputs`], via
//! [`codec`]), reading them ([`read`], [`call_list`], [`live`]), and
//! rescoring many leads ([`walk`], shared by the [`sweep`] and [`jobs`]),
//! and learning from outcomes ([`learned`]).
pub mod call_list;
pub mod codec;
pub mod inputs;
pub mod jobs;
pub mod learned;
pub mod live;
pub mod read;
pub mod rescoring;
pub mod sweep;
pub mod walk;

pub use call_list::{prioritized, Prioritized};
pub use read::{
    current, current_for, history, history_for, insights_for, score_now, scores_for, Current,
};
