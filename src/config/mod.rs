//! Settings, read once: defaults < `.env` < environment < command-line flags.
//! `.env` is loaded into the environment by `main` before anything else runs,
//! so clap sees one merged view and every setting has exactly one source of truth.
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};

/// The embedded default: a SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://leadscore.db?mode=rwc";

mod redacted;
mod validate;

pub use redacted::{DatabaseUrl, Secret};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What uploads for imports may take.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// The largest file.
    pub max_bytes: u64,
    /// Bytes one user may keep staged at once.
    pub quota_bytes: u64,
    /// How long an upload may send nothing before it is stopped.
    pub idle: Duration,
    /// How long a staged upload is kept for imports.
    pub kept_for: chrono::Duration,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Where the data lives: `sqlite://...` (embedded) or `postgres://...`.
    /// Unset means the embedded SQLite file `leadscore.db` (refused in production).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<DatabaseUrl>,

    /// Key for signing access tokens (at least 32 bytes). Required on PostgreSQL
    /// and in production; generated once and kept beside an embedded database otherwise.
    #[arg(long, env = "SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<Secret>,

    #[arg(
        long = "env",
        env = "LEADSCORE_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub environment: Environment,

    /// Address the HTTP server listens on.
    #[arg(long, env = "LEADSCORE_BIND", default_value = "127.0.0.1:8000", global = true)]
    pub bind: SocketAddr,

    /// Origins allowed to call the API from a browser (comma-separated). Empty: none.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub allowed_origins: Vec<String>,

    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub request_timeout_secs: u64,

    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// The largest file `POST /imports` takes (it streams to a temporary file).
    #[arg(long, env = "IMPORT_MAX_BYTES", default_value_t = 200 * 1024 * 1024, global = true)]
    pub import_max_bytes: u64,

    /// Bytes of uploads one user may keep staged at once; past it, uploads
    /// wait until older ones expire (429 with Retry-After).
    #[arg(long, env = "IMPORT_QUOTA_BYTES", default_value_t = 1024 * 1024 * 1024, global = true)]
    pub import_quota_bytes: u64,

    /// An upload that sends nothing for this many seconds is stopped (408).
    #[arg(long, env = "IMPORT_IDLE_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub import_idle_timeout_secs: u64,

    /// Hours a staged upload is kept for imports; then its rows are removed.
    #[arg(long, env = "IMPORT_UPLOAD_TTL_HOURS", default_value_t = 24, global = true)]
    pub import_upload_ttl_hours: u64,

    /// Pool size. Default: 10 on PostgreSQL. SQLite takes exactly 1 (one
    /// writer; a larger pool is refused at start-up).
    #[arg(long, env = "DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,

    /// SQLite: read-only connections beside the one writer, for reads
    /// outside a transaction (WAL lets them run alongside it).
    #[arg(long, env = "SQLITE_READERS", default_value_t = 4, global = true)]
    pub sqlite_readers: u32,

    #[arg(long, env = "DB_MIN_CONNECTIONS", default_value_t = 0, global = true)]
    pub db_min_connections: u32,

    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5, global = true)]
    pub db_acquire_timeout_secs: u64,

    /// Retries of a transient connection failure at start-up (backoff from 0.5 s,
    /// doubling: 6 retries wait about 30 s in all).
    #[arg(long, env = "DB_CONNECT_RETRIES", default_value_t = 6, global = true)]
    pub db_connect_retries: u32,

    /// Whether anyone may create a SALES_REP account with `register`.
    #[arg(long, env = "ALLOW_SIGNUP", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub allow_signup: bool,

    /// Sign-up attempts one client address may make in an hour.
    #[arg(long, env = "SIGNUP_LIMIT_PER_HOUR", default_value_t = 10, global = true)]
    pub signup_limit_per_hour: u32,

    /// Whether a POST may carry a JSON array of operations (at most 10).
    #[arg(long, env = "ALLOW_BATCH_REQUESTS", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub allow_batch_requests: bool,

    /// Open client connections (websockets included); more are closed at once.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 25_000, global = true)]
    pub max_connections: usize,

    /// A request's headers must arrive within this many seconds, and an idle
    /// kept-alive connection is closed after it.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10, global = true)]
    pub header_read_timeout_secs: u64,

    /// On SIGTERM or Ctrl-C, how long requests in flight may finish.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 20, global = true)]
    pub shutdown_grace_secs: u64,

    /// GraphiQL at /graphiql. Default: on, except in production.
    #[arg(long, env = "ENABLE_GRAPHIQL", action = clap::ArgAction::Set, global = true)]
    pub enable_graphiql: Option<bool>,

    /// Schema introspection. Default: on, except in production.
    #[arg(long, env = "ENABLE_INTROSPECTION", action = clap::ArgAction::Set, global = true)]
    pub enable_introspection: Option<bool>,

    /// A tracing span per resolved GraphQL field: for diagnosing one slow
    /// query, not for production (a 50-lead page resolves ~500 fields).
    #[arg(long, env = "GRAPHQL_FIELD_SPANS", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub graphql_field_spans: bool,

    /// Take the client IP for login throttling from `X-Forwarded-For` (only behind a proxy you run).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub trust_forwarded_for: bool,

    /// Where email goes: `smtps://user:pass@mail.example.com:465`, or
    /// `smtp://127.0.0.1:1025` for a local relay. Unset: no email.
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<DatabaseUrl>,

    /// The From of every message.
    #[arg(
        long,
        env = "EMAIL_FROM",
        default_value = "leadscore <leadscore@localhost>",
        global = true
    )]
    pub email_from: String,

    /// The address users reach the app at, for links in messages
    /// (default: http:// and LEADSCORE_BIND).
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// The local hour (0-23, in each user's time zone) the daily digest goes out.
    #[arg(long, env = "DIGEST_HOUR", default_value_t = 8, global = true)]
    pub digest_hour: u8,

    /// Bearer token that `GET /metrics` requires on the main address.
    /// Unset (and no ADMIN_BIND): /metrics is not served.
    #[arg(long, env = "METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// A second address serving /metrics (and the health pages) without a
    /// token: bind it where only monitoring reaches, e.g. 127.0.0.1:9100.
    #[arg(long, env = "ADMIN_BIND", global = true)]
    pub admin_bind: Option<SocketAddr>,

    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "pretty", global = true)]
    pub log_format: LogFormat,

    /// How often the decay sweep rescores leads (seconds); 0 turns it off.
    #[arg(long, env = "SCORE_SWEEP_INTERVAL_SECS", default_value_t = 300, global = true)]
    pub score_sweep_interval_secs: u64,

    /// Scores from this value up are HOT.
    #[arg(long, env = "SCORE_HOT_THRESHOLD", default_value_t = 70, global = true)]
    pub score_hot_threshold: u8,

    /// Labelled leads (WON plus LOST) before a model is trained; below it the rules score alone.
    #[arg(long, env = "MODEL_MIN_LABELLED", default_value_t = 200, global = true)]
    pub model_min_labelled: u64,

    /// A model also needs at least this many WON and this many LOST leads.
    #[arg(long, env = "MODEL_MIN_PER_OUTCOME", default_value_t = 40, global = true)]
    pub model_min_per_outcome: u64,

    /// Conversion probability from which a learned score is HOT.
    #[arg(long, env = "MODEL_HOT_PROBABILITY", default_value_t = 0.6, global = true)]
    pub model_hot_probability: f64,

    /// Conversion probability from which a learned score is WARM (below HOT).
    #[arg(long, env = "MODEL_WARM_PROBABILITY", default_value_t = 0.3, global = true)]
    pub model_warm_probability: f64,

    /// Outcomes a new model and the active one (or the rules) must both be
    /// measured on before the new one may replace it by itself...
    #[arg(long, env = "MODEL_MIN_EVALUATION_LEADS", default_value_t = 200, global = true)]
    pub model_min_evaluation_leads: u64,

    /// ...with at least this many of each outcome.
    #[arg(long, env = "MODEL_MIN_EVALUATION_PER_OUTCOME", default_value_t = 30, global = true)]
    pub model_min_evaluation_per_outcome: u64,

    /// The p-value (DeLong's paired test) under which a new model's better
    /// AUC counts as real and it is activated by itself.
    #[arg(long, env = "MODEL_ACTIVATION_P_VALUE", default_value_t = 0.05, global = true)]
    pub model_activation_p_value: f64,

    /// Hours between scheduled retrainings; 0 turns them off (outcomes growing by a tenth still retrain).
    #[arg(long, env = "MODEL_RETRAIN_INTERVAL_HOURS", default_value_t = 24, global = true)]
    pub model_retrain_interval_hours: u64,

    /// Scores from this value up (below HOT) are WARM; below it, COLD.
    #[arg(long, env = "SCORE_WARM_THRESHOLD", default_value_t = 40, global = true)]
    pub score_warm_threshold: u8,
}

impl Settings {
    /// Settings with every default, for tests and tools that build them in code.
    pub fn with_database(database_url: impl Into<DatabaseUrl>) -> Self {
        Self {
            database_url: Some(database_url.into()),
            secret_key: None,
            environment: Environment::Development,
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            allowed_origins: Vec::new(),
            request_timeout_secs: 30,
            max_body_bytes: 1024 * 1024,
            import_max_bytes: 200 * 1024 * 1024,
            import_quota_bytes: 1024 * 1024 * 1024,
            import_idle_timeout_secs: 30,
            import_upload_ttl_hours: 24,
            db_max_connections: None,
            sqlite_readers: 4,
            db_min_connections: 0,
            db_acquire_timeout_secs: 5,
            db_connect_retries: 6,
            allow_signup: true,
            signup_limit_per_hour: 10,
            allow_batch_requests: false,
            max_connections: 25_000,
            header_read_timeout_secs: 10,
            shutdown_grace_secs: 20,
            enable_graphiql: None,
            enable_introspection: None,
            graphql_field_spans: false,
            trust_forwarded_for: false,
            metrics_token: None,
            admin_bind: None,
            smtp_url: None,
            email_from: "leadscore <leadscore@localhost>".into(),
            public_url: None,
            digest_hour: 8,
            log_format: LogFormat::Pretty,
            score_sweep_interval_secs: 300,
            score_hot_threshold: 70,
            score_warm_threshold: 40,
            model_min_labelled: 200,
            model_min_per_outcome: 40,
            model_hot_probability: 0.6,
            model_warm_probability: 0.3,
            model_retrain_interval_hours: 24,
            model_min_evaluation_leads: 200,
            model_min_evaluation_per_outcome: 30,
            model_activation_p_value: 0.05,
        }
    }

    pub fn database_url(&self) -> &str {
        self.database_url
            .as_ref()
            .map_or(DEFAULT_DATABASE_URL, DatabaseUrl::expose)
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    pub fn is_postgres(&self) -> bool {
        let url = self.database_url();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    pub fn graphiql_enabled(&self) -> bool {
        self.enable_graphiql.unwrap_or(!self.is_production())
    }

    pub fn introspection_enabled(&self) -> bool {
        self.enable_introspection.unwrap_or(!self.is_production())
    }

    pub fn learned(&self) -> crate::learning::LearnedSettings {
        crate::learning::LearnedSettings {
            min_labelled: self.model_min_labelled,
            min_per_outcome: self.model_min_per_outcome,
            hot: self.model_hot_probability,
            warm: self.model_warm_probability,
            policy: crate::learning::compare::Policy {
                min_leads: self.model_min_evaluation_leads as usize,
                min_per_outcome: self.model_min_evaluation_per_outcome as usize,
                significance: self.model_activation_p_value,
            },
        }
    }

    pub fn thresholds(&self) -> crate::scoring::Thresholds {
        crate::scoring::Thresholds {
            hot: self.score_hot_threshold,
            warm: self.score_warm_threshold,
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    pub fn uploads(&self) -> UploadLimits {
        UploadLimits {
            max_bytes: self.import_max_bytes,
            quota_bytes: self.import_quota_bytes,
            idle: Duration::from_secs(self.import_idle_timeout_secs.max(1)),
            kept_for: chrono::Duration::hours(self.import_upload_ttl_hours.max(1) as i64),
        }
    }

    /// The SQLite file behind the URL, if the database is an embedded file.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.database_url().strip_prefix("sqlite:")?;
        let rest = rest.trim_start_matches("//");
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_print_the_secret_key_or_the_database_password() {
        let mut settings = Settings::with_database("postgres://app:hunter2-password@db:5432/leads");
        settings.secret_key = Some("a-signing-key-of-at-least-32-bytes!!".into());
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("signing-key"), "{printed}");
        assert!(
            printed.contains("postgres://app:[redacted]@db:5432/leads"),
            "{printed}"
        );
        assert!(
            printed.contains("secret_key: Some([redacted])"),
            "{printed}"
        );
        assert_eq!(
            settings.database_url(),
            "postgres://app:hunter2-password@db:5432/leads"
        );
    }
}
