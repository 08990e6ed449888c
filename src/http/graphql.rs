//! `POST /graphql` and `GET /graphql`, per the GraphQL-over-HTTP spec.
use std::net::SocketAddr;

use async_graphql::{
    http::GraphiQLSource, parser::types::OperationType, Response as GqlResponse, ServerError,
};
use async_graphql_axum::GraphQLRequest;
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{Html, IntoResponse, Response},
};

use super::{client_ip, AppState};
use crate::{
    auth::Actor,
    error::AppError,
    graphql::{Loaders, RequestMeta},
    service::{accounts, api_keys, api_keys::ApiKeyGrant},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

pub async fn graphiql(State(state): State<AppState>) -> Response {
    if !state.settings.graphiql_enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("leadscore GraphiQL")
            .finish(),
    )
    .into_response()
}

/// Who sent a request: a signed-in person or an integration's API key.
pub enum Principal {
    User(Actor),
    ApiKey(ApiKeyGrant),
}

/// The principal behind an `Authorization` header. No header is an
/// anonymous request; a header that does not verify is an error, never
/// anonymous.
pub async fn principal_from_header(
    state: &AppState,
    value: Option<&str>,
) -> Result<Option<Principal>, AppError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let (scheme, credential) = value.split_once(' ').unwrap_or((value, ""));
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        accounts::authenticate(&state.api.db, &state.api.auth.keys, credential)
            .await
            .map(|actor| Some(Principal::User(actor)))
    } else if scheme.eq_ignore_ascii_case("apikey") {
        api_keys::authenticate(&state.api.db, credential)
            .await
            .map(|grant| Some(Principal::ApiKey(grant)))
    } else {
        Err(AppError::Unauthenticated(
            "unsupported Authorization scheme: send Authorization: Bearer <accessToken> or ApiKey <secret>".into(),
        ))
    }
}

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if method == Method::GET && accept.contains("text/html") && state.settings.graphiql_enabled() {
        return graphiql(State(state)).await;
    }
    let wants_graphql_json = accept.contains(GRAPHQL_RESPONSE_JSON);
    let mut request = request.into_inner();
    if method == Method::GET && is_mutation(&mut request) {
        // GET must be safe: mutations only over POST (GraphQL over HTTP, 405).
        let error = ServerError::new("mutations are only accepted over POST", None);
        let mut response = render(
            GqlResponse::from_errors(vec![error]),
            wants_graphql_json,
            StatusCode::METHOD_NOT_ALLOWED,
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match principal_from_header(&state, authorization).await {
        Ok(principal) => principal,
        Err(err) => {
            let status = match err {
                AppError::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            let error: async_graphql::Error = err.into();
            let mut response = render(
                GqlResponse::from_errors(vec![error.into_server_error(Default::default())]),
                wants_graphql_json,
                status,
            );
            if status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            return response;
        }
    };
    let (actor, api_key) = match principal {
        Some(Principal::User(actor)) => (Some(actor), None),
        Some(Principal::ApiKey(grant)) => (None, Some(grant)),
        None => (None, None),
    };
    // Queries change nothing, so their loaders may cache; a mutation request
    // could otherwise read a value cached before its own earlier change.
    let loaders = if is_mutation(&mut request) {
        Loaders::uncached(&state.api.db, actor.clone())
    } else {
        Loaders::new(&state.api.db, actor.clone())
    };
    let meta = RequestMeta {
        actor,
        api_key,
        client_ip: client_ip(&state.settings, Some(peer), &headers),
    };
    let response = state.schema.execute(request.data(meta).data(loaders)).await;
    // A request that failed before execution (syntax, validation) has no data.
    let status = if wants_graphql_json
        && response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(response, wants_graphql_json, status)
}

fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let name = request.operation_name.clone();
    let Ok(doc) = request.parsed_query() else {
        return false;
    };
    let mut operations = doc.operations.iter();
    match name {
        Some(name) => operations.any(|(n, op)| {
            n.map(|n| n.as_str()) == Some(name.as_str()) && op.node.ty == OperationType::Mutation
        }),
        None => operations
            .next()
            .is_some_and(|(_, op)| op.node.ty == OperationType::Mutation),
    }
}

/// Every error leaves with an `extensions.code`. Errors async-graphql raises
/// itself (syntax, validation, argument coercion, limits) carry none: they
/// are the client's to fix, so BAD_USER_INPUT.
pub fn with_codes(mut response: GqlResponse) -> GqlResponse {
    for error in &mut response.errors {
        let ext = error.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
    response
}

fn render(response: GqlResponse, graphql_json: bool, status: StatusCode) -> Response {
    let body = match serde_json::to_vec(&with_codes(response)) {
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
