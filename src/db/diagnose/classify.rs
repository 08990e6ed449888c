//! Telling one database error from another: what failed, in words that
//! name the target (never its password), the cause and the fix.
use sea_orm::{DbErr, RuntimeErr};

use super::{diagnosis, parse_target, refused_diagnosis, timeout, Diagnosis, FailureClass, Target};
use crate::config::Settings;

pub(in crate::db) fn classify(target: &Target, err: &DbErr) -> Diagnosis {
    use sea_orm::sqlx::Error as Sqlx;
    let what = target.describe();
    let sqlx = match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.clone()),
        _ => None,
    };
    let Some(sqlx) = sqlx else {
        return diagnosis(
            FailureClass::Other,
            format!("{what}, and connecting failed: {err}."),
        );
    };
    match &*sqlx {
        Sqlx::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            refused_diagnosis(&what)
        }
        Sqlx::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => timeout(&what),
        Sqlx::Io(io) if is_lost(io.kind()) => lost(&what, &io.to_string()),
        // rustls reports a failed handshake as an I/O error carrying its own error.
        Sqlx::Io(io) if looks_like_tls(&io.to_string()) => tls(&what, &io.to_string()),
        Sqlx::PoolTimedOut => timeout(&what),
        Sqlx::Tls(e) => tls(&what, &e.to_string()),
        Sqlx::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            let message = db.message().to_string();
            match code.as_str() {
                "28P01" => diagnosis(
                    FailureClass::AuthenticationFailed,
                    format!(
                        "{what}, and the server rejected the user name or password \
                         (authentication failed). Fix the credentials in DATABASE_URL."
                    ),
                ),
                "3D000" => diagnosis(
                    FailureClass::DatabaseMissing,
                    format!(
                        "{what}, and the database named in its path does not exist on that server. \
                         Create it (createdb) or fix the name after the last '/'."
                    ),
                ),
                "28000" if message.contains("SSL") || message.contains("encryption") => diagnosis(
                    FailureClass::Tls,
                    format!(
                        "{what}, and the server refused the connection over its TLS rules. \
                         Add ?sslmode=require to DATABASE_URL."
                    ),
                ),
                "28000" => diagnosis(
                    FailureClass::AuthenticationFailed,
                    format!(
                        "{what}, and the server does not allow this user from this address \
                         (no matching pg_hba.conf entry). Fix the user or the server's access rules."
                    ),
                ),
                _ => diagnosis(
                    FailureClass::Other,
                    format!("{what}, and the server refused the connection (SQLSTATE {code})."),
                ),
            }
        }
        Sqlx::Io(_) | Sqlx::Configuration(_) if target.scheme == "sqlite" => cannot_open(&what),
        Sqlx::Configuration(e) => diagnosis(
            FailureClass::Unparsable,
            format!("{what}, and its options are invalid ({e})."),
        ),
        other if target.scheme == "sqlite" && other.to_string().contains("unable to open") => {
            cannot_open(&what)
        }
        other => diagnosis(
            FailureClass::Other,
            format!("{what}, and connecting failed: {other}."),
        ),
    }
}

/// A connection that was open and then cut, by the server (restarting,
/// or ending idle sessions) or by something between.
fn is_lost(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    matches!(
        kind,
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
    )
}

fn lost(what: &str, cause: &str) -> Diagnosis {
    diagnosis(
        FailureClass::ConnectionLost,
        format!(
            "{what}, and the connection was cut while open ({cause}): the server restarted or              ended the session, or a proxy, load balancer or firewall between dropped it.              Retried on its own; if it keeps happening, check the server's log and any idle              timeout on the way."
        ),
    )
}

fn looks_like_tls(message: &str) -> bool {
    let message = message.to_lowercase();
    ["certificate", "tls", "ssl", "handshake"]
        .iter()
        .any(|word| message.contains(word))
}

fn tls(what: &str, cause: &str) -> Diagnosis {
    diagnosis(
        FailureClass::Tls,
        format!(
            "{what}, and the TLS negotiation failed ({cause}). If the server requires TLS add \
             ?sslmode=require; if its certificate is not publicly trusted use sslmode=require \
             rather than verify-full, or install its CA; if it offers no TLS use ?sslmode=disable."
        ),
    )
}

fn cannot_open(what: &str) -> Diagnosis {
    diagnosis(
        FailureClass::CannotOpenFile,
        format!(
            "{what}, and the SQLite file cannot be opened. Check that its directory exists and is \
             writable, and that the URL ends in ?mode=rwc so the file is created."
        ),
    )
}

/// Diagnoses a failure seen after start-up, for `/health.json`.
pub fn diagnose_runtime(settings: &Settings, err: &DbErr) -> Diagnosis {
    match parse_target(settings) {
        Ok(target) => classify(&target, err),
        Err(diag) => diag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_cut_while_open_is_lost_not_other_and_is_retried() {
        let target = parse_target(&Settings::with_database(
            "postgres://app:secret@db.internal:5432/leadscore",
        ))
        .unwrap();
        for kind in [
            std::io::ErrorKind::ConnectionReset,
            std::io::ErrorKind::UnexpectedEof,
        ] {
            let io = std::io::Error::new(kind, "connection reset by peer");
            let err = DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(
                sea_orm::sqlx::Error::Io(io),
            )));
            let diagnosis = classify(&target, &err);
            assert_eq!(diagnosis.class, FailureClass::ConnectionLost, "{kind:?}");
            assert!(diagnosis.class.is_transient());
            assert!(diagnosis.message.contains("db.internal"));
            assert!(
                !diagnosis.message.contains("secret"),
                "{}",
                diagnosis.message
            );
        }
    }
}
