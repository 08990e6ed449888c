//! Watches whether PostgreSQL answers, on a connection of its own (a busy
//! pool is not an outage), and drives the circuit breaker: a probe every
//! 200 ms while healthy, each allowed 300 ms, so an outage opens the
//! circuit within about a second even when packets vanish instead of being
//! refused; every 250 ms while open, so the server is back within about
//! half a second of the database. Every few seconds the probe also sends a ping through
//! the event channel, which the listener times (the event lag).
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{
    sqlx::{
        postgres::{PgConnectOptions, PgConnection},
        Connection, Executor,
    },
    DbErr, RuntimeErr,
};
use tokio::sync::watch;

use super::diagnose::Diagnosis;
use crate::{events::listener::CHANNEL, events::Bus, ops::Ops};

pub const HEALTHY_EVERY: Duration = Duration::from_millis(200);
pub const HEALTHY_TIMEOUT: Duration = Duration::from_millis(300);
pub const OPEN_EVERY: Duration = Duration::from_millis(250);
/// Connecting takes a few round trips and may follow a restart.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(1);
const PING_EVERY: Duration = Duration::from_secs(2);

/// Says why a probe failed, in words without secrets.
pub type Describe = Arc<dyn Fn(&DbErr) -> Diagnosis + Send + Sync>;

/// Probes until `stop` turns true.
pub async fn watch(
    options: PgConnectOptions,
    ops: Ops,
    bus: Bus,
    describe: Describe,
    mut stop: watch::Receiver<bool>,
) {
    let breaker = ops.breaker();
    let mut conn: Option<PgConnection> = None;
    let mut last_ping = Instant::now() - PING_EVERY;
    loop {
        let open = breaker.check().is_err();
        let (every, limit) = if open {
            (OPEN_EVERY, OPEN_TIMEOUT)
        } else {
            (HEALTHY_EVERY, HEALTHY_TIMEOUT)
        };
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        breaker.probing();
        let ping = (last_ping.elapsed() >= PING_EVERY).then(|| bus.ping_payload());
        let result = tokio::time::timeout(limit, probe(&options, &mut conn, ping.as_deref())).await;
        match result {
            Ok(Ok(())) => {
                if ping.is_some() {
                    last_ping = Instant::now();
                }
                breaker.succeeded();
            }
            Ok(Err(err)) => {
                conn = None;
                let err = DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)));
                let diagnosis = describe(&err);
                breaker.failed(diagnosis.class.as_str(), diagnosis.message, OPEN_EVERY);
            }
            Err(_) => {
                conn = None;
                breaker.failed(
                    "timeout",
                    format!(
                        "the database did not answer within {} ms (the network or the server is not responding)",
                        limit.as_millis()
                    ),
                    OPEN_EVERY,
                );
            }
        }
    }
}

async fn probe(
    options: &PgConnectOptions,
    conn: &mut Option<PgConnection>,
    ping: Option<&str>,
) -> Result<(), sea_orm::sqlx::Error> {
    if conn.is_none() {
        *conn = Some(PgConnection::connect_with(options).await?);
    }
    let Some(conn) = conn.as_mut() else {
        return Ok(());
    };
    match ping {
        Some(payload) => {
            sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&mut *conn)
                .await?;
        }
        None => {
            conn.execute("SELECT 1").await?;
        }
    }
    Ok(())
}
