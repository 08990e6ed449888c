//! Background work outlives its server. On its own timer, whatever the
//! scoring settings, each server looks for jobs whose lease ran out
//! (rescore jobs, imports and bulk jobs are taken over; a training is
//! marked failed) and purges expired uploads. A job abandoned at any
//! moment is resumed within [`super::lease::ABANDONED_AFTER`] plus
//! [`LOOK_EVERY`].
use std::time::Duration;

use tokio::sync::watch;

use super::{bulk_jobs, imports, scores};
use crate::core::Core;

/// How often a server looks.
pub const LOOK_EVERY: Duration = Duration::from_secs(30);

/// Starts looking, as an owned task: at once (a server that restarts after
/// a crash takes its jobs back as soon as their lease runs out), then every
/// [`LOOK_EVERY`], and whenever the core's clock is moved.
pub async fn start(core: &Core) {
    let owned = core.clone();
    core.tasks()
        .spawn("job watch", move |stop| run(owned, stop))
        .await;
}

async fn run(core: Core, mut stop: watch::Receiver<bool>) {
    let clock = core.clock().clone();
    let mut moves = clock.watch();
    loop {
        look(&core).await;
        tokio::select! {
            () = clock.tick(LOOK_EVERY, &mut moves) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// One look; failures are logged and the next look tries again.
pub async fn look(core: &Core) {
    scores::jobs::resume_abandoned(core).await;
    imports::run::resume_abandoned(core).await;
    bulk_jobs::run::resume_abandoned(core).await;
    if let Err(err) = scores::learned::training::fail_abandoned(core).await {
        tracing::warn!(code = err.code(), "could not look for abandoned trainings");
    }
    if let Err(err) = imports::expiry::purge_expired(core).await {
        tracing::warn!(code = err.code(), "could not purge expired uploads");
    }
}
