//! QQ Connect (QQ互联): exchange the OAuth code for an access token, then ask
//! `/oauth2.0/me` whose token it is. `fmt=json` makes both answer plain JSON
//! instead of the historical `callback( … );` JSONP.

use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{Http, OAuthWebAppConfig, Platform, PlatformError, VerifiedIdentity, lenient_i64};

/// Error codes caused by our own app settings (app id, key, redirect URI, unionid permission).
const MISCONFIGURED: &[i64] = &[100008, 100009, 100010, 100011, 100048];

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    error: Option<serde_json::Value>,
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MeResponse {
    client_id: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
    error: Option<serde_json::Value>,
    error_description: Option<String>,
}

/// Client for one QQ Connect app.
pub(super) struct QqClient {
    http: Http,
    base_url: String,
    cfg: OAuthWebAppConfig,
}

impl QqClient {
    pub(super) fn new(http: Http, base_url: &str, cfg: OAuthWebAppConfig) -> Self {
        QqClient {
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
        let platform = Platform::Qq;
        let request = self
            .http
            .client
            .get(format!("{}/oauth2.0/token", self.base_url))
            .query(&[
                ("grant_type", "authorization_code"),
                ("client_id", self.cfg.app_id.as_str()),
                ("client_secret", self.cfg.secret.expose_secret()),
                ("code", code),
                ("redirect_uri", redirect_uri.unwrap_or(&self.cfg.redirect_uri)),
                ("fmt", "json"),
            ]);
        let token: TokenResponse = self.http.send_json(platform, request).await?;
        check_error(token.error.as_ref(), token.error_description.as_deref())?;
        let access_token = token
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PlatformError::unavailable(platform, "response has no access_token"))?;

        let request = self.http.client.get(format!("{}/oauth2.0/me", self.base_url)).query(&[
            ("access_token", access_token.as_str()),
            ("unionid", "1"),
            ("fmt", "json"),
        ]);
        let me: MeResponse = self.http.send_json(platform, request).await?;
        check_error(me.error.as_ref(), me.error_description.as_deref())?;
        let openid = me
            .openid
            .filter(|o| !o.is_empty())
            .ok_or_else(|| PlatformError::unavailable(platform, "response has no openid"))?;
        // openids are per app: one issued to another app must not be taken as ours.
        if me.client_id.as_deref() != Some(self.cfg.app_id.as_str()) {
            return Err(PlatformError::InvalidData("QQ token belongs to another app".into()));
        }
        Ok(VerifiedIdentity {
            platform,
            app_id: self.cfg.app_id.clone(),
            openid,
            unionid: me.unionid.filter(|u| !u.is_empty()),
            session_key: None,
            revocation: None,
        })
    }
}

fn check_error(error: Option<&serde_json::Value>, description: Option<&str>) -> Result<(), PlatformError> {
    let platform = Platform::Qq;
    let Some(error) = error else {
        return Ok(());
    };
    let code = lenient_i64(error);
    if code == Some(0) {
        return Ok(());
    }
    let detail = format!("error {error}: {}", description.unwrap_or(""));
    match code {
        Some(code) if MISCONFIGURED.contains(&code) => {
            tracing::error!(%platform, %detail, "QQ refused our app settings; check app id, key and redirect URI");
            Err(PlatformError::unavailable(platform, detail))
        }
        // 100019 code to access token error, 100020 code reused, 100016 token check failed, …
        _ => Err(PlatformError::rejected(platform, detail)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::{Json, Router};
    use secrecy::SecretString;
    use serde_json::{Value, json};

    use super::super::test_support::serve;
    use super::super::{PlatformClients, PlatformCredential, PlatformsConfig};
    use super::*;

    const APP_ID: &str = "101234567";
    const APP_KEY: &str = "qq-app-key";
    const REDIRECT: &str = "https://example.com/oauth/qq";

    /// A stand-in for graph.qq.com; codes look like `user` and tokens like `at-user`.
    #[derive(Default)]
    struct FakeQq {
        used_codes: Mutex<HashSet<String>>,
    }

    fn err(code: i64, msg: &str) -> Response {
        Json(json!({ "error": code, "error_description": msg })).into_response()
    }

    async fn token(State(fake): State<Arc<FakeQq>>, Query(q): Query<Value>) -> Response {
        if q["fmt"] != "json" || q["grant_type"] != "authorization_code" {
            return "callback( {\"error\":100004} );".into_response();
        }
        if q["client_id"] != APP_ID {
            return err(100008, "client id is illegal");
        }
        if q["client_secret"] != APP_KEY {
            return err(100009, "client secret is illegal");
        }
        if q["redirect_uri"] != REDIRECT {
            return err(100010, "redirect uri is illegal");
        }
        let code = q["code"].as_str().unwrap_or_default();
        match code {
            "boom" => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            "bad" => return err(100019, "code to access token error"),
            _ => {}
        }
        if !fake.used_codes.lock().unwrap().insert(code.to_string()) {
            return err(100020, "code is reused error");
        }
        Json(json!({ "access_token": format!("at-{code}"), "expires_in": "7776000", "refresh_token": "rt" }))
            .into_response()
    }

    async fn me(Query(q): Query<Value>) -> Response {
        let Some(user) = q["access_token"].as_str().and_then(|t| t.strip_prefix("at-")) else {
            return err(100016, "access token check failed");
        };
        let client_id = if user == "foreign" { "999" } else { APP_ID };
        let mut body = json!({ "client_id": client_id, "openid": format!("OPENID-{user}") });
        if q["unionid"] == "1" {
            body["unionid"] = json!(format!("UNIONID-{user}"));
        }
        Json(body).into_response()
    }

    async fn clients(secret: &str) -> PlatformClients {
        let router = Router::new()
            .route("/oauth2.0/token", get(token))
            .route("/oauth2.0/me", get(me))
            .with_state(Arc::new(FakeQq::default()));
        PlatformClients::new(PlatformsConfig {
            qq: Some(OAuthWebAppConfig {
                app_id: APP_ID.into(),
                secret: SecretString::from(secret),
                redirect_uri: REDIRECT.into(),
            }),
            qq_base_url: serve(router).await,
            timeout: Duration::from_secs(2),
            ..PlatformsConfig::default()
        })
    }

    fn code(c: &str) -> PlatformCredential {
        PlatformCredential::Code(c.into())
    }

    #[tokio::test]
    async fn code_gives_openid_and_unionid() {
        let clients = clients(APP_KEY).await;
        let id = clients.verify(Platform::Qq, &code("alice")).await.unwrap();
        assert_eq!(id.platform, Platform::Qq);
        assert_eq!(id.app_id, APP_ID);
        assert_eq!(id.openid, "OPENID-alice");
        assert_eq!(id.unionid.as_deref(), Some("UNIONID-alice"));
    }

    #[tokio::test]
    async fn bad_or_reused_code_is_rejected() {
        let clients = clients(APP_KEY).await;
        let err = clients.verify(Platform::Qq, &code("bad")).await.unwrap_err();
        assert!(matches!(err, PlatformError::Rejected { detail, .. } if detail.contains("100019")));
        clients.verify(Platform::Qq, &code("bob")).await.unwrap();
        let err = clients.verify(Platform::Qq, &code("bob")).await.unwrap_err();
        assert!(matches!(err, PlatformError::Rejected { detail, .. } if detail.contains("100020")));
    }

    #[tokio::test]
    async fn server_error_or_wrong_key_is_unavailable() {
        let err = clients(APP_KEY)
            .await
            .verify(Platform::Qq, &code("boom"))
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::Unavailable { .. }));
        let err = clients("old-key")
            .await
            .verify(Platform::Qq, &code("carol"))
            .await
            .unwrap_err();
        assert!(matches!(&err, PlatformError::Unavailable { detail, .. } if detail.contains("100009")));
        assert!(!err.to_string().contains("old-key"));
    }

    #[tokio::test]
    async fn token_of_another_app_is_refused() {
        let err = clients(APP_KEY)
            .await
            .verify(Platform::Qq, &code("foreign"))
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::InvalidData(_)));
    }
}
