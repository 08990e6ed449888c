//! `POST /graphql` and `GET /graphql`, per the GraphQL-over-HTTP spec.
//!
//! A request is read ([`graphql_request`](super::graphql_request)), admitted
//! ([`admission`](crate::graphql::admission): limits, parsing, validation on
//! a gate thread), authenticated, then executed with the document parsed
//! once. Refusals before execution carry no `data` entry.
use std::net::SocketAddr;

use async_graphql::{
    parser::types::{ExecutableDocument, OperationType},
    Request as GqlRequest, ServerError,
};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    response::Response,
};

use super::{
    client_ip,
    graphql_request::{self, Incoming},
    principal,
    reply::{self, GRAPHQL_RESPONSE_JSON},
    AppState,
};
use crate::{
    error::AppError,
    graphql::{admission::Refusal, loaders, RequestMeta},
    ops::metrics::Operation,
};

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if parts.method == Method::GET
        && accept.contains("text/html")
        && state.settings.graphiql_enabled()
    {
        return super::graphiql::page(State(state)).await;
    }
    let graphql_json = accept.contains(GRAPHQL_RESPONSE_JSON);
    let incoming = match graphql_request::read(
        &parts.method,
        &parts.uri,
        &parts.headers,
        body,
        state.settings.max_body_bytes,
        state.settings.allow_batch_requests,
    )
    .await
    {
        Ok(incoming) => incoming,
        Err(err) => return reply::app_error(err, graphql_json),
    };
    let caller = Caller {
        authorization: parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        client_ip: client_ip(&state.settings, Some(peer), &parts.headers),
        method: parts.method,
    };
    match incoming {
        Incoming::Single(request) => {
            let (outcome, operation) = run(&state, &caller, *request).await;
            let mut response = render(outcome, graphql_json);
            response.extensions_mut().insert(operation);
            response
        }
        Incoming::Batch(requests) => {
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(run(&state, &caller, request).await.0.into_json());
            }
            reply::json_body(
                StatusCode::OK,
                Ok(serde_json::Value::Array(answers)),
                graphql_json,
            )
        }
    }
}

/// What every operation of one HTTP request shares.
struct Caller {
    authorization: Option<String>,
    client_ip: Option<std::net::IpAddr>,
    method: Method,
}

/// How one operation ended.
enum Outcome {
    Executed(async_graphql::Response),
    /// Its document did not parse or validate.
    Invalid(Vec<ServerError>),
    Refused(AppError),
    /// A mutation sent over GET.
    UnsafeMethod,
}

impl Outcome {
    /// One item of a batch's answer.
    fn into_json(self) -> serde_json::Value {
        let mut errors = match self {
            Outcome::Executed(mut response) => {
                reply::tidy(&mut response.errors);
                return serde_json::to_value(&response).unwrap_or_default();
            }
            Outcome::Invalid(errors) => errors,
            Outcome::Refused(err) => vec![reply::server_error(err)],
            Outcome::UnsafeMethod => vec![unsafe_method()],
        };
        reply::tidy(&mut errors);
        serde_json::json!({ "errors": errors })
    }
}

fn unsafe_method() -> ServerError {
    ServerError::new("mutations are only accepted over POST", None)
}

fn render(outcome: Outcome, graphql_json: bool) -> Response {
    match outcome {
        Outcome::Executed(response) => reply::executed(response, graphql_json),
        // A well-formed HTTP request whose document does not parse or
        // validate: 200 for plain JSON clients, 400 for the newer media type.
        Outcome::Invalid(errors) => {
            let status = if graphql_json {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            reply::refused(errors, status, graphql_json)
        }
        Outcome::Refused(err) => reply::app_error(err, graphql_json),
        Outcome::UnsafeMethod => {
            // GET must be safe: mutations only over POST (GraphQL over HTTP, 405).
            let mut response = reply::refused(
                vec![unsafe_method()],
                StatusCode::METHOD_NOT_ALLOWED,
                graphql_json,
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            response
        }
    }
}

/// What a refused request is told while the circuit breaker is open.
pub fn database_down(wait: std::time::Duration) -> AppError {
    AppError::DatabaseDown {
        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
    }
}

async fn run(state: &AppState, caller: &Caller, request: GqlRequest) -> (Outcome, Operation) {
    let doc = match state.gate.admit(&request).await {
        Ok(doc) => doc,
        Err(Refusal::Invalid(errors)) => return (Outcome::Invalid(errors), Operation::Query),
        Err(refusal) => return (Outcome::Refused(refusal_error(refusal)), Operation::Query),
    };
    let mutation = is_mutation(&doc, request.operation_name.as_deref());
    let operation = if mutation {
        Operation::Mutation
    } else {
        Operation::Query
    };
    if caller.method == Method::GET && mutation {
        return (Outcome::UnsafeMethod, operation);
    }
    let breaker = state.core.ops().breaker();
    if let Err(wait) = breaker.check() {
        return (Outcome::Refused(database_down(wait)), operation);
    }
    (
        execute(state, caller, request, doc, mutation).await,
        operation,
    )
}

async fn execute(
    state: &AppState,
    caller: &Caller,
    request: GqlRequest,
    doc: ExecutableDocument,
    mutation: bool,
) -> Outcome {
    let actor = match principal::from_header(&state.core, caller.authorization.as_deref()).await {
        Ok(actor) => actor,
        Err(err) => return Outcome::Refused(err),
    };
    // Queries change nothing, so their loaders may cache; a mutation request
    // could otherwise read a value cached before its own earlier change.
    let loaders = if mutation {
        loaders::uncached(&state.core, actor.clone())
    } else {
        loaders::for_request(&state.core, actor.clone())
    };
    let meta = RequestMeta {
        actor,
        client_ip: caller.client_ip,
    };
    let mut request = request.data(meta).data(loaders);
    request.set_parsed_query(doc);
    let execution = state.schema.execute(request);
    if mutation {
        // A write runs to its end: stopped between its commit and the
        // answer, a client would retry something that was done.
        return Outcome::Executed(execution.await);
    }
    // A read waiting on a database that just went away gives up at once.
    let breaker = state.core.ops().breaker();
    tokio::select! {
        response = execution => Outcome::Executed(response),
        () = breaker.opened() => Outcome::Refused(database_down(
            breaker.check().err().unwrap_or_default(),
        )),
    }
}

/// The error a refused document answers with (the websocket sends the same).
pub fn refusal_error(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::Limit { field, message } => AppError::BadUserInput {
            field: field.unwrap_or_else(|| "query".into()),
            message,
        },
        Refusal::Invalid(_) => AppError::bad_input("query", "the document is not valid"),
        Refusal::Busy => AppError::TooManyRequests {
            reason: "the server has too many requests waiting",
            retry_after_secs: 1,
        },
        Refusal::Timeout => AppError::Timeout {
            secs: crate::graphql::admission::GATE_DEADLINE.as_secs(),
        },
        Refusal::Internal(detail) => AppError::internal(detail),
    }
}

fn is_mutation(doc: &ExecutableDocument, name: Option<&str>) -> bool {
    let mut operations = doc.operations.iter();
    match name {
        Some(name) => operations.any(|(n, op)| {
            n.map(|n| n.as_str()) == Some(name) && op.node.ty == OperationType::Mutation
        }),
        None => operations
            .next()
            .is_some_and(|(_, op)| op.node.ty == OperationType::Mutation),
    }
}
