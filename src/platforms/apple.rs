//! Sign in with Apple: the app sends the `identityToken`, an RS256 JWT signed by
//! one of Apple's keys published at `https://appleid.apple.com/auth/keys`.
//! No network call is needed per login once the keys are cached.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{Http, Platform, PlatformError, VerifiedIdentity};

const APPLE_ISSUER: &str = "https://appleid.apple.com";
// Real identity tokens are about 1 KB; refuse to parse anything absurdly large.
const MAX_TOKEN_LEN: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    // A string from Apple, but JWT allows an array; the library has already checked it.
    aud: serde_json::Value,
    nonce: Option<String>,
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    last_attempt_failed: bool,
}

/// Checks Apple identity tokens against Apple's published keys, cached by `kid`.
pub(super) struct AppleVerifier {
    http: Http,
    keys_url: String,
    client_ids: Vec<String>,
    ttl: Duration,
    min_refetch: Duration,
    // Held across the fetch so concurrent logins trigger one download, not many.
    cache: tokio::sync::Mutex<KeyCache>,
}

impl AppleVerifier {
    pub(super) fn new(
        http: Http,
        keys_url: &str,
        client_ids: Vec<String>,
        ttl: Duration,
        min_refetch: Duration,
    ) -> Self {
        AppleVerifier {
            http,
            keys_url: keys_url.to_string(),
            client_ids,
            ttl,
            min_refetch,
            cache: tokio::sync::Mutex::new(KeyCache::default()),
        }
    }

    /// Checks `token`; with `nonce`, its `nonce` claim must be exactly that
    /// (a token captured from another sign-in then proves nothing here).
    pub(super) async fn verify(&self, token: &str, nonce: Option<&str>) -> Result<VerifiedIdentity, PlatformError> {
        let platform = Platform::Apple;
        if token.len() > MAX_TOKEN_LEN {
            return Err(PlatformError::rejected(platform, "identity token too long"));
        }
        // Unknown algorithms such as "none" already fail to parse here.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|err| PlatformError::rejected(platform, format!("malformed identity token: {err}")))?;
        // Pinned before any key is looked at, so an HS256 token cannot pass off the public key as a secret.
        if header.alg != Algorithm::RS256 {
            return Err(PlatformError::rejected(
                platform,
                format!("identity token algorithm {:?} not allowed", header.alg),
            ));
        }
        let kid = header
            .kid
            .ok_or_else(|| PlatformError::rejected(platform, "identity token has no kid"))?;
        let key = self
            .key(&kid)
            .await?
            .ok_or_else(|| PlatformError::rejected(platform, "identity token signed by an unknown key"))?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[APPLE_ISSUER]);
        validation.set_audience(&self.client_ids);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|err| PlatformError::rejected(platform, format!("identity token refused: {err}")))?;

        let claims = data.claims;
        if claims.sub.is_empty() {
            return Err(PlatformError::rejected(platform, "identity token has no subject"));
        }
        if let Some(expected) = nonce
            && !claims
                .nonce
                .as_deref()
                .is_some_and(|got| crate::crypto::constant_time_eq(got.as_bytes(), expected.as_bytes()))
        {
            return Err(PlatformError::rejected(platform, "identity token nonce does not match"));
        }
        let app_id = self
            .client_ids
            .iter()
            .find(|id| match &claims.aud {
                serde_json::Value::String(aud) => aud == *id,
                serde_json::Value::Array(auds) => auds.iter().any(|a| a == id.as_str()),
                _ => false,
            })
            .cloned()
            .ok_or_else(|| PlatformError::rejected(platform, "identity token audience not ours"))?;
        Ok(VerifiedIdentity {
            platform,
            app_id,
            openid: claims.sub,
            unionid: None,
            session_key: None,
            revocation: None,
        })
    }

    /// The key for `kid`, fetching Apple's key set when the cache is stale or the kid
    /// is new (Apple rotates keys), but at most once per `min_refetch`.
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, PlatformError> {
        let mut cache = self.cache.lock().await;
        let fresh = cache.fetched_at.is_some_and(|at| at.elapsed() < self.ttl);
        if fresh && let Some(key) = cache.keys.get(kid) {
            return Ok(Some(key.clone()));
        }
        let may_fetch = cache.last_attempt.is_none_or(|at| at.elapsed() >= self.min_refetch);
        if may_fetch {
            cache.last_attempt = Some(Instant::now());
            match self.fetch().await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched_at = Some(Instant::now());
                    cache.last_attempt_failed = false;
                }
                Err(err) => {
                    cache.last_attempt_failed = true;
                    // Keys rotate rarely: a stale key beats failing every Apple login while Apple is unreachable.
                    return match cache.keys.get(kid) {
                        Some(key) => Ok(Some(key.clone())),
                        None => Err(err),
                    };
                }
            }
        }
        match cache.keys.get(kid) {
            Some(key) => Ok(Some(key.clone())),
            None if cache.last_attempt_failed => Err(PlatformError::unavailable(
                Platform::Apple,
                "Apple signing keys could not be fetched",
            )),
            None => Ok(None),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, PlatformError> {
        let platform = Platform::Apple;
        let request = self.http.client.get(&self.keys_url);
        let set: JwkSet = self.http.send_json(platform, request).await?;
        let mut keys = HashMap::new();
        for jwk in set.keys {
            let usable = jwk.kty == "RSA" && jwk.alg.as_deref().is_none_or(|alg| alg == "RS256");
            let (Some(kid), Some(n), Some(e), true) = (jwk.kid, jwk.n, jwk.e, usable) else {
                continue;
            };
            match DecodingKey::from_rsa_components(&n, &e) {
                Ok(key) => {
                    keys.insert(kid, key);
                }
                Err(err) => tracing::warn!(%kid, error = %err, "skipping unusable Apple key"),
            }
        }
        if keys.is_empty() {
            return Err(PlatformError::unavailable(platform, "Apple key set has no usable keys"));
        }
        Ok(keys)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
