//! The accept loop. axum's `serve` has no knobs for what issue 9 needs: a
//! cap on open connections, and a deadline for a request's headers (which,
//! on a kept-alive connection, is also how long it may sit idle). Without
//! them, idle or slowly sent connections stayed open for good.
//!
//! Past the cap a new connection is closed at once, so a flood of idle
//! sockets cannot take the file descriptors every other client needs. A
//! request's body and its handling are bounded by the request timeout
//! (`REQUEST_TIMEOUT_SECS`), which runs inside the router.
use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::ConnectInfo, Router};
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    net::TcpListener,
    sync::{watch, OwnedSemaphorePermit, Semaphore},
};
use tower::ServiceExt;

/// A connection's place under the cap, in every request's extensions. A
/// websocket outlives the HTTP connection it upgraded, so it takes the
/// permit with it and the cap counts it until it closes.
#[derive(Clone, Default)]
pub struct ConnectionSlot(Arc<std::sync::Mutex<Option<OwnedSemaphorePermit>>>);

impl ConnectionSlot {
    /// The permit, for whoever keeps the connection alive from now on.
    pub fn take(&self) -> Option<OwnedSemaphorePermit> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// How the accept loop treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// A request's headers must arrive within this; an idle kept-alive
    /// connection is closed after it.
    pub header_read_timeout: Duration,
    /// How long in-flight requests may finish once shutdown starts.
    pub grace: Duration,
}

/// Serves `router` until `stop` turns true, then lets open connections
/// finish their requests for up to `limits.grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let mut refused_logged = tokio::time::Instant::now() - Duration::from_secs(60);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors or a reset before accept: keep serving.
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            if refused_logged.elapsed() > Duration::from_secs(10) {
                refused_logged = tokio::time::Instant::now();
                tracing::warn!(
                    max = limits.max_connections,
                    "connection cap reached (MAX_CONNECTIONS): closing new connections"
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop.clone();
        let slot = ConnectionSlot(Arc::new(std::sync::Mutex::new(Some(permit))));
        tokio::spawn(async move {
            let request_slot = slot.clone();
            let service = service_fn(move |mut request: Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request.extensions_mut().insert(request_slot.clone());
                let router = router.clone();
                async move { Ok::<_, Infallible>(infallible(router.oneshot(request).await)) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                }
                () = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
    // Every permit back means every connection has finished.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.grace, open.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = limits.grace.as_secs(),
            "connections still open at the end of the grace period"
        );
    }
    Ok(())
}

/// Resolves once `stop` turns true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

fn infallible<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}
