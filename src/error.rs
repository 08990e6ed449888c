//! One error type for the whole application. Each variant is one
//! `extensions.code` a client can rely on (the only place codes are
//! minted); internal details are logged, with their source chain, where the
//! error becomes a response, and never sent to the client.
use std::sync::Arc;

use sea_orm::DbErr;
use uuid::Uuid;

/// Deliberately not `Display`: that lets `?` turn it into a GraphQL error
/// (with its code) instead of async-graphql's catch-all string conversion.
/// `Clone`, so one failed read shared by several streams reaches each.
#[derive(Debug, Clone)]
pub enum AppError {
    /// No credentials, or credentials that are invalid, expired or revoked.
    Unauthenticated(String),
    /// Signed in, but the role (or the API key's scopes) does not allow this.
    Forbidden(String),
    /// The thing does not exist, or the caller may not know that it exists.
    NotFound(&'static str),
    /// Input that breaks a rule. Services name `field` by their own
    /// parameters (`budget_min`, `[3].occurred_at` for an item of a batch);
    /// the GraphQL layer turns that into the client's path
    /// (`input.budgetMin`, `events[3].occurredAt`).
    BadUserInput { field: String, message: String },
    /// Several inputs of one request break rules (a batch).
    BadUserInputs(Vec<(String, String)>),
    /// The change collides with existing data (a duplicate, a concurrent change).
    Conflict {
        field: Option<String>,
        message: String,
        existing_id: Option<Uuid>,
    },
    /// Too many attempts, or too much at once; the client may retry after
    /// this many seconds. `reason` says which limit, in words.
    TooManyRequests {
        reason: &'static str,
        retry_after_secs: u64,
    },
    /// A POST body of a media type the endpoint does not read.
    UnsupportedMediaType(String),
    /// The request body is over the configured size.
    PayloadTooLarge { max_bytes: usize },
    /// The request ran past its deadline and was stopped.
    Timeout { secs: u64 },
    /// The client stopped sending its body (an upload) for this long.
    Stalled { secs: u64 },
    /// A subscription fell too far behind and was closed; the client
    /// resubscribes (with `after`, for notifications).
    SlowConsumer,
    /// A websocket connection asked for more subscriptions than it may hold.
    TooManySubscriptions { max: usize },
    /// The database cannot be reached (or, on SQLite, another process held
    /// the write lock too long); retrying later may work.
    DatabaseUnavailable(Arc<DbErr>),
    /// The database stopped answering and the circuit breaker is open: the
    /// request was refused at once instead of waiting for a connection.
    DatabaseDown { retry_after_secs: u64 },
    /// Anything else: a bug or an unexpected failure. Logged in full, shown as a code.
    Internal {
        context: String,
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
}

pub type AppResult<T> = Result<T, AppError>;

/// What DATABASE_UNAVAILABLE tells a client to wait before retrying.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 2;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        Self::Internal {
            context: context.to_string(),
            source: None,
        }
    }

    /// Names the fields of this error as parts of the argument `argument`:
    /// `email` becomes `input.email`, `[3].occurred_at` becomes
    /// `events[3].occurred_at`, and an unnamed one becomes `argument`.
    pub fn within(self, argument: &str) -> Self {
        self.map_fields(|field| match field.as_str() {
            "" => argument.to_string(),
            f if f.starts_with('[') => format!("{argument}{f}"),
            f => format!("{argument}.{f}"),
        })
    }

    /// Replaces the leading `from` of field names with `to`.
    pub fn renamed(self, from: &str, to: &str) -> Self {
        self.map_fields(|field| match field.strip_prefix(from) {
            Some(rest) => format!("{to}{rest}"),
            None => field,
        })
    }

    fn map_fields(self, rename: impl Fn(String) -> String) -> Self {
        match self {
            Self::BadUserInput { field, message } => Self::BadUserInput {
                field: rename(field),
                message,
            },
            Self::BadUserInputs(problems) => Self::BadUserInputs(
                problems
                    .into_iter()
                    .map(|(field, message)| (rename(field), message))
                    .collect(),
            ),
            Self::Conflict {
                field,
                message,
                existing_id,
            } => Self::Conflict {
                field: field.map(rename),
                message,
                existing_id,
            },
            other => other,
        }
    }

    /// What the client reads: never SQL, paths or internal details.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) | Self::UnsupportedMediaType(m) => {
                m.clone()
            }
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadUserInput { field, message } => {
                format!("{}: {message}", client_path(field))
            }
            Self::BadUserInputs(problems) => {
                let listed: Vec<String> = problems
                    .iter()
                    .take(5)
                    .map(|(f, m)| format!("{}: {m}", client_path(f)))
                    .collect();
                format!(
                    "{} invalid input(s), nothing was recorded: {}",
                    problems.len(),
                    listed.join("; ")
                )
            }
            Self::Conflict { field, message, .. } => match field {
                Some(field) => format!("{}: {message}", client_path(field)),
                None => message.clone(),
            },
            Self::TooManyRequests {
                reason,
                retry_after_secs,
            } => format!("{reason}; retry in {retry_after_secs} s"),
            Self::PayloadTooLarge { max_bytes } => {
                format!("the request body is over {max_bytes} bytes")
            }
            Self::Timeout { secs } => {
                format!("the request took longer than {secs} s and was stopped")
            }
            Self::Stalled { secs } => {
                format!("the upload sent nothing for {secs} s and was stopped: send the file again")
            }
            Self::SlowConsumer => "this subscription fell too far behind and was closed: \
                 subscribe again (for notificationAdded, with `after` set to the last \
                 notification's cursor)"
                .into(),
            Self::TooManySubscriptions { max } => {
                format!("at most {max} subscriptions per connection: complete one first")
            }
            Self::DatabaseUnavailable(_) => "the database is unavailable; try again shortly".into(),
            Self::DatabaseDown { retry_after_secs } => {
                format!("the database is unreachable; retry in {retry_after_secs} s")
            }
            Self::Internal { .. } => "internal error".into(),
        }
    }

    /// Seconds a client should wait before retrying, when the error says.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests {
                retry_after_secs, ..
            }
            | Self::DatabaseDown { retry_after_secs } => Some(*retry_after_secs),
            Self::DatabaseUnavailable(_) => Some(DATABASE_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } | Self::BadUserInputs(_) | Self::UnsupportedMediaType(_) => {
                "BAD_USER_INPUT"
            }
            Self::Conflict { .. } => "CONFLICT",
            Self::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::Timeout { .. } | Self::Stalled { .. } => "TIMEOUT",
            Self::SlowConsumer => "SLOW_CONSUMER",
            Self::TooManySubscriptions { .. } => "TOO_MANY_SUBSCRIPTIONS",
            Self::DatabaseUnavailable(_) | Self::DatabaseDown { .. } => "DATABASE_UNAVAILABLE",
            Self::Internal { .. } => "INTERNAL",
        }
    }

    /// The HTTP status for an error answered before (or instead of) execution.
    pub fn http_status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadUserInput { .. } | Self::BadUserInputs(_) => StatusCode::BAD_REQUEST,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } | Self::TooManySubscriptions { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::Stalled { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::DatabaseUnavailable(_) | Self::DatabaseDown { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::SlowConsumer | Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs what the client will not see, with the whole source chain.
    pub fn log(&self) {
        match self {
            Self::Internal { context, source } => {
                let mut chain = String::new();
                let mut cause: Option<&(dyn std::error::Error + 'static)> = source
                    .as_deref()
                    .map(|e| e as &(dyn std::error::Error + 'static));
                while let Some(e) = cause {
                    chain.push_str(": ");
                    chain.push_str(&e.to_string());
                    cause = e.source();
                }
                tracing::error!(error = %format!("{context}{chain}"), "internal error");
            }
            // Part of an outage (logged once by the circuit breaker) or a
            // write lock held too long on SQLite: worth a warning, not an
            // error per request.
            Self::DatabaseUnavailable(err) => tracing::warn!(error = %err, "database unavailable"),
            _ => {}
        }
    }

    /// The GraphQL error a client receives, with its extensions.
    pub fn to_graphql(&self) -> async_graphql::Error {
        let mut gql = async_graphql::Error::new(self.message());
        let ext = gql.extensions.get_or_insert_with(Default::default);
        ext.set("code", self.code());
        match self {
            Self::BadUserInput { field, .. } => {
                ext.set("field", client_path(field));
                // An item of a list argument (`leadIds[17]`): its position too.
                if let Some(index) = trailing_index(field) {
                    ext.set("index", index);
                }
            }
            Self::UnsupportedMediaType(_) => ext.set("field", "Content-Type"),
            Self::BadUserInputs(problems) => {
                if let Some((field, _)) = problems.first() {
                    ext.set("field", client_path(field));
                }
                let list: Vec<async_graphql::Value> = problems
                    .iter()
                    .map(|(field, message)| {
                        let mut item = async_graphql::indexmap::IndexMap::new();
                        item.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(client_path(field)),
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
            Self::Conflict {
                field, existing_id, ..
            } => {
                if let Some(field) = field {
                    ext.set("field", client_path(field));
                }
                if let Some(id) = existing_id {
                    ext.set("existingId", id.to_string());
                }
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => ext.set("retryAfter", *retry_after_secs),
            Self::DatabaseUnavailable(_) => ext.set("retryAfter", DATABASE_RETRY_AFTER_SECS),
            Self::DatabaseDown { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
            _ => {}
        }
        gql
    }
}

/// `input.budget_min` → `input.budgetMin`, `events[3].occurred_at` →
/// `events[3].occurredAt`: services name fields as Rust does, clients as
/// GraphQL does (keys inside JSON values keep their spelling: they have no
/// underscores to lose).
/// `17` of `lead_ids[17]`.
fn trailing_index(field: &str) -> Option<u64> {
    let (_, rest) = field.strip_suffix(']')?.rsplit_once('[')?;
    rest.parse().ok()
}

pub fn client_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        match c {
            '_' if !out.is_empty() && !out.ends_with(['.', '[']) => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log();
        err.to_graphql()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_field_names_become_client_paths() {
        assert_eq!(client_path("budget_min"), "budgetMin");
        assert_eq!(client_path("input.first_name"), "input.firstName");
        assert_eq!(client_path("events[3].occurred_at"), "events[3].occurredAt");
        assert_eq!(
            client_path("metadata.inventoryItemId"),
            "metadata.inventoryItemId"
        );
        let nested = AppError::bad_input("[2].lead_id", "no such lead").within("events");
        assert_eq!(
            nested.to_graphql().message,
            "events[2].leadId: no such lead"
        );
        let whole = AppError::bad_input("", "send 1 to 1000 events").within("events");
        assert!(matches!(whole, AppError::BadUserInput { field, .. } if field == "events"));
    }
}
