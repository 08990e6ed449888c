//! `/graphql/ws`: `graphql-transport-ws` and legacy `graphql-ws`, signed in
//! by `{"authorization": "Bearer <token>"}` in the `connection_init` payload.
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    response::Response,
};

use super::{
    graphql::{principal_from_header, Principal},
    AppState,
};
use crate::{
    error::AppError,
    graphql::{Loaders, RequestMeta},
};

pub async fn upgrade(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str());
                    let actor = match principal_from_header(&state, authorization).await {
                        Ok(Some(Principal::User(actor))) => Some(actor),
                        Ok(None) => None,
                        Ok(Some(Principal::ApiKey(_))) => {
                            return Err(AppError::Forbidden(
                                "API keys write over HTTP; subscriptions need a signed-in user"
                                    .into(),
                            )
                            .into())
                        }
                        Err(err) => return Err(err.into()),
                    };
                    let mut data = Data::default();
                    data.insert(Loaders::uncached(&state.api.db, actor.clone()));
                    data.insert(RequestMeta {
                        actor,
                        api_key: None,
                        client_ip: None,
                    });
                    Ok(data)
                })
                .serve()
        })
}
