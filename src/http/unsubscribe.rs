//! The unsubscribe link of every message: `GET` shows what it will turn
//! off and asks to confirm (mail scanners open links, and must not
//! unsubscribe anyone), `POST` turns it off; also what mail clients post
//! for one-click unsubscribe (RFC 8058). No sign-in: the token is signed.
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use serde::Deserialize;

use super::AppState;
use crate::{service::email::preferences, smtp::escape_html as escape};

#[derive(Deserialize)]
pub struct Token {
    token: Option<String>,
}

fn page(status: StatusCode, body: String) -> Response {
    (
        status,
        Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>leadscore email</title>\
             <link rel=\"icon\" href=\"data:,\"></head><body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto\">{body}</body></html>"
        )),
    )
        .into_response()
}

fn invalid() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "<h1>This link does not work</h1><p>It is not valid or has expired. Choose what you \
         receive by email in your notification preferences.</p>"
            .into(),
    )
}

pub async fn confirm(State(state): State<AppState>, Query(query): Query<Token>) -> Response {
    let Some(token) = query.token else {
        return invalid();
    };
    let Some((_, kind)) = state.core.auth().keys.verify_unsubscribe(&token) else {
        return invalid();
    };
    let words = preferences::describe(&kind);
    page(
        StatusCode::OK,
        format!(
            "<h1>Stop emails about {}?</h1><form method=\"post\" action=\"/email/unsubscribe\">\
             <input type=\"hidden\" name=\"token\" value=\"{}\"><button type=\"submit\">Stop these emails</button></form>\
             <p>The bell in the app still shows them.</p>",
            escape(&words),
            escape(&token)
        ),
    )
}

/// The token comes in the form (the confirm page) or the URL (one-click
/// unsubscribe posts to the `List-Unsubscribe` link itself).
pub async fn apply(State(state): State<AppState>, query: Query<Token>, body: Bytes) -> Response {
    let token = url::form_urlencoded::parse(&body)
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.into_owned())
        .or(query.0.token);
    let Some(token) = token else {
        return invalid();
    };
    match preferences::unsubscribe(&state.core, &token).await {
        Ok((email, words)) => page(
            StatusCode::OK,
            format!(
                "<h1>Done</h1><p>{} will get no more emails about {}. You can turn them on \
                 again in your notification preferences.</p>",
                escape(&email),
                escape(&words)
            ),
        ),
        Err(crate::error::AppError::BadUserInput { .. } | crate::error::AppError::NotFound(_)) => {
            invalid()
        }
        Err(err) => {
            err.log();
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "<h1>Please try again</h1><p>Your choice could not be saved just now.</p>".into(),
            )
        }
    }
}
