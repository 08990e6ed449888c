//! Logging to stderr, so `leadscore schema` can print clean SDL to stdout.
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// sqlx logs every statement at INFO; keep it at WARN unless RUST_LOG says otherwise.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,tower_http=info";

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests, tools) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
