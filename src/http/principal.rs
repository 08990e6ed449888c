//! Who sent a request, from its `Authorization` header (or the websocket's
//! `connection_init` payload): a signed-in person, or an integration's API
//! key acting for its admin within its scopes.
use axum::http::{header, HeaderMap};

use crate::{
    auth::Actor,
    core::Core,
    error::AppError,
    service::accounts::{access, api_keys},
};

/// No header is an anonymous request; a header that does not verify is an
/// error, never anonymous.
pub async fn from_header(core: &Core, value: Option<&str>) -> Result<Option<Actor>, AppError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let (scheme, credential) = value.split_once(' ').unwrap_or((value, ""));
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        access::authenticate(core, credential).await.map(Some)
    } else if scheme.eq_ignore_ascii_case("apikey") {
        api_keys::authenticate(core, credential).await.map(Some)
    } else {
        Err(AppError::Unauthenticated(
            "unsupported Authorization scheme: send Authorization: Bearer <accessToken> or ApiKey <secret>".into(),
        ))
    }
}

/// The actor of a plain-HTTP endpoint (exports, imports): as `/graphql`
/// authenticates, but anonymous is refused.
pub async fn required(core: &Core, headers: &HeaderMap) -> Result<Actor, AppError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    from_header(core, authorization).await?.ok_or_else(|| {
        AppError::Unauthenticated(
            "sign in: send Authorization: Bearer <accessToken> or ApiKey <secret>".into(),
        )
    })
}
