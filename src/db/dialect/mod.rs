//! Every difference between PostgreSQL and SQLite, in one place. The
//! backend is decided once, at connect, and kept in the application core.
//!
//! | concern | PostgreSQL | SQLite |
//! |---|---|---|
//! | TLS | off on a loopback address unless the URL or `PGSSLMODE` asks for it (sqlx sets no `TCP_NODELAY`: a statement over 16 KiB spans two TLS records and waits 40 ms for a delayed ACK) | none |
//! | pool | 10 connections by default, JIT off, `work_mem` 32 MB | exactly one writer; beside it `SQLITE_READERS` (default 4) read-only connections for reads outside a transaction |
//! | write transactions | `BEGIN` (row locks order writers) | `BEGIN IMMEDIATE`: the write lock at BEGIN, waiting up to [`SQLITE_BUSY_TIMEOUT`] for another process |
//! | row locks | `FOR NO KEY UPDATE` (`SKIP LOCKED` for batch walks) | none: the write lock taken at BEGIN already serialises writers |
//! | concurrent batch walks | [`Dialect::walkers`] = 2 | 1 |
//! | events after commit | `pg_notify` inside the transaction (sent at commit, dropped on rollback), heard by every replica's listener | handed to the instance's bus right after COMMIT |
//! | bulk score writes | one statement per table reading a JSON parameter (`json_to_recordset`), prepared once | multi-row statements of 500 rows |
//! | seconds since 1970 of a timestamp column | `date_part('epoch', c)` | `julianday(c)` rebased (timestamps are RFC 3339 text); whole seconds from `strftime('%s', c)` |
//! | errors | SQLSTATE 40P01/40001 are CONFLICT; constraint names | SQLITE_BUSY/LOCKED are DATABASE_UNAVAILABLE; "UNIQUE constraint failed: table.column" |
mod bulk;
mod errors;

use std::time::Duration;

use sea_orm::{
    sea_query::{LockBehavior, LockType},
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QuerySelect, Select, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait, Value,
};

pub use bulk::save_scores;
pub use errors::{
    is_concurrency_failure, is_connection_failure, is_lock_timeout, unique_violation,
};

use crate::events::{listener::CHANNEL, Event};

/// How long a SQLite statement waits for another writer before giving up
/// with DATABASE_UNAVAILABLE (and `retryAfter`).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// A host name that never leaves the machine (or a Unix socket directory).
fn is_loopback(host: &str) -> bool {
    host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Concurrent batch walks on PostgreSQL (this machine class has 2 cores).
const POSTGRES_WALKERS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    pub fn of(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Self::Postgres,
            _ => Self::Sqlite,
        }
    }

    /// From a `DATABASE_URL`, before connecting.
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }

    pub fn default_pool_size(self) -> u32 {
        match self {
            Self::Postgres => 10,
            Self::Sqlite => 1,
        }
    }

    /// Backend-specific connection options.
    /// `statement_timeout`: PostgreSQL cancels a statement running longer.
    pub fn tune(
        self,
        mut options: ConnectOptions,
        statement_timeout: Option<Duration>,
    ) -> ConnectOptions {
        let tls_asked = options.get_url().to_ascii_lowercase().contains("sslmode=")
            || std::env::var_os("PGSSLMODE").is_some();
        if self == Self::Postgres {
            // One closure: sea-orm keeps only the last one given.
            let timeout = statement_timeout.map(|t| format!("{}ms", t.as_millis()));
            options.map_sqlx_postgres_opts(move |mut opts| {
                if !tls_asked && is_loopback(opts.get_host()) {
                    opts = opts.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable);
                }
                // No JIT: a report's plan costs enough to trigger it, and
                // compiling took 0.4-0.5 s of a 0.8 s statement; nothing
                // here runs long enough to earn that back. 32 MB to sort
                // and hash in: a report over 100k leads spilled to disk
                // at the default 4 MB.
                let opts = opts.options([("jit", "off"), ("work_mem", "32MB")]);
                match &timeout {
                    Some(t) => opts.options([("statement_timeout", t.as_str())]),
                    None => opts,
                }
            });
        }
        if self == Self::Sqlite {
            options.map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
            });
        }
        options
    }

    /// Makes SQLite connections refuse to write (`query_only`): the read
    /// pool beside the one writer.
    pub fn read_only(options: &mut ConnectOptions) {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .pragma("query_only", "ON")
        });
    }

    /// Starts a transaction that will write. On SQLite it takes the write
    /// lock at BEGIN: a deferred transaction that read first and then found
    /// another process had written meanwhile fails at once with
    /// SQLITE_BUSY, whereas an immediate one waits for the lock (up to the
    /// busy timeout) and then sees the other's commit.
    pub async fn begin(self, db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: (self == Self::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
    }

    /// Locks the selected rows for the rest of the transaction, so writers
    /// of one row queue up (PostgreSQL; on SQLite the write lock does it).
    pub fn for_update<E: EntityTrait>(self, select: Select<E>) -> Select<E> {
        match self {
            Self::Postgres => select.lock(LockType::NoKeyUpdate),
            Self::Sqlite => select,
        }
    }

    /// Like [`Self::for_update`], skipping rows another transaction holds,
    /// so several walkers share a batch walk without waiting on each other.
    pub fn for_update_skip_locked<E: EntityTrait>(self, select: Select<E>) -> Select<E> {
        match self {
            Self::Postgres => {
                select.lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
            }
            Self::Sqlite => select,
        }
    }

    /// How many batch walks may run at once.
    pub fn walkers(self) -> usize {
        match self {
            Self::Postgres => POSTGRES_WALKERS,
            Self::Sqlite => 1,
        }
    }

    /// Sends `events` to every replica's listener when `txn` commits
    /// (PostgreSQL); returns whether it did, so SQLite's caller dispatches
    /// them itself after the commit.
    pub async fn notify_at_commit(
        self,
        txn: &DatabaseTransaction,
        events: &[Event],
    ) -> Result<bool, DbErr> {
        if self != Self::Postgres {
            return Ok(false);
        }
        if events.is_empty() {
            return Ok(true);
        }
        let payloads: Vec<String> = events.iter().map(Event::encode).collect();
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT pg_notify('{CHANNEL}', value) FROM json_array_elements_text($1::json)"),
            [Value::from(serde_json::json!(payloads).to_string())],
        ))
        .await?;
        Ok(true)
    }

    /// SQL for the seconds since 1970 of timestamp column `column`, as a
    /// double (what reports subtract to get durations).
    pub fn epoch_seconds(self, column: &str) -> String {
        match self {
            // date_part is a double; EXTRACT's numeric was a third of a
            // time series' cost.
            Self::Postgres => format!("date_part('epoch', {column})"),
            Self::Sqlite => format!("((julianday({column}) - 2440587.5) * 86400.0)"),
        }
    }

    /// SQL for which `width`-second slot since 1970 `column` falls in, as an
    /// exact integer (what reports group time series by before bucketing).
    pub fn epoch_slot(self, column: &str, width: u32) -> String {
        match self {
            Self::Postgres => {
                format!("CAST(FLOOR(date_part('epoch', {column}) / {width}) AS BIGINT)")
            }
            Self::Sqlite => format!("(CAST(strftime('%s', {column}) AS INTEGER) / {width})"),
        }
    }
}
