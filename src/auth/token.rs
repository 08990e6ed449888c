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
/// How far replicas' clocks may disagree when one checks another's token.
const CLOCK_SKEW_SECS: i64 = 60;

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
    /// Not issued by us; refused when it lies in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
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
            nbf: None,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires_at))
    }

    /// Verifies signature, algorithm, expiry, issuer, audience and type, and
    /// that the token was not issued in the future or for longer than we
    /// issue tokens (a key that leaked cannot mint year-long tokens).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        let now = Utc::now().timestamp();
        let plausible = claims.typ == ACCESS_TYPE
            && claims.iat <= now + CLOCK_SKEW_SECS
            && claims.nbf.is_none_or(|nbf| nbf <= now + CLOCK_SKEW_SECS)
            && claims.exp - claims.iat <= ACCESS_TTL.num_seconds();
        plausible.then_some(claims)
    }
}

/// What an unsubscribe link carries: who, and which kind they turn off.
/// Its audience differs from an access token's, so neither passes for the
/// other.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UnsubscribeClaims {
    sub: Uuid,
    kind: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

const UNSUBSCRIBE_AUDIENCE: &str = "leadscore-unsubscribe";
/// A link in an old message still works for this long.
const UNSUBSCRIBE_TTL: Duration = Duration::days(180);

impl TokenKeys {
    /// A token for a link that turns `kind` off for `user_id`, no sign-in needed.
    pub fn issue_unsubscribe(
        &self,
        user_id: Uuid,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = UnsubscribeClaims {
            sub: user_id,
            kind: kind.into(),
            iss: ISSUER.into(),
            aud: UNSUBSCRIBE_AUDIENCE.into(),
            iat: now.timestamp(),
            exp: (now + UNSUBSCRIBE_TTL).timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The user and kind of a valid unsubscribe token.
    pub fn verify_unsubscribe(&self, token: &str) -> Option<(Uuid, String)> {
        let mut validation = self.validation.clone();
        validation.set_audience(&[UNSUBSCRIBE_AUDIENCE]);
        let claims = decode::<UnsubscribeClaims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        Some((claims.sub, claims.kind))
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
    fn a_token_from_the_future_or_living_too_long_is_rejected() {
        let keys = TokenKeys::new(&[7u8; 32]);
        let forge = |iat: i64, exp: i64, nbf: Option<i64>| {
            let claims = Claims {
                sub: Uuid::now_v7(),
                role: Role::Admin,
                ver: 0,
                sid: Uuid::now_v7(),
                typ: ACCESS_TYPE.into(),
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                iat,
                exp,
                nbf,
            };
            encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap()
        };
        let now = Utc::now().timestamp();
        assert!(keys.verify(&forge(now, now + 600, None)).is_some());
        assert!(keys
            .verify(&forge(now + 3_600, now + 3_900, None))
            .is_none());
        assert!(keys
            .verify(&forge(now, now + 600, Some(now + 3_600)))
            .is_none());
        assert!(keys.verify(&forge(now, now + 86_400 * 365, None)).is_none());
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
