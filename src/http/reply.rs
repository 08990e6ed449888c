//! GraphQL-shaped HTTP answers. Every error leaves with an `extensions.code`,
//! and no answer grows with what a client sent: at most [`MAX_ERRORS`]
//! errors of at most [`MAX_MESSAGE_CHARS`] characters each (a 950 KB
//! document of unknown fields once produced a 6.3 MB reply).
use async_graphql::{Response as GqlResponse, ServerError};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::error::AppError;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const MAX_ERRORS: usize = 20;
pub const MAX_MESSAGE_CHARS: usize = 300;

/// Codes, and the bounds above. Errors async-graphql raises itself (syntax,
/// validation, argument coercion) carry no code: they are the client's to
/// fix, so BAD_USER_INPUT.
pub fn tidy(errors: &mut Vec<ServerError>) {
    if errors.len() > MAX_ERRORS {
        let left_out = errors.len() - (MAX_ERRORS - 1);
        errors.truncate(MAX_ERRORS - 1);
        errors.push(ServerError::new(
            format!("{left_out} more errors were left out"),
            None,
        ));
    }
    for error in errors.iter_mut() {
        if error.message.chars().count() > MAX_MESSAGE_CHARS {
            let cut: String = error.message.chars().take(MAX_MESSAGE_CHARS).collect();
            error.message = format!("{cut}…");
        }
        let ext = error.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
}

/// The codes of the errors a response carries (a response extension the
/// metrics layer reads).
#[derive(Clone, Debug, Default)]
pub struct ErrorCodes(pub Vec<String>);

impl ErrorCodes {
    pub fn of(errors: &[ServerError]) -> Self {
        Self(
            errors
                .iter()
                .filter_map(|e| e.extensions.as_ref()?.get("code"))
                .filter_map(|code| match code {
                    async_graphql::Value::String(code) => Some(code.clone()),
                    async_graphql::Value::Enum(code) => Some(code.to_string()),
                    _ => None,
                })
                .collect(),
        )
    }
}

/// An operation that ran (its `data` may hold nulls where fields failed).
pub fn executed(mut response: GqlResponse, graphql_json: bool) -> Response {
    tidy(&mut response.errors);
    let codes = ErrorCodes::of(&response.errors);
    let mut reply = json_body(
        StatusCode::OK,
        serde_json::to_value(&response),
        graphql_json,
    );
    reply.extensions_mut().insert(codes);
    reply
}

/// A request that never reached execution: errors and no `data` entry.
pub fn refused(mut errors: Vec<ServerError>, status: StatusCode, graphql_json: bool) -> Response {
    tidy(&mut errors);
    let codes = ErrorCodes::of(&errors);
    let mut reply = json_body(status, Ok(json!({ "errors": errors })), graphql_json);
    reply.extensions_mut().insert(codes);
    reply
}

/// One application error, answered with its own HTTP status.
pub fn app_error(err: AppError, graphql_json: bool) -> Response {
    let status = err.http_status();
    let retry_after = err.retry_after_secs();
    let mut response = refused(vec![server_error(err)], status, graphql_json);
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

/// An error outside any document has no location (`line: 0` is not one).
pub fn server_error(err: AppError) -> ServerError {
    let mut error = async_graphql::Error::from(err).into_server_error(Default::default());
    error.locations.clear();
    error
}

pub fn json_body(
    status: StatusCode,
    body: Result<serde_json::Value, serde_json::Error>,
    graphql_json: bool,
) -> Response {
    let body = match body.and_then(|value| serde_json::to_vec(&value)) {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "could not serialise a GraphQL response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let content_type = if graphql_json {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_capped_in_number_and_length_and_all_carry_a_code() {
        let mut errors: Vec<ServerError> = (0..500)
            .map(|i| ServerError::new(format!("unknown field {}", "x".repeat(10_000 + i)), None))
            .collect();
        tidy(&mut errors);
        assert_eq!(errors.len(), MAX_ERRORS);
        assert!(errors[MAX_ERRORS - 1].message.contains("481 more"));
        for error in &errors {
            assert!(error.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
            assert!(error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .is_some());
        }
    }
}
