//! Access tokens: JWT HS256 with the algorithm pinned and the claims every
//! token must carry.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Clock skew tolerated on `exp` and `nbf` (RFC 8725 asks for little).
const LEEWAY_SECONDS: i64 = 30;

/// What an access token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub iss: String,
    pub aud: String,
    /// The user's token version when issued; a bump revokes the token.
    pub ver: i32,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
}

/// Who an access token is for.
pub struct Subject<'a> {
    pub user_id: i64,
    pub token_version: i32,
    pub session: &'a str,
}

/// The signing keys and the claims every token must carry.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl TokenKeys {
    /// Pins HS256 and requires `exp`, `iss`, `aud` (time is checked against
    /// the app's clock, not inside jsonwebtoken, so tests can move it).
    pub fn new(secret: &SecretString, issuer: &str, audience: &str) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "nbf"]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        TokenKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        }
    }

    /// Signs an access token for `subject`, valid `ttl_seconds` from `now`.
    pub fn sign(&self, subject: Subject<'_>, now: DateTime<Utc>, ttl_seconds: i64) -> Result<String, AppError> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: subject.user_id.to_string(),
            iat,
            nbf: iat,
            exp: iat + ttl_seconds,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            ver: subject.token_version,
            sid: subject.session.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("jwt encode: {e}")))
    }

    /// Checks signature, algorithm, issuer, audience and lifetime.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AppError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::Unauthenticated)?;
        let claims = data.claims;
        let now = now.timestamp();
        if claims.exp + LEEWAY_SECONDS < now || claims.nbf - LEEWAY_SECONDS > now {
            return Err(AppError::Unauthenticated);
        }
        Ok(claims)
    }
}
