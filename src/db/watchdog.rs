//! Watches whether PostgreSQL answers, on a connection of its own (a busy
//! pool is not an outage), and drives the circuit breaker: a probe every
//! 200 ms while healthy, each allowed 300 ms; every 250 ms while open, so
//! the server is back within about half a second of the database. A probe
//! not answered in time is followed at once by a plain connection to the
//! server: refused or unanswered within [`REACH_TIMEOUT`] is an outage
//! (so one that drops packets opens the circuit within about two seconds),
//! accepted means the database is only slow, which opens nothing (see
//! [`crate::ops::breaker`]). Every few seconds the probe also sends a ping
//! through the event channel, which the listener times (the event lag).
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
/// The server's kernel accepts a connection even when the database is too
/// busy to answer: past this, nobody is there (a black hole, a host down).
pub const REACH_TIMEOUT: Duration = Duration::from_millis(500);
/// Starting a session (authentication, a backend process) on a server that
/// accepted the connection: a busy server may take this long.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(2);
const PING_EVERY: Duration = Duration::from_secs(2);

/// Says why a probe failed, in words without secrets.
pub type Describe = Arc<dyn Fn(&DbErr) -> Diagnosis + Send + Sync>;

/// What one probe found.
enum Probe {
    Answered,
    /// Evidence the database cannot be reached: its class and words.
    Down(&'static str, String),
    /// No answer in time from a server that accepts connections.
    Slow(String),
}

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
        let open = breaker.is_open();
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
        match probe(&options, &mut conn, ping.as_deref(), limit, &describe).await {
            Probe::Answered => {
                if ping.is_some() {
                    last_ping = Instant::now();
                }
                breaker.succeeded();
            }
            Probe::Down(class, why) => breaker.failed(class, why, OPEN_EVERY),
            Probe::Slow(why) => breaker.slow(why, OPEN_EVERY),
        }
    }
}

/// One probe: `SELECT 1` (or the event-lag ping) on the watchdog's own
/// connection, opened first if need be. A question not answered within
/// `limit` is slow, not down, as long as the server still accepts
/// connections; it is checked at once, so a black hole is told apart from
/// a busy server within one probe.
async fn probe(
    options: &PgConnectOptions,
    conn: &mut Option<PgConnection>,
    ping: Option<&str>,
    limit: Duration,
    describe: &Describe,
) -> Probe {
    let down = |err: sea_orm::sqlx::Error| {
        let diagnosis = describe(&DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err))));
        Probe::Down(diagnosis.class.as_str(), diagnosis.message)
    };
    let mut connection = match conn.take() {
        Some(connection) => connection,
        None => {
            if let Some(unreachable) = reachable(options).await {
                return unreachable;
            }
            match tokio::time::timeout(SESSION_TIMEOUT, PgConnection::connect_with(options)).await {
                Ok(Ok(connection)) => connection,
                Ok(Err(err)) => return down(err),
                Err(_) => {
                    return Probe::Slow(format!(
                    "the database accepted a connection but did not start a session within {} s",
                    SESSION_TIMEOUT.as_secs()
                ))
                }
            }
        }
    };
    let asked = async {
        match ping {
            Some(payload) => sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&mut connection)
                .await
                .map(drop),
            None => connection.execute("SELECT 1").await.map(drop),
        }
    };
    match tokio::time::timeout(limit, asked).await {
        Ok(Ok(())) => {
            *conn = Some(connection);
            Probe::Answered
        }
        Ok(Err(err)) => down(err),
        // The connection is left mid-question: it is dropped.
        Err(_) => reachable(options).await.unwrap_or_else(|| {
            Probe::Slow(format!(
                "the database did not answer within {} ms, though its server accepts connections",
                limit.as_millis()
            ))
        }),
    }
}

/// None when the database's server accepts a connection (its kernel does,
/// however busy the database); otherwise why not, as evidence of an outage.
async fn reachable(options: &PgConnectOptions) -> Option<Probe> {
    let port = options.get_port();
    let connect = async {
        match options.get_socket() {
            Some(dir) => tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}")))
                .await
                .map(drop),
            None => tokio::net::TcpStream::connect((options.get_host(), port))
                .await
                .map(drop),
        }
    };
    match tokio::time::timeout(REACH_TIMEOUT, connect).await {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(Probe::Down(
            match err.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection_refused",
                _ => "connection_lost",
            },
            format!("the database's server cannot be reached: {err}"),
        )),
        Err(_) => Some(Probe::Down(
            "timeout",
            format!(
                "the database's server did not accept a connection within {} ms (the network or the server is not responding)",
                REACH_TIMEOUT.as_millis()
            ),
        )),
    }
}
