//! Connecting: pool options, start-up retries, pool figures for health.
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use serde::Serialize;

use super::{
    diagnose::{check_reachable, classify::classify, parse_target, Diagnosis, Target},
    dialect::Dialect,
};
use crate::config::Settings;

fn connect_options(settings: &Settings) -> ConnectOptions {
    limited_options(settings, true)
}

fn limited_options(settings: &Settings, statement_limit: bool) -> ConnectOptions {
    let dialect = Dialect::of_url(settings.database_url());
    let mut options = ConnectOptions::new(settings.database_url().to_string());
    options
        .max_connections(
            settings
                .db_max_connections
                .unwrap_or(dialect.default_pool_size())
                .max(1),
        )
        .min_connections(settings.db_min_connections)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(settings.db_acquire_timeout_secs.max(1)))
        .sqlx_logging(false);
    // A statement outliving any request it could serve is a runaway: the
    // server cancels it instead of keeping a pooled connection busy after
    // the request timed out and dropped it (seen: a bad plan held every
    // connection for minutes, and every later request failed).
    let statement_timeout = statement_limit.then(|| settings.request_timeout());
    dialect.tune(options, statement_timeout)
}

/// Connects, retrying transient failures with exponential backoff; gives up
/// with a [`Diagnosis`] the caller prints as is.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, Diagnosis> {
    let target = parse_target(settings)?;
    let mut delay = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        let result = try_connect(settings, &target).await;
        match result {
            Ok(db) => return Ok(db),
            Err(diag) if diag.class.is_transient() && attempt < settings.db_connect_retries => {
                attempt += 1;
                tracing::warn!(
                    class = diag.class.as_str(),
                    attempt,
                    of = settings.db_connect_retries,
                    retry_in_ms = delay.as_millis() as u64,
                    "database not reachable yet: {diag}"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(16));
            }
            Err(diag) => return Err(diag),
        }
    }
}

async fn try_connect(
    settings: &Settings,
    target: &Target,
) -> Result<DatabaseConnection, Diagnosis> {
    if target.scheme != "sqlite" {
        check_reachable(target).await?;
    }
    let db = Database::connect(connect_options(settings))
        .await
        .map_err(|err| classify(target, &err))?;
    // The pool may connect lazily; one round trip proves the credentials.
    db.execute_unprepared("SELECT 1")
        .await
        .map_err(|err| classify(target, &err))?;
    Ok(db)
}

/// On SQLite with a file, a pool of read-only connections for
/// [`Core::reads`](crate::core::Core::reads); none otherwise (PostgreSQL
/// serves reads from its one pool; an in-memory database is private to
/// its connection).
pub async fn connect_readers(settings: &Settings) -> Result<Option<DatabaseConnection>, DbErr> {
    if Dialect::of_url(settings.database_url()) != Dialect::Sqlite
        || settings.sqlite_path().is_none()
    {
        return Ok(None);
    }
    let mut options = limited_options(settings, false);
    options
        .max_connections(settings.sqlite_readers.max(1))
        .min_connections(0);
    Dialect::read_only(&mut options);
    Database::connect(options).await.map(Some)
}

/// On PostgreSQL, one connection without the request's statement timeout,
/// for migrations: building an index on a large table may rightly take
/// longer than any request. On SQLite, none: migrations must share the one
/// writer connection.
pub async fn for_migrations(settings: &Settings) -> Result<Option<DatabaseConnection>, DbErr> {
    if Dialect::of_url(settings.database_url()) != Dialect::Postgres {
        return Ok(None);
    }
    let mut options = limited_options(settings, false);
    options.max_connections(1).min_connections(0);
    Database::connect(options).await.map(Some)
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct PoolFigures {
    pub size: u32,
    pub idle: u32,
    pub in_use: u32,
    pub max: u32,
}

/// Pool figures for `/health.json`.
pub fn pool_figures(db: &DatabaseConnection, max: u32) -> Option<PoolFigures> {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => return None,
    };
    Some(PoolFigures {
        size,
        idle,
        in_use: size.saturating_sub(idle),
        max,
    })
}

pub fn max_connections(settings: &Settings) -> u32 {
    connect_options(settings).get_max_connections().unwrap_or(1)
}
