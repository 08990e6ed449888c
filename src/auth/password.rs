//! Argon2id password hashing, off the async runtime.
use argon2::{password_hash::PasswordVerifier, Algorithm, Argon2, Params, PasswordHasher, Version};
use rand::RngCore;
use tracing::Span;

use crate::error::{AppError, AppResult};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
fn hasher() -> AppResult<Argon2<'static>> {
    let params = Params::new(19_456, 2, 1, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks the length rule; the field name is the caller's input field.
pub fn validate(field: &str, password: &str) -> AppResult<()> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(AppError::bad_input(
            field,
            format!("password must be at least {MIN_LEN} characters"),
        ));
    }
    if len > MAX_LEN {
        return Err(AppError::bad_input(
            field,
            format!("password must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

fn hash_blocking(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let hash = hasher()?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(AppError::internal)?;
    Ok(hash.to_string())
}

/// Hashes on a blocking thread (argon2 takes tens of milliseconds of CPU),
/// keeping the caller's tracing span.
pub async fn hash(password: String) -> AppResult<String> {
    let span = Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(|| hash_blocking(&password)))
        .await
        .map_err(AppError::internal)?
}

/// True when `password` matches `hash`. A malformed stored hash is an internal
/// error, not a wrong password.
pub async fn verify(password: String, hash: String) -> AppResult<bool> {
    let span = Span::current();
    tokio::task::spawn_blocking(move || {
        span.in_scope(
            || match hasher()?.verify_password(password.as_bytes(), hash.as_str()) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(err) => Err(AppError::internal(format!(
                    "stored password hash unusable: {err}"
                ))),
            },
        )
    })
    .await
    .map_err(AppError::internal)?
}

/// A real hash of a password nobody has, verified against when the email is
/// unknown so that an unknown email costs the same time as a wrong password.
pub fn decoy_hash() -> AppResult<String> {
    hash_blocking("decoy password that matches no account")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), hash.clone())
            .await
            .unwrap());
        assert!(!verify("correct horse battery!".into(), hash).await.unwrap());
    }

    #[test]
    fn passwords_outside_8_to_128_characters_are_refused() {
        assert!(validate("password", "short").is_err());
        assert!(validate("password", &"x".repeat(129)).is_err());
        assert!(validate("password", "eight ch").is_ok());
    }
}
