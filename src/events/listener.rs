//! Across replicas (PostgreSQL): every server process listens on one
//! connection to the channel writers notify at commit, and hands what it
//! hears to its own [`Bus`]. When that connection drops, the process
//! reconnects, listens again and signals a gap: each subscriber then reads
//! what it has not seen, in order, from the database. Nothing is replayed
//! through the bus, so a catch-up never counts against a subscriber's queue
//! and never repeats what an earlier reconnect already covered.
use std::time::Duration;

use sea_orm::sqlx::{postgres::PgListener, PgPool};
use tokio::sync::watch;

use super::bus::{Bus, Event};

/// The PostgreSQL channel every server listens on.
pub const CHANNEL: &str = "leadscore_events";

/// Listens until `stop` turns true.
pub async fn listen(pool: PgPool, bus: Bus, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    let mut reconnecting = false;
    loop {
        let connected = tokio::select! {
            connected = connect(&pool) => connected,
            _ = stop.wait_for(|s| *s) => return,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(err) => {
                bus.listener_connected(false);
                tracing::warn!(error = %err, "event listener cannot listen; retrying");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                // At most a second: after an outage, other replicas' events flow again
                // within a second of the database.
                backoff = (backoff * 2).min(Duration::from_secs(1));
                reconnecting = true;
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        bus.listener_connected(true);
        if reconnecting {
            tracing::info!("event listener reconnected: subscribers catch up");
            bus.signal_gap();
        }
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                _ = stop.wait_for(|s| *s) => return,
            };
            match received {
                Ok(Some(message)) if bus.heard_ping(message.payload()) => {}
                Ok(Some(message)) => match Event::decode(message.payload()) {
                    Some(event) => bus.dispatch(event),
                    None => tracing::warn!(payload = message.payload(), "unreadable event"),
                },
                Ok(None) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "event listener lost its connection");
                    break;
                }
            }
        }
        bus.listener_connected(false);
        reconnecting = true;
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
