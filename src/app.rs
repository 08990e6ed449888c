//! The application: connect, migrate, build the schema and router, serve,
//! shut down gracefully. Tests build it exactly as `leadscore serve` does.
use std::{
    fmt,
    io::Write,
    net::SocketAddr,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    auth::{password, token, AuthConfig},
    config::Settings,
    core::{Core, ScoringSettings},
    db,
    graphql::{admission::Gate, build_schema},
    http::{
        admin_router, health, router,
        serve::{self, ConnectionLimits},
        AppState,
    },
    service::{scores::sweep, watch},
};

/// Why the server did not start; printed as is, one paragraph.
#[derive(Debug)]
pub struct StartupError(pub String);

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartupError {}

impl From<db::Diagnosis> for StartupError {
    fn from(diag: db::Diagnosis) -> Self {
        Self(diag.message)
    }
}

pub struct Application {
    listener: TcpListener,
    /// ADMIN_BIND's listener, when set.
    admin: Option<TcpListener>,
    state: AppState,
}

/// Builds the application core from settings and a connection: what the
/// server, the command line and benchmarks share.
pub async fn core(settings: &Settings, db: DatabaseConnection) -> Result<Core, StartupError> {
    let secret = signing_secret(settings)?;
    let decoy_hash = password::decoy_hash()
        .await
        .map_err(|err| StartupError(err.message()))?;
    let auth = AuthConfig {
        keys: token::TokenKeys::new(&secret),
        decoy_hash,
        allow_signup: settings.allow_signup,
        signup_limit_per_hour: settings.signup_limit_per_hour,
    };
    let scoring = ScoringSettings {
        thresholds: settings.thresholds(),
        sweep_interval: (settings.score_sweep_interval_secs > 0)
            .then(|| Duration::from_secs(settings.score_sweep_interval_secs)),
        learned: settings.learned(),
        retrain_interval: (settings.model_retrain_interval_hours > 0)
            .then(|| Duration::from_secs(settings.model_retrain_interval_hours * 3600)),
    };
    let readers = db::connect_readers(settings)
        .await
        .map_err(|err| StartupError(format!("cannot open the SQLite read connections: {err}")))?;
    let core = Core::new(db, readers, scoring, settings.uploads(), auth);
    match crate::smtp::Mailer::from_settings(settings).map_err(StartupError)? {
        Some(mailer) => {
            tracing::info!(server = %mailer.target, "email on");
            core.set_email(mailer);
        }
        None => tracing::info!("email off: SMTP_URL is not set"),
    }
    Ok(core)
}

/// Connects and, unless told not to, applies pending migrations.
pub async fn connect(
    settings: &Settings,
    migrate: bool,
) -> Result<DatabaseConnection, StartupError> {
    settings.validate().map_err(StartupError)?;
    if let Some(path) = settings.sqlite_path() {
        create_private_file(&path).map_err(|err| {
            StartupError(format!(
                "the SQLite file {} cannot be created: {err}. Check that its directory exists \
                 and is writable.",
                path.display()
            ))
        })?;
    }
    let db = db::connect(settings).await?;
    if migrate {
        let failed =
            |err: sea_orm::DbErr| StartupError(format!("applying migrations failed: {err}"));
        let unlimited = db::for_migrations(settings).await.map_err(failed)?;
        Migrator::up(unlimited.as_ref().unwrap_or(&db), None)
            .await
            .map_err(failed)?;
        if let Some(unlimited) = unlimited {
            unlimited.close().await.ok();
        }
    }
    Ok(db)
}

impl Application {
    pub async fn build(settings: Settings, migrate: bool) -> Result<Self, StartupError> {
        let db = connect(&settings, migrate).await?;
        Self::with_connection(settings, db).await
    }

    pub async fn with_connection(
        settings: Settings,
        db: DatabaseConnection,
    ) -> Result<Self, StartupError> {
        let core = core(&settings, db).await?;
        let settings = Arc::new(settings);
        let schema = build_schema(
            core.clone(),
            settings.introspection_enabled(),
            settings.graphql_field_spans,
        );
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(2, 8);
        let gate = Gate::start(schema.clone(), threads)
            .map_err(|err| StartupError(format!("cannot start the admission threads: {err}")))?;
        let listener = TcpListener::bind(settings.bind).await.map_err(|err| {
            StartupError(format!(
                "cannot listen on {} (LEADSCORE_BIND): {err}",
                settings.bind
            ))
        })?;
        let admin = match settings.admin_bind {
            Some(bind) => Some(TcpListener::bind(bind).await.map_err(|err| {
                StartupError(format!("cannot listen on {bind} (ADMIN_BIND): {err}"))
            })?),
            None => None,
        };
        let state = AppState {
            schema,
            stopping: core.tasks().stopping(),
            core,
            gate,
            settings,
            started: Instant::now(),
        };
        Ok(Self {
            listener,
            admin,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.settings.bind)
    }

    /// Where ADMIN_BIND listens, when set.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn core(&self) -> &Core {
        &self.state.core
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.state.core.db()
    }

    /// Serves until SIGTERM or Ctrl-C (or [`Tasks::stop`](crate::tasks::Tasks::stop)),
    /// with the background tasks running. Then, in order: stop accepting,
    /// let requests in flight finish (up to `SHUTDOWN_GRACE_SECS`; websockets
    /// close with 1001), stop the background tasks, return.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let settings = self.state.settings.clone();
        let core = self.state.core.clone();
        core.start_listening().await;
        let described = settings.clone();
        core.start_watchdog(Arc::new(move |err| db::diagnose_runtime(&described, err)))
            .await;
        health::start_sampling(&self.state).await;
        if let Some(admin) = self.admin {
            let router = admin_router(self.state.clone());
            let stopping = core.tasks().stopping();
            core.tasks()
                .spawn("admin listener", move |_| async move {
                    let limits = ConnectionLimits {
                        max_connections: 64,
                        header_read_timeout: Duration::from_secs(10),
                        grace: Duration::from_secs(1),
                    };
                    if let Err(err) = serve::serve(admin, router, limits, stopping).await {
                        tracing::error!(error = %err, "the admin listener stopped");
                    }
                })
                .await;
        }
        crate::service::email::worker::start(&core).await;
        sweep::start(&core).await;
        watch::start(&core).await;
        let grace = Duration::from_secs(settings.shutdown_grace_secs);
        let limits = ConnectionLimits {
            max_connections: settings.max_connections,
            header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs.max(1)),
            grace,
        };
        let signalled = core.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            signalled.tasks().stop();
        });
        let stopping = core.tasks().stopping();
        let served = serve::serve(self.listener, router(self.state), limits, stopping).await;
        core.tasks().shutdown(grace).await;
        tracing::info!("stopped");
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: no new connections; finishing requests in flight");
}

/// SECRET_KEY, or for an embedded database a key generated once and kept
/// beside it (mode 0600) so tokens survive restarts.
fn signing_secret(settings: &Settings) -> Result<Vec<u8>, StartupError> {
    if let Some(key) = &settings.secret_key {
        return Ok(key.expose().as_bytes().to_vec());
    }
    let Some(db_path) = settings.sqlite_path() else {
        tracing::warn!(
            "SECRET_KEY is not set: using a random key for this process only; tokens end with it"
        );
        return Ok(token::new_opaque_secret().into_bytes());
    };
    let key_path = db_path.with_extension("secret_key");
    if let Ok(existing) = std::fs::read_to_string(&key_path) {
        if existing.trim().len() >= 32 {
            return Ok(existing.trim().as_bytes().to_vec());
        }
    }
    let key = token::new_opaque_secret();
    write_private(&key_path, &key).map_err(|err| StartupError(format!("SECRET_KEY is not set and the generated key cannot be saved to {}: {err}. Set SECRET_KEY instead.", key_path.display())))?;
    tracing::warn!(path = %key_path.display(), "SECRET_KEY is not set: generated one and saved it beside the database (fine for development; set SECRET_KEY in production)");
    Ok(key.into_bytes())
}

/// Creates the embedded database file readable by its owner only (SQLite
/// would create it with the umask's 0644); an existing file is left alone.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())
}
