//! Sina Weibo: exchange the OAuth code at `/oauth2/access_token`, whose answer
//! already carries the user's `uid`. Errors come back as HTTP 400 with
//! `error`, `error_code` and `error_description`.

use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{Http, OAuthWebAppConfig, Platform, PlatformError, VerifiedIdentity, lenient_i64, lenient_string};

/// Error codes caused by our own app settings: redirect_uri_mismatch, invalid_client, unauthorized_client.
const MISCONFIGURED: &[i64] = &[21322, 21324, 21326];
/// temporarily_unavailable.
const BUSY: &[i64] = &[21331];

#[derive(Debug, Deserialize)]
struct TokenResponse {
    // Documented as a string; tolerate a number too.
    uid: Option<serde_json::Value>,
    error: Option<String>,
    error_code: Option<serde_json::Value>,
    error_description: Option<String>,
}

/// Client for one Weibo app.
pub(super) struct WeiboClient {
    http: Http,
    base_url: String,
    cfg: OAuthWebAppConfig,
}

impl WeiboClient {
    pub(super) fn new(http: Http, base_url: &str, cfg: OAuthWebAppConfig) -> Self {
        WeiboClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            cfg,
        }
    }

    /// Exchanges `code`; `redirect_uri` is the browser flow's, else the configured one (native SDKs).
    pub(super) async fn verify(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<VerifiedIdentity, PlatformError> {
        let platform = Platform::Wb;
        let request = self
            .http
            .client
            .post(format!("{}/oauth2/access_token", self.base_url))
            .form(&[
                ("client_id", self.cfg.app_id.as_str()),
                ("client_secret", self.cfg.secret.expose_secret()),
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri.unwrap_or(&self.cfg.redirect_uri)),
            ]);
        let response: TokenResponse = self.http.send_json(platform, request).await?;
        if response.error.is_some() || response.error_code.is_some() {
            return Err(classify(&response));
        }
        let openid = response
            .uid
            .as_ref()
            .and_then(lenient_string)
            .ok_or_else(|| PlatformError::unavailable(platform, "response has no uid"))?;
        Ok(VerifiedIdentity {
            platform,
            app_id: self.cfg.app_id.clone(),
            openid,
            unionid: None,
            session_key: None,
            revocation: None,
        })
    }
}

fn classify(response: &TokenResponse) -> PlatformError {
    let platform = Platform::Wb;
    let code = response.error_code.as_ref().and_then(lenient_i64);
    let detail = format!(
        "{} {}: {}",
        response.error.as_deref().unwrap_or("error"),
        code.map(|c| c.to_string()).unwrap_or_default(),
        response.error_description.as_deref().unwrap_or("")
    );
    match code {
        Some(code) if MISCONFIGURED.contains(&code) => {
            tracing::error!(%platform, %detail, "Weibo refused our app settings; check app key, secret and redirect URI");
            PlatformError::unavailable(platform, detail)
        }
        // 1xxxx are Weibo system-level errors, not a verdict on the code.
        Some(code) if BUSY.contains(&code) || code < 20000 => PlatformError::unavailable(platform, detail),
        // 21325 invalid_grant (bad, used or expired code), 21330 access_denied, …
        _ => PlatformError::rejected(platform, detail),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use axum::{Form, Json, Router};
    use secrecy::SecretString;
    use serde_json::json;
    use std::collections::HashMap;

    use super::super::test_support::serve;
    use super::super::{PlatformClients, PlatformCredential, PlatformsConfig};
    use super::*;

    const APP_KEY: &str = "3456789012";
    const APP_SECRET: &str = "weibo-secret";
    const REDIRECT: &str = "https://example.com/oauth/weibo";

    /// A stand-in for api.weibo.com; codes look like `uid-<number>`.
    #[derive(Default)]
    struct FakeWeibo {
        used_codes: Mutex<HashSet<String>>,
    }

    fn err(error: &str, code: i64, description: &str) -> Response {
        let body = json!({ "error": error, "error_code": code, "request": "/oauth2/access_token", "error_uri": "/oauth2/access_token", "error_description": description });
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }

    async fn access_token(State(fake): State<Arc<FakeWeibo>>, Form(form): Form<HashMap<String, String>>) -> Response {
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
        if field("client_id") != APP_KEY || field("client_secret") != APP_SECRET {
            return err("invalid_client", 21324, "invalid client_id or client_secret");
        }
        if field("redirect_uri") != REDIRECT {
            return err("redirect_uri_mismatch", 21322, "redirect_uri mismatch");
        }
        if field("grant_type") != "authorization_code" {
            return err("unsupported_grant_type", 21328, "unsupported grant type");
        }
        let code = field("code");
        if code == "boom" {
            return (StatusCode::SERVICE_UNAVAILABLE, "<html>busy</html>").into_response();
        }
        let Some(uid) = code.strip_prefix("uid-") else {
            return err("invalid_grant", 21325, "invalid authorization code");
        };
        if !fake.used_codes.lock().unwrap().insert(code.to_string()) {
            return err("invalid_grant", 21325, "invalid authorization code");
        }
        Json(json!({ "access_token": "2.00abc", "remind_in": "157679999", "expires_in": 157679999, "uid": uid, "isRealName": "true" }))
            .into_response()
    }

    async fn clients(secret: &str) -> PlatformClients {
        let router = Router::new()
            .route("/oauth2/access_token", post(access_token))
            .with_state(Arc::new(FakeWeibo::default()));
        PlatformClients::new(PlatformsConfig {
            wb: Some(OAuthWebAppConfig {
                app_id: APP_KEY.into(),
                secret: SecretString::from(secret),
                redirect_uri: REDIRECT.into(),
            }),
            weibo_base_url: serve(router).await,
            timeout: Duration::from_secs(2),
            ..PlatformsConfig::default()
        })
    }

    fn code(c: &str) -> PlatformCredential {
        PlatformCredential::Code(c.into())
    }

    #[tokio::test]
    async fn code_gives_uid() {
        let id = clients(APP_SECRET)
            .await
            .verify(Platform::Wb, &code("uid-1404376560"))
            .await
            .unwrap();
        assert_eq!(id.platform, Platform::Wb);
        assert_eq!(id.app_id, APP_KEY);
        assert_eq!(id.openid, "1404376560");
        assert_eq!(id.unionid, None);
    }

    #[tokio::test]
    async fn bad_or_reused_code_is_rejected() {
        let clients = clients(APP_SECRET).await;
        let err = clients.verify(Platform::Wb, &code("nonsense")).await.unwrap_err();
        assert!(matches!(err, PlatformError::Rejected { detail, .. } if detail.contains("21325")));
        clients.verify(Platform::Wb, &code("uid-42")).await.unwrap();
        let err = clients.verify(Platform::Wb, &code("uid-42")).await.unwrap_err();
        assert!(matches!(err, PlatformError::Rejected { .. }));
    }

    #[tokio::test]
    async fn server_error_or_wrong_secret_is_unavailable() {
        let err = clients(APP_SECRET)
            .await
            .verify(Platform::Wb, &code("boom"))
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::Unavailable { .. }));
        let err = clients("old-secret")
            .await
            .verify(Platform::Wb, &code("uid-7"))
            .await
            .unwrap_err();
        assert!(matches!(&err, PlatformError::Unavailable { detail, .. } if detail.contains("21324")));
        assert!(!err.to_string().contains("old-secret"));
    }
}
