//! The application core: built once (in `app`), and what every entry point
//! goes through (resolvers, the command line, background workers). It owns
//! the database and its dialect, the instance's event bus, the scoring
//! settings, the sign-in configuration and the background tasks, so a
//! service needs only the core and the [`Actor`](crate::auth::Actor).
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, RwLock,
    },
    time::{Duration, Instant},
};

use sea_orm::DatabaseConnection;

use crate::{
    auth::{cache::AccessCache, AuthConfig},
    clock::Clock,
    config::UploadLimits,
    db::{watchdog, Dialect, UnitOfWork},
    error::AppResult,
    events::{listener, Bus},
    learning::{Basis, LearnedSettings},
    ops::Ops,
    scoring::Thresholds,
    tasks::Tasks,
};

/// What scoring is configured to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScoringSettings {
    pub thresholds: Thresholds,
    /// How often the decay sweep runs; none turns it off.
    pub sweep_interval: Option<Duration>,
    pub learned: LearnedSettings,
    /// How often a new model is trained; none turns scheduled training off.
    pub retrain_interval: Option<Duration>,
}

/// What scores rest on, as last read from the database. Replicas read the
/// active model from the database; this keeps it for a few seconds so a
/// batch of rescoring does not read it again.
#[derive(Default)]
pub struct BasisCache(RwLock<Option<(Instant, Basis)>>);

impl BasisCache {
    /// How long a read stays good: a model activated on another replica
    /// scores here within this.
    pub const FRESH_FOR: Duration = Duration::from_secs(10);

    pub fn get(&self) -> Option<Basis> {
        let held = self.0.read().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|(at, _)| at.elapsed() < Self::FRESH_FOR)
            .map(|(_, basis)| basis.clone())
    }

    pub fn set(&self, basis: Basis) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), basis));
    }

    /// Forgets it, so the next read goes to the database (after activation).
    pub fn clear(&self) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Cloning shares the core.
#[derive(Clone)]
pub struct Core(Arc<Inner>);

struct Inner {
    db: DatabaseConnection,
    readers: Option<DatabaseConnection>,
    dialect: Dialect,
    bus: Bus,
    scoring: ScoringSettings,
    uploads: UploadLimits,
    auth: AuthConfig,
    clock: Clock,
    tasks: Tasks,
    basis: BasisCache,
    access: AccessCache,
    statements: Arc<AtomicU64>,
    ops: Ops,
    /// Set once at start when SMTP_URL is.
    email: std::sync::OnceLock<Arc<crate::smtp::Mailer>>,
}

impl Core {
    /// `readers`: on SQLite, read-only connections beside the one writer
    /// (see [`Core::reads`]).
    pub fn new(
        mut db: DatabaseConnection,
        mut readers: Option<DatabaseConnection>,
        scoring: ScoringSettings,
        uploads: UploadLimits,
        auth: AuthConfig,
    ) -> Self {
        let statements = Arc::new(AtomicU64::new(0));
        for conn in std::iter::once(&mut db).chain(readers.as_mut()) {
            let counted = statements.clone();
            conn.set_metric_callback(move |_| {
                counted.fetch_add(1, Ordering::Relaxed);
            });
        }
        Self(Arc::new(Inner {
            dialect: Dialect::of(&db),
            db,
            readers,
            bus: Bus::default(),
            scoring,
            uploads,
            auth,
            clock: Clock::default(),
            tasks: Tasks::default(),
            basis: BasisCache::default(),
            access: AccessCache::default(),
            statements,
            ops: Ops::default(),
            email: std::sync::OnceLock::new(),
        }))
    }

    /// Turns email on for this instance (once, at start).
    pub fn set_email(&self, email: crate::smtp::Mailer) {
        let _ = self.0.email.set(Arc::new(email));
    }

    /// The mail settings, when SMTP_URL is set.
    pub fn email(&self) -> Option<&Arc<crate::smtp::Mailer>> {
        self.0.email.get()
    }

    /// This instance's metrics, circuit breaker and recent samples.
    pub fn ops(&self) -> &Ops {
        &self.0.ops
    }

    /// The connection every write goes through (and reads that must see a
    /// write of their own, or run next to one).
    pub fn db(&self) -> &DatabaseConnection {
        &self.0.db
    }

    /// For statements that only read, outside a unit of work. On SQLite a
    /// pool of read-only connections: in WAL mode they read beside the one
    /// writer and each other, so a long search holds up neither writes nor
    /// other reads (with one connection for all, every request queued
    /// behind it). On PostgreSQL the one pool.
    pub fn reads(&self) -> &DatabaseConnection {
        self.0.readers.as_ref().unwrap_or(&self.0.db)
    }

    pub fn dialect(&self) -> Dialect {
        self.0.dialect
    }

    pub fn bus(&self) -> &Bus {
        &self.0.bus
    }

    pub fn scoring(&self) -> ScoringSettings {
        self.0.scoring
    }

    pub fn uploads(&self) -> UploadLimits {
        self.0.uploads
    }

    /// The time leases and schedules read (a test may move it).
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    pub fn thresholds(&self) -> Thresholds {
        self.0.scoring.thresholds
    }

    pub fn auth(&self) -> &AuthConfig {
        &self.0.auth
    }

    pub fn tasks(&self) -> &Tasks {
        &self.0.tasks
    }

    pub fn basis(&self) -> &BasisCache {
        &self.0.basis
    }

    /// SQL statements run since start (health figures; benchmarks and
    /// N+1 tests divide it by requests).
    pub fn statements(&self) -> &Arc<AtomicU64> {
        &self.0.statements
    }

    /// Who may act, as last read; see [`AccessCache`].
    pub fn access(&self) -> &AccessCache {
        &self.0.access
    }

    /// Starts a unit of work: a write transaction whose events leave at commit.
    pub async fn begin(&self) -> AppResult<UnitOfWork> {
        let mails = self.0.email.get().is_some();
        Ok(UnitOfWork::begin(&self.0.db, self.0.dialect, self.0.bus.clone(), mails).await?)
    }

    /// Starts listening for other replicas' events (PostgreSQL), as an
    /// owned task.
    pub async fn start_listening(&self) {
        if self.dialect() != Dialect::Postgres {
            return;
        }
        let pool = self.db().get_postgres_connection_pool().clone();
        let bus = self.bus().clone();
        self.tasks()
            .spawn("event listener", move |stop| {
                listener::listen(pool, bus, stop)
            })
            .await;
    }

    /// Starts probing the database for the circuit breaker (PostgreSQL: on
    /// SQLite the database is a file in this process, nothing to lose
    /// touch with), as an owned task.
    pub async fn start_watchdog(&self, describe: watchdog::Describe) {
        if self.dialect() != Dialect::Postgres {
            return;
        }
        let options = (*self.db().get_postgres_connection_pool().connect_options()).clone();
        let ops = self.ops().clone();
        let bus = self.bus().clone();
        self.tasks()
            .spawn("database watchdog", move |stop| {
                watchdog::watch(options, ops, bus, describe, stop)
            })
            .await;
    }
}
