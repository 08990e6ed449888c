//! Background work owned by the application (zero-to-production's workers,
//! raced with the server): started through it, told to stop when it stops,
//! and awaited, so nothing runs detached past shutdown.
use std::{future::Future, sync::Arc, time::Duration};

use tokio::{
    sync::{watch, Mutex},
    task::JoinSet,
};

/// A clone is a handle on the same set of tasks.
#[derive(Clone)]
pub struct Tasks {
    stop: Arc<watch::Sender<bool>>,
    running: Arc<Mutex<JoinSet<()>>>,
}

impl Default for Tasks {
    fn default() -> Self {
        Self {
            stop: Arc::new(watch::channel(false).0),
            running: Arc::default(),
        }
    }
}

impl Tasks {
    /// Runs `work` in the background; it receives the stop signal and
    /// should return soon after it turns true.
    pub async fn spawn<F, Fut>(&self, name: &'static str, work: F)
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let future = work(self.stop.subscribe());
        let mut running = self.running.lock().await;
        // Finished tasks leave the set here, so it holds only live ones.
        while let Some(finished) = running.try_join_next() {
            if let Err(err) = finished {
                if err.is_panic() {
                    tracing::error!(task = name, "a background task panicked");
                }
            }
        }
        running.spawn(async move {
            future.await;
            tracing::debug!(task = name, "background task ended");
        });
    }

    /// The stop signal, for the server and its connections.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Tells everything to stop.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Tells every task to stop, waits up to `grace` for them, and aborts
    /// what is left.
    pub async fn shutdown(&self, grace: Duration) {
        self.stop();
        let mut running = std::mem::take(&mut *self.running.lock().await);
        let all_done = async { while running.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all_done).await.is_err() {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "background tasks still running at the end of the grace period: aborted"
            );
            running.abort_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_stops_tasks_that_listen_and_aborts_those_that_do_not() {
        let tasks = Tasks::default();
        let (done_tx, mut done_rx) = tokio::sync::mpsc::channel(1);
        tasks
            .spawn("polite", move |mut stop| async move {
                let _ = stop.wait_for(|s| *s).await;
                let _ = done_tx.send(()).await;
            })
            .await;
        tasks
            .spawn("stubborn", |_| async {
                std::future::pending::<()>().await;
            })
            .await;

        tokio::time::timeout(
            Duration::from_secs(2),
            tasks.shutdown(Duration::from_millis(200)),
        )
        .await
        .expect("shutdown returns within its grace period");

        assert!(done_rx.try_recv().is_ok());
        assert!(tasks.is_stopping());
    }
}
