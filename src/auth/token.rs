//! Access tokens (JWT HS256, 15 minutes) and refresh tokens (random, stored hashed).
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entity::user::Role;

pub const ISSUER: &str = "leadscore";
pub const AUDIENCE: &str = "leadscore-api";
pub const ACCESS_TYPE: &str = "access";
pub const ACCESS_TTL: Duration = Duration::minutes(15);
pub const REFRESH_TTL: Duration = Duration::days(30);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    /// The user's token version when issued; a bump revokes every older token.
    pub ver: i32,
    /// The session (refresh-token family) this token belongs to.
    pub sid: Uuid,
    pub typ: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signing and verification keys, built once from SECRET_KEY.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        // The algorithm is pinned: a token claiming `none` or RS256 is rejected.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        role: Role,
        token_version: i32,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        let expires_at = now + ACCESS_TTL;
        let claims = Claims {
            sub: user_id,
            role,
            ver: token_version,
            sid: session_id,
            typ: ACCESS_TYPE.into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires_at))
    }

    /// Verifies signature, algorithm, expiry, issuer, audience and type.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.typ == ACCESS_TYPE).then_some(data.claims)
    }
}

/// 32 random bytes, hex: what the client holds as its refresh token.
pub fn new_opaque_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the database holds instead of the secret.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_signed_with_another_key_is_rejected() {
        let ours = TokenKeys::new(&[7u8; 32]);
        let theirs = TokenKeys::new(&[8u8; 32]);
        let (token, _) = theirs
            .issue(Uuid::now_v7(), Role::Admin, 0, Uuid::now_v7(), Utc::now())
            .unwrap();
        assert!(ours.verify(&token).is_none());
        assert!(theirs.verify(&token).is_some());
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let keys = TokenKeys::new(&[7u8; 32]);
        let issued = Utc::now() - Duration::minutes(16);
        let (token, _) = keys
            .issue(Uuid::now_v7(), Role::SalesRep, 0, Uuid::now_v7(), issued)
            .unwrap();
        assert!(keys.verify(&token).is_none());
    }
}
