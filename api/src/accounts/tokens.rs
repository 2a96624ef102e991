//! Access tokens (short JWTs with a key id) and refresh tokens (opaque, stored as hashes).
//!
//! Access tokens are HS256 JWTs of 15 minutes; verification fixes the algorithm, requires
//! `exp`, `iss`, `aud` and `sub`, and picks the key by `kid` so keys can rotate: the first
//! configured key signs, every configured key verifies. Refresh tokens are 32 random bytes;
//! only their SHA-256 is stored.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::graphql::ids::UserId;

/// Issuer claim of every access token.
pub const ISSUER: &str = "textisur";
/// Audience claim of every access token.
pub const AUDIENCE: &str = "textisur-api";
/// Lifetime of an access token.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// Lifetime of a refresh token.
pub const REFRESH_TTL: Duration = Duration::days(7);

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The session (refresh-token family) the token belongs to.
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

impl AccessClaims {
    /// The user the token was issued to.
    pub fn user_id(&self) -> Option<UserId> {
        self.sub.parse().ok().map(UserId)
    }
}

/// Why a token was refused (all of them mean `UNAUTHENTICATED`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("access token is malformed or not signed by a known key")]
    Invalid,
    #[error("access token has expired")]
    Expired,
}

/// Signs and verifies access tokens.
pub struct TokenKeys {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TokenKeys")
            .field("signing_kid", &self.signing_kid)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys from `kid:base64secret` pairs separated by commas; the first one signs.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, secret) = entry
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("a JWT key must look like kid:base64secret"))?;
            let secret = STANDARD
                .decode(secret.trim())
                .or_else(|_| URL_SAFE_NO_PAD.decode(secret.trim()))
                .map_err(|_| anyhow::anyhow!("JWT key {kid} is not base64"))?;
            anyhow::ensure!(
                secret.len() >= 32,
                "JWT key {kid} must have at least 32 bytes"
            );
            keys.push((kid.trim().to_owned(), secret));
        }
        anyhow::ensure!(!keys.is_empty(), "no JWT key given");
        Ok(Self::from_secrets(keys))
    }

    /// A random key for development, valid until the process ends.
    pub fn generate() -> Self {
        let secret: [u8; 32] = rand::random();
        Self::from_secrets(vec![("dev".to_owned(), secret.to_vec())])
    }

    fn from_secrets(keys: Vec<(String, Vec<u8>)>) -> Self {
        let (signing_kid, signing_secret) = keys[0].clone();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            signing_kid,
            signing: EncodingKey::from_secret(&signing_secret),
            verifying: keys
                .iter()
                .map(|(kid, s)| (kid.clone(), DecodingKey::from_secret(s)))
                .collect(),
            validation,
        }
    }

    /// Issues an access token for `user` in session `sid`.
    pub fn issue(&self, user: UserId, sid: Uuid, now: DateTime<Utc>) -> String {
        let claims = AccessClaims {
            sub: user.0.to_string(),
            sid,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TTL).timestamp(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing).unwrap_or_default()
    }

    /// Verifies a token's signature, algorithm and claims.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or(TokenError::Invalid)?;
        match jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                Err(TokenError::Expired)
            }
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

/// A new refresh token: the value for the client and the hash to store.
pub fn new_refresh_token() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = refresh_token_hash(&token);
    (token, hash)
}

/// The stored form of a refresh token.
pub fn refresh_token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_rotate_keys() {
        let old = TokenKeys::parse(&format!("k1:{}", STANDARD.encode([1u8; 32]))).expect("keys");
        let both = TokenKeys::parse(&format!(
            "k2:{},k1:{}",
            STANDARD.encode([2u8; 32]),
            STANDARD.encode([1u8; 32])
        ))
        .expect("keys");
        let sid = Uuid::new_v4();
        let token = old.issue(UserId(7), sid, Utc::now());
        let claims = both
            .verify(&token)
            .expect("old tokens still verify after rotation");
        assert_eq!(claims.user_id(), Some(UserId(7)));
        assert_eq!(claims.sid, sid);
        let new = both.issue(UserId(7), sid, Utc::now());
        assert_eq!(
            old.verify(&new),
            Err(TokenError::Invalid),
            "a retired key list does not know k2"
        );
        let expired = old.issue(UserId(7), sid, Utc::now() - Duration::hours(1));
        assert_eq!(old.verify(&expired), Err(TokenError::Expired));
        assert!(
            TokenKeys::parse("k1:c2hvcnQ=").is_err(),
            "short keys are refused"
        );
    }
}
