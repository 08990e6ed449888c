//! The application: connect, migrate, build the schema and router, serve,
//! shut down gracefully. Tests build it exactly as `leadscore serve` does.
use std::{fmt, io::Write, net::SocketAddr, path::Path, sync::Arc, time::Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    auth::{password, token},
    config::Settings,
    db,
    graphql::{build_schema, ApiContext},
    http::{router, AppState},
    service::{accounts::AuthConfig, sweep},
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
    state: AppState,
}

/// Connects and, unless told not to, applies pending migrations.
pub async fn connect(
    settings: &Settings,
    migrate: bool,
) -> Result<DatabaseConnection, StartupError> {
    settings.validate().map_err(StartupError)?;
    let db = db::connect(settings).await?;
    if migrate {
        Migrator::up(&db, None)
            .await
            .map_err(|err| StartupError(format!("applying migrations failed: {err}")))?;
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
        let secret = signing_secret(&settings)?;
        let decoy_hash = password::decoy_hash()
            .await
            .map_err(|err| StartupError(err.message()))?;
        let settings = Arc::new(settings);
        let api = ApiContext {
            bus: crate::bus::Bus::start(&db),
            db,
            auth: AuthConfig {
                keys: token::TokenKeys::new(&secret),
                decoy_hash,
                allow_signup: settings.allow_signup,
            },
            settings: settings.clone(),
        };
        let schema = build_schema(api.clone(), settings.introspection_enabled());
        let listener = TcpListener::bind(settings.bind).await.map_err(|err| {
            StartupError(format!(
                "cannot listen on {} (LEADSCORE_BIND): {err}",
                settings.bind
            ))
        })?;
        let state = AppState {
            schema,
            api,
            settings,
            started: Instant::now(),
        };
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.settings.bind)
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.api.db
    }

    /// Serves until SIGINT or SIGTERM, running the decay sweep meanwhile.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let settings = self.state.settings.clone();
        let sweep = (settings.score_sweep_interval_secs > 0).then(|| {
            let interval = std::time::Duration::from_secs(settings.score_sweep_interval_secs);
            tokio::spawn(sweep::run(
                self.state.api.db.clone(),
                settings.thresholds(),
                interval,
            ))
        });
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await;
        if let Some(sweep) = sweep {
            sweep.abort();
        }
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
    tracing::info!("shutting down: finishing requests in flight");
}

/// SECRET_KEY, or for an embedded database a key generated once and kept
/// beside it (mode 0600) so tokens survive restarts.
fn signing_secret(settings: &Settings) -> Result<Vec<u8>, StartupError> {
    if let Some(key) = &settings.secret_key {
        return Ok(key.as_bytes().to_vec());
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
