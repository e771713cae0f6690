//! Sign in with Apple for the web: exchanging the authorization code Apple
//! posted to our callback for an identity token (`POST /auth/token`, Apple's
//! "Generate and validate tokens"). Apple wants a client secret: a short
//! ES256 JWT signed with the team's Sign in with Apple key.

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::{AppleWebConfig, Http, Platform, PlatformError};

/// Apple accepts client secrets of up to six months; ours live for one exchange.
const CLIENT_SECRET_SECONDS: i64 = 300;
const APPLE_AUDIENCE: &str = "https://appleid.apple.com";

#[derive(Serialize)]
struct ClientSecretClaims<'a> {
    iss: &'a str,
    iat: i64,
    exp: i64,
    aud: &'a str,
    sub: &'a str,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    refresh_token: Option<String>,
    error: Option<String>,
}

/// What a code exchange gives: the identity token, and the refresh token
/// that can later revoke the user's authorisation (account deletion).
pub(super) struct AppleTokens {
    pub id_token: String,
    pub refresh_token: Option<String>,
}

/// Exchanges web authorization codes at Apple.
pub(super) struct AppleWebClient {
    http: Http,
    token_url: String,
    revoke_url: String,
    cfg: AppleWebConfig,
    /// `None` when the configured key does not parse: every exchange is then unavailable (and logged).
    key: Option<EncodingKey>,
}

impl AppleWebClient {
    pub(super) fn new(http: Http, auth_base: &str, cfg: &AppleWebConfig) -> Self {
        let key = EncodingKey::from_ec_pem(cfg.private_key.expose_secret().as_bytes())
            .map_err(|err| tracing::error!(error = %err, "ZHANGHAO_APPLE_PRIVATE_KEY is not an EC key in PEM"))
            .ok();
        AppleWebClient {
            http,
            token_url: format!("{}/auth/token", auth_base.trim_end_matches('/')),
            revoke_url: format!("{}/auth/revoke", auth_base.trim_end_matches('/')),
            cfg: cfg.clone(),
            key,
        }
    }

    /// The identity token for `code`, which Apple issued for `redirect_uri` (our callback).
    pub(super) async fn exchange(&self, code: &str, redirect_uri: &str) -> Result<AppleTokens, PlatformError> {
        let platform = Platform::Apple;
        let secret = self.client_secret()?;
        let request = self.http.client.post(&self.token_url).form(&[
            ("client_id", self.cfg.services_id.as_str()),
            ("client_secret", secret.as_str()),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
        ]);
        let response: TokenResponse = self.http.send_json(platform, request).await?;
        match (response.id_token, response.error.as_deref()) {
            (Some(id_token), None) => Ok(AppleTokens {
                id_token,
                refresh_token: response.refresh_token,
            }),
            // Used, expired or foreign codes: the user starts again.
            (_, Some("invalid_grant")) => Err(PlatformError::rejected(platform, "invalid_grant")),
            (_, Some(error)) => {
                tracing::error!(%platform, %error, "Apple refused our web client; check the Services ID, team, key and callback");
                Err(PlatformError::unavailable(platform, error.to_string()))
            }
            (None, None) => Err(PlatformError::unavailable(platform, "response has no id_token")),
        }
    }

    /// Revokes the user's authorisation of our app (`POST /auth/revoke`, Apple's
    /// "Revoke tokens"), as Apple asks of apps that delete accounts.
    pub(super) async fn revoke(&self, refresh_token: &str) -> Result<(), PlatformError> {
        let platform = Platform::Apple;
        let secret = self.client_secret()?;
        let request = self.http.client.post(&self.revoke_url).form(&[
            ("client_id", self.cfg.services_id.as_str()),
            ("client_secret", secret.as_str()),
            ("token", refresh_token),
            ("token_type_hint", "refresh_token"),
        ]);
        let answer = request
            .send()
            .await
            .map_err(|err| PlatformError::unavailable(platform, super::http::transport_error(err)))?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(PlatformError::unavailable(
                platform,
                format!("revoke: HTTP {}", answer.status()),
            ))
        }
    }

    fn client_secret(&self) -> Result<String, PlatformError> {
        let platform = Platform::Apple;
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| PlatformError::unavailable(platform, "the Apple private key does not parse"))?;
        let now = Utc::now().timestamp();
        let claims = ClientSecretClaims {
            iss: &self.cfg.team_id,
            iat: now,
            exp: now + CLIENT_SECRET_SECONDS,
            aud: APPLE_AUDIENCE,
            sub: &self.cfg.services_id,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.cfg.key_id.clone());
        jsonwebtoken::encode(&header, &claims, key)
            .map_err(|err| PlatformError::unavailable(platform, format!("cannot sign the client secret: {err}")))
    }
}
