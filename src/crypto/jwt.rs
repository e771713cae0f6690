//! Access tokens: JWTs signed by one key of a key ring. Every token names its
//! key (`kid`); every key is pinned to one algorithm, so `alg: none`, an
//! HS256 token "signed" with a public key and a key id we do not hold are
//! all refused before any signature is checked.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::signing_keys::{JwtAlgorithm, KeyPair};
use crate::error::AppError;

/// Clock skew tolerated on `exp` and `nbf` (RFC 8725 asks for little).
pub const LEEWAY_SECONDS: i64 = 30;

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

/// The key new tokens are signed with.
pub struct SigningKey {
    kid: String,
    algorithm: JwtAlgorithm,
    encoding: EncodingKey,
}

impl SigningKey {
    /// The HS256 key: the secret itself.
    pub fn hs256(kid: &str, secret: &SecretString) -> SigningKey {
        SigningKey {
            kid: kid.to_string(),
            algorithm: JwtAlgorithm::Hs256,
            encoding: EncodingKey::from_secret(secret.expose_secret().as_bytes()),
        }
    }

    /// An ES256 or EdDSA key pair's private half.
    pub fn from_pair(pair: &KeyPair) -> SigningKey {
        let encoding = match pair.algorithm() {
            JwtAlgorithm::EdDsa => EncodingKey::from_ed_der(pair.pkcs8_der()),
            _ => EncodingKey::from_ec_der(pair.pkcs8_der()),
        };
        SigningKey {
            kid: pair.kid().to_string(),
            algorithm: pair.algorithm(),
            encoding,
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// A key that verifies tokens of its one algorithm.
pub struct VerifyingKey {
    kid: String,
    algorithm: JwtAlgorithm,
    decoding: DecodingKey,
}

impl VerifyingKey {
    /// The HS256 key: the secret itself.
    pub fn hs256(kid: &str, secret: &SecretString) -> VerifyingKey {
        VerifyingKey {
            kid: kid.to_string(),
            algorithm: JwtAlgorithm::Hs256,
            decoding: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
        }
    }

    /// A published public key; its `alg`, key type and curve must be those of `algorithm`.
    pub fn from_public_jwk(algorithm: JwtAlgorithm, jwk: &Jwk) -> Result<VerifyingKey, String> {
        let fits = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::EllipticCurve(ec), Some(KeyAlgorithm::ES256)) => {
                algorithm == JwtAlgorithm::Es256 && ec.curve == EllipticCurve::P256
            }
            (AlgorithmParameters::OctetKeyPair(okp), Some(KeyAlgorithm::EdDSA)) => {
                algorithm == JwtAlgorithm::EdDsa && okp.curve == EllipticCurve::Ed25519
            }
            _ => false,
        };
        let kid = jwk.common.key_id.clone().filter(|kid| !kid.is_empty());
        let (true, Some(kid)) = (fits, kid) else {
            return Err(format!(
                "the public key is not an {} key with a kid",
                algorithm.as_str()
            ));
        };
        let decoding = DecodingKey::from_jwk(jwk).map_err(|e| format!("public key: {e}"))?;
        Ok(VerifyingKey {
            kid,
            algorithm,
            decoding,
        })
    }
}

/// The keys one node holds at a moment: the one it signs with, the ones it
/// accepts (by `kid`), and the public ones it publishes.
pub struct KeyRing {
    signer: SigningKey,
    verifiers: Vec<VerifyingKey>,
    published: JwkSet,
}

impl KeyRing {
    pub fn new(signer: SigningKey, verifiers: Vec<VerifyingKey>, published: Vec<Jwk>) -> KeyRing {
        KeyRing {
            signer,
            verifiers,
            published: JwkSet { keys: published },
        }
    }

    /// The key a token names; a token without `kid` can only be an HS256
    /// token issued before tokens carried one.
    fn verifier(&self, kid: Option<&str>) -> Result<&VerifyingKey, Refusal> {
        match kid {
            Some(kid) => self
                .verifiers
                .iter()
                .find(|key| key.kid == kid)
                .ok_or(Refusal::UnknownKey),
            None => self
                .verifiers
                .iter()
                .find(|key| key.algorithm == JwtAlgorithm::Hs256)
                .ok_or(Refusal::Invalid),
        }
    }
}

/// Why a token was refused: an unknown key may be one another node just
/// started using, worth one look at the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownKey,
    Invalid,
}

/// The current key ring and the claims every token must carry.
pub struct TokenKeys {
    ring: RwLock<Option<Arc<KeyRing>>>,
    issuer: String,
    audience: String,
}

impl TokenKeys {
    /// No keys until the first [`install`](Self::install).
    pub fn new(issuer: &str, audience: &str) -> TokenKeys {
        TokenKeys {
            ring: RwLock::new(None),
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        }
    }

    /// Replaces the ring; tokens being checked finish with the one they took.
    pub fn install(&self, ring: KeyRing) {
        *self.ring.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::new(ring));
    }

    fn ring(&self) -> Option<Arc<KeyRing>> {
        self.ring
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The id of the key new tokens are signed with.
    pub fn signing_kid(&self) -> Option<String> {
        self.ring().map(|ring| ring.signer.kid.clone())
    }

    /// The public keys (`GET /.well-known/jwks.json`).
    pub fn jwks(&self) -> JwkSet {
        self.ring()
            .map(|ring| ring.published.clone())
            .unwrap_or(JwkSet { keys: Vec::new() })
    }

    /// Signs an access token for `subject`, valid `ttl_seconds` from `now`.
    pub fn sign(&self, subject: Subject<'_>, now: DateTime<Utc>, ttl_seconds: i64) -> Result<String, AppError> {
        let ring = self
            .ring()
            .ok_or_else(|| AppError::Internal("no signing key loaded".into()))?;
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
        let mut header = Header::new(ring.signer.algorithm.jose());
        header.kid = Some(ring.signer.kid.clone());
        jsonwebtoken::encode(&header, &claims, &ring.signer.encoding)
            .map_err(|e| AppError::Internal(format!("jwt encode: {e}")))
    }

    /// Checks key, algorithm, signature, issuer, audience and lifetime.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Invalid)?;
        let ring = self.ring().ok_or(Refusal::Invalid)?;
        let key = ring.verifier(header.kid.as_deref())?;
        // Pinned per key: the header's `alg` must be the key's, whatever it claims.
        if header.alg != key.algorithm.jose() {
            return Err(Refusal::Invalid);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation(key.algorithm))
            .map_err(|_| Refusal::Invalid)?;
        let claims = data.claims;
        let now = now.timestamp();
        if claims.exp + LEEWAY_SECONDS < now || claims.nbf - LEEWAY_SECONDS > now {
            return Err(Refusal::Invalid);
        }
        Ok(claims)
    }

    /// Only `algorithm`; `exp`, `iss`, `aud` required (time is checked against
    /// the app's clock, not inside jsonwebtoken, so tests can move it).
    fn validation(&self, algorithm: JwtAlgorithm) -> Validation {
        let mut validation = Validation::new(algorithm.jose());
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "nbf"]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation
    }
}
