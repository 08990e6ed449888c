//! The decay sweep. Scores fade with time, so every interval the sweep
//! rescores the leads the interval made stale, even when nothing happened
//! to them: a lead is never more than one interval stale, in
//! `leads(orderBy: SCORE)` or in the call list. Replicas share the work
//! (the walk skips rows another holds), and each tick also trains a model
//! when one is due and brings the active model's live figures (drift) up
//! to date.
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::{learned, walk::Walk};
use crate::{core::Core, error::AppResult};

/// Rescores every live lead stale at `stale_before`; returns the number.
pub async fn rescore_stale(
    core: &Core,
    stale_before: DateTime<Utc>,
    progress: impl Fn(usize) + Sync,
) -> AppResult<usize> {
    Walk::stale_before(stale_before).run(core, progress).await
}

/// Runs every `interval` until `stop` turns true. Failures are logged and
/// retried at the next tick; the server goes on.
pub async fn run(core: Core, interval: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Err(err) = learned::schedule::retrain_if_due(&core).await {
            err.log();
            tracing::warn!(code = err.code(), "could not check whether a model is due");
        }
        if let Err(err) = learned::drift::watch(&core).await {
            err.log();
            tracing::warn!(
                code = err.code(),
                "could not bring the model's live figures up to date"
            );
        }
        let cutoff = Utc::now()
            - chrono::Duration::from_std(interval).unwrap_or_else(|_| chrono::Duration::minutes(5));
        match rescore_stale(&core, cutoff, |_| {}).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rescored = n, "decay sweep"),
            Err(err) => {
                err.log();
                tracing::warn!(
                    code = err.code(),
                    "decay sweep failed; retrying at the next interval"
                );
            }
        }
    }
}

/// Starts the sweep as an owned task, if the settings ask for one.
pub async fn start(core: &Core) {
    let Some(interval) = core.scoring().sweep_interval else {
        return;
    };
    let owned = core.clone();
    core.tasks()
        .spawn("decay sweep", move |stop| run(owned, interval, stop))
        .await;
}
