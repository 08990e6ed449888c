//! One error type for the whole service layer. Each variant is one
//! `extensions.code` a client can rely on; internal details are logged where
//! the error becomes a response and never sent to the client.
use sea_orm::{DbErr, RuntimeErr};
use uuid::Uuid;

/// Deliberately not `Display`: that lets `?` turn it into a GraphQL error
/// (with its code) instead of async-graphql's catch-all string conversion.
#[derive(Debug)]
pub enum AppError {
    /// No credentials, or credentials that are invalid, expired or revoked.
    Unauthenticated(String),
    /// Signed in, but the role does not allow this.
    Forbidden(String),
    /// The thing does not exist, or the caller may not know that it exists.
    NotFound(&'static str),
    /// Input that breaks a rule; `field` names the input field (camelCase path).
    BadUserInput { field: String, message: String },
    /// Several inputs of one request break rules (a batch): each names its
    /// field with the item's index, e.g. `events[3].occurredAt`.
    BadUserInputs(Vec<(String, String)>),
    /// The change collides with existing data (duplicate, concurrent change).
    Conflict {
        message: String,
        existing_id: Option<Uuid>,
    },
    /// Too many attempts; the client may retry after this many seconds.
    TooManyRequests { retry_after_secs: u64 },
    /// The database cannot be reached right now; retrying later may work.
    DatabaseUnavailable(DbErr),
    /// Anything else: a bug or an unexpected failure. Logged in full, shown as a code.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        Self::Internal(context.to_string())
    }

    /// What the client reads: never SQL, paths or internal details.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) => m.clone(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadUserInput { field, message } => format!("{field}: {message}"),
            Self::BadUserInputs(problems) => {
                let listed: Vec<String> = problems
                    .iter()
                    .take(5)
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect();
                format!(
                    "{} invalid input(s), nothing was recorded: {}",
                    problems.len(),
                    listed.join("; ")
                )
            }
            Self::Conflict { message, .. } => message.clone(),
            Self::TooManyRequests { retry_after_secs } => {
                format!("too many failed attempts; retry in {retry_after_secs} s")
            }
            Self::DatabaseUnavailable(_) => "the database is unavailable; try again shortly".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } | Self::BadUserInputs(_) => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            Self::DatabaseUnavailable(_) => "DATABASE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// Logs what the client will not see. Called once, where the error leaves the server.
    pub fn log(&self) {
        match self {
            Self::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            Self::DatabaseUnavailable(err) => tracing::error!(error = %err, "database unavailable"),
            _ => {}
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log();
        let mut gql = async_graphql::Error::new(err.message());
        let ext = gql.extensions.get_or_insert_with(Default::default);
        ext.set("code", err.code());
        match &err {
            AppError::BadUserInput { field, .. } => ext.set("field", field.as_str()),
            AppError::BadUserInputs(problems) => {
                if let Some((field, _)) = problems.first() {
                    ext.set("field", field.as_str());
                }
                let list: Vec<async_graphql::Value> = problems
                    .iter()
                    .map(|(field, message)| {
                        let mut item = async_graphql::indexmap::IndexMap::new();
                        item.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(field.as_str()),
                        );
                        item.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::from(message.as_str()),
                        );
                        async_graphql::Value::Object(item)
                    })
                    .collect();
                ext.set("errors", async_graphql::Value::List(list));
            }
            AppError::Conflict {
                existing_id: Some(id),
                ..
            } => ext.set("existingId", id.to_string()),
            AppError::TooManyRequests { retry_after_secs } => {
                ext.set("retryAfter", *retry_after_secs)
            }
            _ => {}
        }
        gql
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_connection_failure(&err) {
            Self::DatabaseUnavailable(err)
        } else if is_concurrency_failure(&err) {
            tracing::warn!(error = %err, "transaction lost to a concurrent one");
            Self::Conflict {
                message: "a concurrent change got in the way: retry the request".into(),
                existing_id: None,
            }
        } else {
            Self::Internal(format!("database: {err}"))
        }
    }
}

/// True when the error says the database could not be reached, as opposed to
/// a statement that failed on a working connection.
pub fn is_connection_failure(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            **e,
            sea_orm::sqlx::Error::Io(_)
                | sea_orm::sqlx::Error::PoolTimedOut
                | sea_orm::sqlx::Error::PoolClosed
                | sea_orm::sqlx::Error::WorkerCrashed
        ),
        _ => false,
    }
}

/// True for PostgreSQL's deadlock and serialization failures (SQLSTATE 40P01
/// and 40001): nothing is wrong with the request, and a retry succeeds.
pub fn is_concurrency_failure(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                sea_orm::sqlx::Error::Database(db) => {
                    matches!(db.code().as_deref(), Some("40P01" | "40001"))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// True when the error is a unique-constraint violation on either backend.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
