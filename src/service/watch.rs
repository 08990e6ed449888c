//! Background jobs outlive their server: every sweep interval, each server
//! looks for imports and bulk jobs whose heartbeat stopped and takes them
//! over.
use std::time::Duration;

use tokio::sync::watch;

use super::{bulk_jobs, imports};
use crate::core::Core;

/// Starts looking as an owned task, as often as the decay sweep runs (not
/// at all when the sweep is off).
pub async fn start(core: &Core) {
    let Some(interval) = core.scoring().sweep_interval else {
        return;
    };
    let owned = core.clone();
    core.tasks()
        .spawn("job watch", move |stop| run(owned, interval, stop))
        .await;
}

async fn run(core: Core, interval: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        imports::run::resume_abandoned(&core).await;
        bulk_jobs::run::resume_abandoned(&core).await;
    }
}
