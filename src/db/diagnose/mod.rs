//! Saying exactly why the database cannot be reached.
//!
//! The system leadscore replaces was down for hours because its DATABASE_URL
//! was unset, unresolvable or an unexpanded template, and its logs did not
//! say so. Here every failure is classified and reported in one paragraph
//! that names the variable, scheme, host and port (never the password), the
//! cause and the fix.
use std::{fmt, time::Duration};

use serde::Serialize;
use url::Url;

use crate::config::Settings;

pub mod classify;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    UnsupportedScheme,
    Placeholder,
    Unparsable,
    DnsFailure,
    ConnectionRefused,
    /// An open connection was cut (reset, aborted, closed mid-answer).
    ConnectionLost,
    AuthenticationFailed,
    DatabaseMissing,
    Tls,
    Timeout,
    CannotOpenFile,
    Other,
}

impl FailureClass {
    /// Failures that may go away on their own (the database is still starting,
    /// DNS is still propagating) and are worth retrying.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::DnsFailure | Self::ConnectionRefused | Self::ConnectionLost | Self::Timeout
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnsupportedScheme => "unsupported_scheme",
            Self::Placeholder => "placeholder",
            Self::Unparsable => "unparsable",
            Self::DnsFailure => "dns_failure",
            Self::ConnectionRefused => "connection_refused",
            Self::ConnectionLost => "connection_lost",
            Self::AuthenticationFailed => "authentication_failed",
            Self::DatabaseMissing => "database_missing",
            Self::Tls => "tls",
            Self::Timeout => "timeout",
            Self::CannotOpenFile => "cannot_open_file",
            Self::Other => "other",
        }
    }
}

/// A classified failure with its one-paragraph explanation (free of secrets).
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub class: FailureClass,
    pub message: String,
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the URL says, with the password replaced, for messages and logs.
#[derive(Debug, Clone)]
pub(super) struct Target {
    source: &'static str,
    redacted: String,
    pub(super) scheme: String,
    host: String,
    port: Option<u16>,
}

impl Target {
    fn describe(&self) -> String {
        let port = self
            .port
            .map(|p| p.to_string())
            .unwrap_or_else(|| "default".into());
        format!(
            "{} ({}) points at scheme '{}', host '{}', port {}",
            self.source, self.redacted, self.scheme, self.host, port
        )
    }
}

fn diagnosis(class: FailureClass, message: String) -> Diagnosis {
    Diagnosis { class, message }
}

fn redact(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("REDACTED"));
    }
    url.to_string()
}

/// Template syntaxes that deployment tools leave behind when a variable was
/// not expanded: `${{ Postgres.DATABASE_URL }}`, `${DATABASE_URL}`, `<password>`.
fn looks_like_placeholder(raw: &str) -> bool {
    let trimmed = raw.trim();
    trimmed.is_empty()
        || trimmed.contains("${")
        || trimmed.contains("{{")
        || trimmed.contains("}}")
        || trimmed.starts_with('$')
        || (trimmed.contains('<') && trimmed.contains('>'))
}

/// Checks the URL without touching the network.
pub(super) fn parse_target(settings: &Settings) -> Result<Target, Diagnosis> {
    let raw = settings.database_url();
    let source = if settings.database_url.is_some() {
        "DATABASE_URL"
    } else {
        "DATABASE_URL (unset: the embedded default)"
    };
    if looks_like_placeholder(raw) {
        let shown: String = raw.chars().take(60).collect();
        return Err(diagnosis(
            FailureClass::Placeholder,
            format!(
                "DATABASE_URL holds an unexpanded template or placeholder ('{shown}'), not a URL. \
                 The platform did not substitute the variable: link the database service to this \
                 one (or paste the real URL), so that DATABASE_URL reads like \
                 postgres://user:password@host:5432/dbname."
            ),
        ));
    }
    let url = Url::parse(raw).map_err(|err| {
        diagnosis(
            FailureClass::Unparsable,
            format!(
                "DATABASE_URL cannot be parsed as a URL ({err}). Expected \
                 postgres://user:password@host:5432/dbname or sqlite://path/to/file.db?mode=rwc; \
                 percent-encode special characters in the password (e.g. '@' as %40)."
            ),
        )
    })?;
    let scheme = url.scheme().to_string();
    let target = Target {
        source,
        redacted: redact(&url),
        host: url.host_str().unwrap_or_default().to_string(),
        port: url.port(),
        scheme: scheme.clone(),
    };
    match scheme.as_str() {
        "sqlite" => Ok(target),
        "postgres" | "postgresql" => {
            if target.host.is_empty() {
                return Err(diagnosis(
                    FailureClass::Unparsable,
                    format!(
                        "{} has no host. leadscore never guesses localhost: write the database \
                         host explicitly, e.g. postgres://user:password@db.internal:5432/leadscore.",
                        target.describe()
                    ),
                ));
            }
            Ok(target)
        }
        other => Err(diagnosis(
            FailureClass::UnsupportedScheme,
            format!(
                "{}, but scheme '{other}' is not supported. leadscore speaks PostgreSQL \
                 (postgres:// or postgresql://) and embedded SQLite (sqlite://); fix the scheme \
                 or point DATABASE_URL at a PostgreSQL database.",
                target.describe()
            ),
        )),
    }
}

/// Resolves the host and opens a TCP connection before the driver does, so
/// DNS failures, refused connections and timeouts are told apart exactly
/// (the pool would report all three as a timeout).
pub(super) async fn check_reachable(target: &Target) -> Result<(), Diagnosis> {
    let port = target.port.unwrap_or(5432);
    let host = target.host.trim_start_matches('[').trim_end_matches(']');
    let lookup = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((host, port)),
    )
    .await;
    let addrs: Vec<_> = match lookup {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(_)) => Vec::new(),
        Err(_) => return Err(timeout(&target.describe())),
    };
    if addrs.is_empty() {
        return Err(diagnosis(
            FailureClass::DnsFailure,
            format!(
                "{}, and host '{}' does not resolve (DNS). Check the host name for typos, and on a \
                 hosting platform use the database's private host name that the platform shows \
                 for the linked service.",
                target.describe(),
                target.host
            ),
        ));
    }
    let mut refused = false;
    for addr in addrs {
        match tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
            .await
        {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => refused = true,
            Ok(Err(_)) | Err(_) => {}
        }
    }
    Err(if refused {
        refused_diagnosis(&target.describe())
    } else {
        timeout(&target.describe())
    })
}

fn refused_diagnosis(what: &str) -> Diagnosis {
    diagnosis(
        FailureClass::ConnectionRefused,
        format!("{what}, and the connection was refused: nothing listens there. Start the database, or fix the host and port."),
    )
}

fn timeout(what: &str) -> Diagnosis {
    diagnosis(
        FailureClass::Timeout,
        format!(
            "{what}, and the connection timed out: a firewall may drop the packets, or the \
             server is overloaded. Check that this host can reach the database's port."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target_of(url: &str) -> Result<Target, Diagnosis> {
        parse_target(&Settings::with_database(url))
    }

    #[test]
    fn unexpanded_railway_template_is_a_placeholder() {
        let err = target_of("${{ Postgres.DATABASE_URL }}").unwrap_err();
        assert_eq!(err.class, FailureClass::Placeholder);
        assert!(err.message.contains("DATABASE_URL"));
    }

    #[test]
    fn password_never_appears_in_a_diagnosis() {
        let err = target_of("mysql://app:hunter2secret@db:3306/x").unwrap_err();
        assert_eq!(err.class, FailureClass::UnsupportedScheme);
        assert!(!err.message.contains("hunter2secret"), "{}", err.message);
        assert!(err.message.contains("REDACTED"));
    }

    #[test]
    fn postgres_url_without_host_is_refused_instead_of_guessing_localhost() {
        let err = target_of("postgres:///leadscore").unwrap_err();
        assert_eq!(err.class, FailureClass::Unparsable);
    }
}
