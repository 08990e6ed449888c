//! Reading a GraphQL-over-HTTP request: the query string of a GET, or the
//! JSON body of a POST, with every refusal a GraphQL error with a code.
//!
//! Only `application/json` and `application/graphql-response+json` bodies
//! are read: the CORS "simple" types (`text/plain`, form encodings) would
//! let any web page send a mutation without a preflight. Bodies are read up
//! to the configured size, declared or chunked alike (413 past it).
use async_graphql::{Request, Variables};
use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, Method, Uri},
};

use crate::error::AppError;

/// Operations one batched POST may carry (when batching is on).
pub const MAX_BATCH: usize = 10;

pub enum Incoming {
    Single(Box<Request>),
    Batch(Vec<Request>),
}

pub async fn read(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    max_body_bytes: usize,
    allow_batch: bool,
) -> Result<Incoming, AppError> {
    if method == Method::GET {
        return from_query_string(uri.query().unwrap_or_default())
            .map(|request| Incoming::Single(Box::new(request)));
    }
    check_content_type(headers)?;
    let bytes = read_body(headers, body, max_body_bytes).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| AppError::bad_input("body", "the request body is not UTF-8"))?;
    if text.trim_start().starts_with('[') {
        if !allow_batch {
            return Err(AppError::bad_input(
                "body",
                "batched requests (a JSON array) are turned off here (ALLOW_BATCH_REQUESTS)",
            ));
        }
        let batch: Vec<Request> = serde_json::from_str(text).map_err(not_a_request)?;
        if batch.is_empty() || batch.len() > MAX_BATCH {
            return Err(AppError::bad_input(
                "body",
                format!("a batch holds 1 to {MAX_BATCH} operations"),
            ));
        }
        return Ok(Incoming::Batch(batch));
    }
    let request: Request = serde_json::from_str(text).map_err(not_a_request)?;
    if request.query.trim().is_empty() {
        return Err(AppError::bad_input("query", "the request has no query"));
    }
    Ok(Incoming::Single(Box::new(request)))
}

fn not_a_request(err: serde_json::Error) -> AppError {
    AppError::bad_input(
        "body",
        format!("the body is not a GraphQL request ({err}); send {{\"query\": \"...\", \"variables\": {{...}}}}"),
    )
}

fn check_content_type(headers: &HeaderMap) -> Result<(), AppError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some("application/json" | "application/graphql-response+json") => Ok(()),
        Some(other) => Err(AppError::UnsupportedMediaType(format!(
            "Content-Type {other} is not accepted: send application/json"
        ))),
        None => Err(AppError::UnsupportedMediaType(
            "the request has no Content-Type: send application/json".into(),
        )),
    }
}

async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(AppError::PayloadTooLarge { max_bytes: limit });
    }
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = cause {
            if e.is::<http_body_util::LengthLimitError>() {
                return AppError::PayloadTooLarge { max_bytes: limit };
            }
            cause = e.source();
        }
        AppError::bad_input("body", "the request body could not be read")
    })
}

fn from_query_string(query: &str) -> Result<Request, AppError> {
    let mut document = None;
    let mut operation_name = None;
    let mut variables = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "query" => document = Some(value.into_owned()),
            "operationName" if !value.is_empty() => operation_name = Some(value.into_owned()),
            "variables" if !value.is_empty() => {
                let json: serde_json::Value = serde_json::from_str(&value).map_err(|_| {
                    AppError::bad_input("variables", "variables must be a JSON object")
                })?;
                if !json.is_object() {
                    return Err(AppError::bad_input(
                        "variables",
                        "variables must be a JSON object",
                    ));
                }
                variables = Some(Variables::from_json(json));
            }
            _ => {}
        }
    }
    let document = document
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| AppError::bad_input("query", "the request has no query"))?;
    let mut request = Request::new(document);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = variables {
        request = request.variables(variables);
    }
    Ok(request)
}
